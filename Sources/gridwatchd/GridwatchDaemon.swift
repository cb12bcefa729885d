import Analysis
import ArgumentParser
import DaemonCore
import Foundation
import Logging
import MediaIO

/// Load and validate a configuration, or say why not and exit 78 (EX_CONFIG).
func loadConfiguration(_ path: String) throws -> GridwatchConfig {
    do {
        return try GridwatchConfig.load(path: path)
    } catch {
        FileHandle.standardError.write(Data("gridwatchd: configuration error: \(error)\n".utf8))
        throw ExitCode(78)
    }
}

/// The program's entry: synchronous, the command run on the global executor while the main
/// thread waits. An `async` entry point hands the main thread to `dispatch_main`, which ends
/// it with `pthread_exit`, and that unwinds it: about 0.6 MB of the binary's unwind tables
/// read in (64 kB around each page touched) for nothing. Nothing in the daemon runs on the
/// main actor or the main queue.
@main
enum Entry {
    static func main() {
        let finished = DispatchSemaphore(value: 0)
        Task.detached {
            // Exits by itself, with the right status, when the command fails.
            await GridwatchDaemon.main()
            finished.signal()
        }
        finished.wait()
        exit(0)
    }
}

struct GridwatchDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gridwatchd",
        abstract: "Gridwatch daemon: watches village cameras and raises governance tickets. 网格视频巡查守护进程。",
        version: Gridwatch.version,
        subcommands: [Run.self, CheckConfig.self, ReplayCommand.self])
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the daemon with a configuration file. 运行守护进程。")

    @Option(name: .shortAndLong, help: "Configuration file (YAML).")
    var config: String

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Overrides daemon.log_level.")
    var logLevel: String?

    func validate() throws {
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical; got '\(logLevel)'")
        }
    }

    func run() async throws {
        let loaded = try loadConfiguration(config)
        let level = Logger.Level(rawValue: logLevel ?? loaded.daemon.logLevel) ?? .info
        // To the journal when systemd connected standard error to it: priorities, no time stamps.
        let journal = DaemonLogHandler.stderrIsJournal()
        LoggingSystem.bootstrap { _ in DaemonLogHandler(logLevel: level, journal: journal) }
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
        let config = try loadConfiguration(file)
        print("\(file): OK")
        // Grouped once: a scan of every camera per grid took minutes on a large file.
        let byGrid = Dictionary(grouping: config.cameras, by: \.grid)
        for grid in config.grids {
            let cameras = byGrid[grid.id] ?? []
            let zones = cameras.reduce(0) { $0 + $1.zones.count }
            let lines = cameras.reduce(0) { $0 + $1.tripwires.count }
            print("  grid \(grid.id) (\(grid.name), \(grid.level.rawValue)): \(cameras.count) camera(s), \(zones) zone(s), \(lines) tripwire(s)")
            for camera in cameras {
                print("    camera \(camera.id): \(camera.redactedSource)")
                let checks = [camera.analysis.integrity ? "integrity" : nil, camera.analysis.fireSmoke ? "fire_smoke" : nil].compactMap { $0 }
                if !checks.isEmpty { print("      checks: \(checks.joined(separator: ", "))") }
                let c = camera.clips
                print(camera.recordsClips ? "      clips: \(Int(c.preRoll)) s before, \(Int(c.postRoll)) s after, at most \(Int(c.maxClip)) s, from the \(camera.record == nil ? "detect" : "record") stream"
                      : "      clips: off" + (c.enabled == nil ? " (privacy masks)" : ""))
                print("      zones: \(camera.zones.map { "\($0.id) (\($0.purpose.rawValue)\($0.fireSmoke ? ", fire_smoke" : ""))" }.joined(separator: ", "))")
                print("      tripwires: \(camera.tripwires.map { "\($0.id) (\($0.purpose.rawValue), \($0.direction.rawValue))" }.joined(separator: ", "))")
            }
        }
        for d in config.notify {
            // Keys and secrets never: the URL redacted, the secret named by where it comes from.
            // A program's arguments may hold a token: its path only, and how many there are.
            let target = d.kind == .exec ? d.command[0] + (d.command.count > 1 ? " (+\(d.command.count - 1) arguments)" : "") : (d.redactedURL ?? "")
            let events = d.route.events.map { $0.map(\.rawValue).sorted().joined(separator: ", ") } ?? "all events"
            var filters: [String] = []
            if let g = d.route.grids { filters.append("grids " + g.sorted().joined(separator: ", ")) }
            if let c = d.route.categories { filters.append("categories " + c.map(\.rawValue).sorted().joined(separator: ", ")) }
            if let m = d.route.minSeverity { filters.append("severity \(m.rawValue) and up") }
            print("  notify \(d.id) (\(d.kind.rawValue)): \(target)")
            print("      events: \(events)\(filters.isEmpty ? "" : "; " + filters.joined(separator: "; "))")
        }
        if let hooks = config.daemon.hooksListen {
            print("  callbacks: POST \(config.daemon.hooksTLS == nil ? "http" : "https")://\(hooks.host):\(hooks.port)/hooks/{destination}")
        }
    }
}


struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Analyse a video file as fast as possible and print one JSON line per event. 回放分析视频文件。",
        discussion: """
            Either a camera of a configuration (its zones, tripwires, masks and analysis settings):
              gridwatchd replay --config gridwatch.yml --camera east-gate --input clip.mp4
            or a geometry file with default analysis settings:
              gridwatchd replay --input clip.mp4 --geometry lines.json
            where lines.json is {"tripwires":[{"id":"L1","a":[0.3,0.54],"b":[0.3,0.31],"direction":"both"}],
            "zones":[{"id":"Z1","polygon":[[0.1,0.6],[0.4,0.6],[0.4,0.9],[0.1,0.9]]}]} (unknown keys are ignored).
            `frame` is the 0-based index of the frame in decode order; `time` is seconds from the first frame.
            --draw OUT.mp4 also writes every analysed frame with the foreground (magenta), blobs (gray),
            cut groups (orange) and joined pieces (blue), tracks (green confirmed, yellow tentative,
            dashed unseen) with id, size class and trail, the rules (flashing white when they fire)
            and the learnt person size (white bars at the left edge); see Docs/ref/replay.md.
            """)

    @Option(help: "Configuration file (with --camera).") var config: String?
    @Option(help: "Camera id in the configuration.") var camera: String?
    @Option(help: "Geometry JSON file (instead of --config/--camera).") var geometry: String?
    @Option(help: "Video file to analyse.") var input: String
    @Flag(help: "Print a summary (frames, events, frames per second) on stderr.") var summary = false
    @Option(help: ArgumentHelp("Also write the analysed frames, with what the analysis saw drawn on them, to this video file.", valueName: "OUT.mp4")) var draw: String?
    @Option(help: ArgumentHelp("Also write one JSON line per analysed frame with its tracks [id, foot x, foot y, width, height, confirmed, seen, class] and detections [foot x, foot y, width, height, 0 whole / 1 joined / 2 cut] to this file.", valueName: "FILE")) var trace: String?
    @Option(help: "Analysed frames per second (overrides the configuration or default).") var fps: Double?
    @Option(help: "Analysis width in pixels (overrides the configuration or default).") var width: Int?
    @Flag(help: "Decode with the deblocking filter (as a camera with skip_deblocking: false; the default skips it).") var deblock = false
    @Option(help: ArgumentHelp("Decode-on-demand as a camera does it: keyframes only while the scene is still (overrides the configuration or default, keyframes).", valueName: "keyframes|off")) var idleDecode: String?

    func validate() throws {
        if (config == nil) != (camera == nil) { throw ValidationError("--config and --camera go together") }
        if (config == nil) == (geometry == nil) { throw ValidationError("give either --config and --camera, or --geometry") }
        if let fps, !(0.2...30).contains(fps) { throw ValidationError("--fps must be between 0.2 and 30") }
        if let width, !(64...1920).contains(width) { throw ValidationError("--width must be between 64 and 1920") }
        if let idleDecode, !["keyframes", "off"].contains(idleDecode) { throw ValidationError("--idle-decode must be keyframes or off") }
    }

    func run() throws {
        var analysis = AnalysisSettings()
        var zones: [ZoneRule] = [], tripwires: [TripwireRule] = [], masks: [Polygon] = []
        var hazards: Set<String> = []
        var fireSmoke: [FireSmokeArea] = []
        var skipDeblocking = !deblock
        if let config, let camera {
            let loaded = try loadConfiguration(config)
            guard let cam = loaded.cameras.first(where: { $0.id == camera }) else {
                FileHandle.standardError.write(Data("gridwatchd: no camera '\(camera)' in \(config)\n".utf8))
                throw ExitCode(78)
            }
            analysis = cam.analysis
            skipDeblocking = cam.skipDeblocking && !deblock
            zones = cam.rules.analysisZones
            tripwires = cam.rules.analysisTripwires
            masks = cam.rules.analysisMask
            hazards = Set(cam.zones.filter { $0.purpose == .hazard }.map(\.id) + cam.tripwires.filter { $0.purpose == .hazard }.map(\.id))
            fireSmoke = cam.rules.fireSmokeAreas(wholePicture: cam.analysis.fireSmoke)
        } else if let geometry {
            do {
                let g = try Replay.geometryFile(path: geometry)
                (zones, tripwires, hazards, fireSmoke) = (g.zones, g.tripwires, g.hazards, g.fireSmoke)
            } catch {
                FileHandle.standardError.write(Data("gridwatchd: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
        // FFmpeg's own chatter (the encoder's statistics) stays out; its warnings, redacted, go to stderr.
        FFmpegLog.install(maxLevel: .warning) { _, line in
            FileHandle.standardError.write(Data("gridwatchd: ffmpeg: \(line.trimmingCharacters(in: .newlines))\n".utf8))
        }
        if let fps { analysis.setFPS(fps) }
        if let width { analysis.width = width }
        if let idleDecode { analysis.idleDecode = idleDecode == "keyframes" }
        do {
            var traceFile: FileHandle?
            if let trace {
                guard FileManager.default.createFile(atPath: trace, contents: nil), let handle = FileHandle(forWritingAtPath: trace) else {
                    FileHandle.standardError.write(Data("gridwatchd: cannot write \(trace)\n".utf8))
                    throw ExitCode(1)
                }
                traceFile = handle
            }
            defer { try? traceFile?.close() }
            let tracer: ((String) -> Void)? = traceFile.map { handle in { line in handle.write(Data((line + "\n").utf8)) } }
            let result = try Replay.run(input: input, analysis: analysis, zones: zones, tripwires: tripwires, motionMask: masks,
                                        integrity: analysis.integrity ? IntegritySettings() : nil, hazards: hazards, fireSmoke: fireSmoke, draw: draw, trace: tracer,
                                        skipDeblocking: skipDeblocking) { line in
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            }
            if summary {
                FileHandle.standardError.write(Data(String(
                    format: "decoded=%d skipped=%d keyframe_modes=%d woken_by_size=%d woken_by_analysis=%d rewinds=%d analysed=%d events=%d seconds=%.2f decoded_per_second=%.1f\n",
                    result.decoded, result.skipped, result.keyframeModes, result.wokenBySize, result.wokenByAnalysis, result.rewinds, result.analysed, result.events, result.seconds, Double(result.decoded) / max(result.seconds, 1e-9)).utf8))
            }
        } catch {
            FileHandle.standardError.write(Data("gridwatchd: cannot replay \(input): \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
