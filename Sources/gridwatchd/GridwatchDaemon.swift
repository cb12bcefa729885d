import ArgumentParser
import DaemonCore
import Foundation
import Logging

@main
struct GridwatchDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gridwatchd",
        abstract: "Gridwatch daemon: watches village cameras and raises governance tickets. 网格视频巡查守护进程。",
        version: Gridwatch.version,
        subcommands: [Run.self, CheckConfig.self, AnalysisBench.self])
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the daemon with a configuration file. 运行守护进程。")

    @Option(name: .shortAndLong, help: "Configuration file (YAML).")
    var config: String

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Overrides daemon.log_level.")
    var logLevel: String?

    func run() async throws {
        let loaded: GridwatchConfig
        do {
            loaded = try GridwatchConfig.load(path: config)
        } catch {
            FileHandle.standardError.write(Data("gridwatchd: configuration error: \(error)\n".utf8))
            throw ExitCode(78)
        }
        let level = Logger.Level(rawValue: logLevel ?? loaded.daemon.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "gridwatchd")
        do {
            try await Daemon(config: loaded, logger: logger).run()
        } catch let error as StartupError {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(error.exitCode)
        }
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file and summarise it. 检查配置文件。")

    @Argument(help: "Configuration file (YAML).")
    var file: String

    func run() throws {
        do {
            let config = try GridwatchConfig.load(path: file)
            print("\(file): OK")
            for grid in config.grids {
                let cameras = config.cameras.filter { $0.grid == grid.id }
                let zones = cameras.reduce(0) { $0 + $1.zones.count }
                print("  grid \(grid.id) (\(grid.name), \(grid.level.rawValue)): \(cameras.count) camera(s), \(zones) zone(s)")
                for camera in cameras {
                    print("    camera \(camera.id): \(camera.redactedSource), zones: \(camera.zones.map(\.id).joined(separator: ", "))")
                }
            }
        } catch {
            FileHandle.standardError.write(Data("gridwatchd: configuration error: \(error)\n".utf8))
            throw ExitCode(78)
        }
    }
}

struct AnalysisBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analysis-bench",
        abstract: "Time the analysis alone on a video file (for make bench).",
        shouldDisplay: false)

    @Option(help: "Video file.") var input: String
    @Option(help: "Analysis width in pixels.") var width = 320
    @Option(help: "Passes over the clip.") var passes = 3

    func run() throws {
        let r = try AnalysisBenchmark.run(input: input, width: width, passes: passes)
        print(String(format: "frames=%d size=%dx%d median_ms=%.4f mean_ms=%.4f p90_ms=%.4f scale_median_ms=%.4f",
                     r.frames, r.width, r.height, r.medianMillis, r.meanMillis, r.p90Millis, r.scaleMedianMillis))
    }
}
