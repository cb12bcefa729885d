@testable import DaemonCore
import Foundation
import Logging
import Storage
import Testing
import TestSupport
import Tickets

/// The ticket service on a real PostgreSQL server that stops answering (SIGSTOP): each write
/// waits `answer_within` before it fails, so alerts that come meanwhile must be kept at once
/// (in the spool), not each held behind a try of its own; once the server answers, all are
/// written, in order.
@Suite struct TicketServiceOutageTests {
    @Test func alertsThatComeWhileTheServerIsSilentAreKeptAtOnceAndWrittenLater() throws {
        let pg = try PostgresServer()
        defer { pg.stop() }
        let dir = try TemporaryDirectory("gw-silent")
        defer { dir.remove() }
        let config = try GridwatchConfig.parse(text: """
            grids:
              - id: village
                name: 东村
            cameras:
              - id: c
                grid: village
                source: rtsp://127.0.0.1:9/none
                zones:
                  - id: z
                    polygon: [[0, 0], [1, 0], [1, 1]]
            """, file: dir.path("gw.yml"))
        var settings = PostgresSettings(host: pg.host, port: pg.port, user: pg.user, database: try pg.createDatabase("silent"))
        settings.answerWithin = 3
        let store = try TicketStore(directory: dir.url, location: .postgres(settings))
        try store.syncTopology(config)
        let spool = try AlertSpool(path: dir.path(AlertSpool.fileName))
        let (commands, continuation) = AsyncStream.makeStream(of: TicketCommand.self)
        defer { continuation.finish() }
        let tickets = TicketService(store: store, commands: commands, settings: config.tickets, events: EventHub(), logger: Logger(label: "test"),
                                    spool: spool)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        func alert(_ i: Int) -> TicketCommand {
            .alert(Alert(cameraID: "c", zoneID: i % 2 == 0 ? "z" : nil, trackID: i, gridID: "village", category: .intrusion, severity: .medium,
                         title: .plain("alert \(i)"), occurredAt: start.addingTimeInterval(Double(i)), snapshotJPEG: nil))
        }

        // The service's steps called as its loop calls them (`handle` for each alert that
        // comes, `periodic` every few seconds), on this thread: the test does not depend on
        // the concurrency pool, which the other tests of the process keep busy.
        try pg.pause()
        let paused = Date()
        for i in 0..<5 { tickets.handle(alert(i)) }
        // The first write waits for its answer and fails; the four behind it are kept
        // without a try each (23 s when each tried the store).
        let took = Date().timeIntervalSince(paused)
        try pg.resume()
        print("ticket service: five alerts kept in \(String(format: "%.1f", took)) s with the server silent (answer_within 3 s)")
        #expect(tickets.health.pending == 5, "pending: \(tickets.health.pending)")
        #expect(took < 9, "five alerts kept in \(took) s")
        #expect(tickets.health.lastError?.contains("unavailable") == true, "\(String(describing: tickets.health.lastError))")

        // The periodic pass writes them once the server answers: one ticket a zone, in order.
        tickets.periodic(now: Date())
        #expect(tickets.health.pending == 0 && tickets.health.lastError == nil, "\(tickets.health)")
        let written = try store.tickets().sorted { $0.id! < $1.id! }
        #expect(written.count == 2 && written.map(\.occurrences).reduce(0, +) == 5, "\(written.map { ($0.zoneId, $0.occurrences) })")
        #expect(written.first?.trackId == 0, "\(written.map(\.trackId))")
    }
}
