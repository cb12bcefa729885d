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
    @Test func alertsThatComeWhileTheServerIsSilentAreKeptAtOnceAndWrittenLater() async throws {
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
        settings.answerWithin = 2
        let store = try TicketStore(directory: dir.url, location: .postgres(settings))
        try store.syncTopology(config)
        let spool = try AlertSpool(path: dir.path(AlertSpool.fileName))
        let (commands, continuation) = AsyncStream.makeStream(of: TicketCommand.self)
        let tickets = TicketService(store: store, commands: commands, settings: config.tickets, events: EventHub(), logger: Logger(label: "test"),
                                    spool: spool)
        let running = Task { await tickets.run() }
        defer { running.cancel() }
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        func alert(_ i: Int) -> TicketCommand {
            .alert(Alert(cameraID: "c", zoneID: i % 2 == 0 ? "z" : nil, trackID: i, gridID: "village", category: .intrusion, severity: .medium,
                         title: .plain("alert \(i)"), occurredAt: start.addingTimeInterval(Double(i)), snapshotJPEG: nil))
        }

        try pg.pause()
        let paused = Date()
        for i in 0..<5 { continuation.yield(alert(i)) }
        // The first write waits for its answer (and a new connection's) and fails; the four
        // behind it are kept without a try each (20 s and more if they were not).
        let kept = waitUntil(timeout: 30) { tickets.health.pending == 5 }
        let took = Date().timeIntervalSince(paused)
        try pg.resume()
        #expect(kept, "pending: \(tickets.health.pending)")
        #expect(took < 12, "five alerts kept in \(took) s")
        #expect(tickets.health.lastError?.contains("unavailable") == true, "\(String(describing: tickets.health.lastError))")

        // The periodic pass writes them once the server answers: one ticket a zone, in order.
        #expect(waitUntil(timeout: 30) { tickets.health.pending == 0 && tickets.health.lastError == nil }, "\(tickets.health)")
        let written = try store.tickets().sorted { $0.id! < $1.id! }
        #expect(written.count == 2 && written.map(\.occurrences).reduce(0, +) == 5, "\(written.map { ($0.zoneId, $0.occurrences) })")
        #expect(written.first?.trackId == 0, "\(written.map(\.trackId))")
        continuation.finish()
    }
}
