import Analysis
import ArgumentParser
import DaemonCore
import Foundation
import GridwatchTools
import Storage

/// Bench and test tools: never installed, never part of the daemon. `make bench` and the
/// tests that load the ticket store run them from the build folder.
@main
struct GridwatchToolsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gridwatch-tools",
        abstract: "Benchmark and test tools for Gridwatch (not installed).",
        subcommands: [AnalysisBench.self, LoadTickets.self, ExplainTickets.self])
}

struct AnalysisBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analysis-bench",
        abstract: "Time the analysis alone on a video file (for make bench).",
        )

    @Option(help: "Video file.") var input: String
    @Option(help: "Analysis width in pixels.") var width = 320
    @Option(help: "Passes over the clip.") var passes = 3
    @Option(help: "Geometry JSON file: zones and tripwires evaluated on every frame (as replay takes it).") var geometry: String?
    @Option(help: "Milliseconds of sleep before each frame, not timed (100: frames as a 10 fps camera's analysis thread gets them, its caches gone cold in between).")
    var gapMs = 0.0

    func validate() throws {
        guard gapMs >= 0, gapMs <= 10_000 else { throw ValidationError("--gap-ms must be between 0 and 10000") }
    }

    func run() throws {
        let rules: (zones: [ZoneRule], tripwires: [TripwireRule]) = try geometry.map { try Replay.geometry(path: $0) } ?? ([], [])
        let r = try AnalysisBenchmark.run(input: input, width: width, passes: passes, zones: rules.zones, tripwires: rules.tripwires, gap: gapMs / 1000)
        print(String(format: "frames=%d size=%dx%d median_ms=%.4f mean_ms=%.4f p90_ms=%.4f scale_median_ms=%.4f integrity_mean_ms=%.4f fire_smoke_mean_ms=%.4f",
                     r.frames, r.width, r.height, r.medianMillis, r.meanMillis, r.p90Millis, r.scaleMedianMillis, r.integrityMeanMillis,
                     r.fireSmokeMeanMillis))
    }
}

struct LoadTickets: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load-tickets",
        abstract: "Raise tickets as fast as the store takes them (for tests and make bench).",
        )

    @Option(help: "Data directory (created if missing).") var dataDir: String
    @Option(help: "Tickets to raise.") var count = 1000
    @Option(help: "Bytes of evidence per ticket.") var evidenceBytes = 0
    @Option(help: "Spread the tickets' times over this many past days.") var spreadDays = 0.0
    @Flag(help: "Print 'created ID' after each ticket is committed.") var report = false
    @Option(help: "A notify destination whose outbox each ticket also goes into (repeatable).") var notify: [String] = []
    @Option(help: "Write to this PostgreSQL (postgresql://USER@HOST:PORT/DB) instead of the data directory's SQLite.") var postgres: String?
    @Option(help: "Camera ids prefix (several loaders on one database use their own).") var cameraPrefix = "load-cam"

    func run() throws {
        let location: StoreLocation = try postgres.map { .postgres(try PostgresSettings(url: $0)) } ?? .sqlite
        let result = try TicketLoad.run(
            directory: URL(fileURLWithPath: dataDir), location: location, count: count, evidenceBytes: evidenceBytes, spreadDays: spreadDays,
            notify: notify, cameraPrefix: cameraPrefix
        ) { id in
            // Written straight to the descriptor: once it is out, the ticket is on disk.
            if report { FileHandle.standardOutput.write(Data("created \(id)\n".utf8)) }
        }
        print(String(format: "tickets=%d seconds=%.3f per_second=%.1f", result.created, result.seconds, Double(result.created) / result.seconds))
    }
}

struct ExplainTickets: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain-tickets",
        abstract: "SQLite's plan for a GET /v1/tickets filter (for make bench).",
        )

    @Option(help: "Data directory.") var dataDir: String
    @Argument(help: "Query string as the API takes it, e.g. state=new&camera=c1.") var query = ""

    func run() throws {
        for line in try TicketQueryPlan.explain(dataDirectory: dataDir, parameters: query) { print(line) }
    }
}
