import Foundation
import Storage
import Synchronization
import Testing
import TestSupport
import Tickets

/// The store's PostgreSQL connections across a restart of the server and a server that stops
/// answering: every call comes back, with rows or with `unavailable`, never waits for ever.
/// A server of their own: the shared one of the other tests is never stopped.
@Suite(.serialized) struct PostgresOutageTests {
    /// Runs `body` on a thread of its own and waits for its result at most `seconds`; nil if
    /// it has not come back by then (it is left running: the test fails either way).
    private func within<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () throws -> T) -> Result<T, any Error>? {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<T, any Error>?>(nil)
        Thread {
            let r = Result { try body() }
            result.withLock { $0 = r }
            done.signal()
        }.start()
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        return result.withLock { $0 }
    }

    private func store(on pg: PostgresServer, _ dir: TemporaryDirectory, answerWithin: Double = 30) throws -> TicketStore {
        var settings = PostgresSettings(host: pg.host, port: pg.port, user: pg.user, database: try pg.createDatabase("outage"))
        settings.answerWithin = answerWithin
        let store = try TicketStore(directory: dir.url, location: .postgres(settings))
        try store.syncTopology(
            grids: [GridRecord(id: "village", name: "东村", parentId: nil, level: "village")],
            cameras: [CameraRecord(id: "cam1", name: "东门", gridId: "village", sourceRedacted: "rtsp://10.0.0.2/1")],
            zones: [ZoneRecord(cameraId: "cam1", id: "z1", name: "河堤", gridId: nil, polygon: "[[0,0],[1,0],[1,1]]")])
        return store
    }

    /// The connections a read and a write left idle die with the server; after it is back,
    /// the next read and write reconnect (PostgresNIO drops a query sent on a closed
    /// connection without failing it: sent as it was, the read waited for ever).
    @Test func readsAndWritesComeBackAfterTheServerRestarts() throws {
        let pg = try PostgresServer()
        defer { pg.stop() }
        let dir = try TemporaryDirectory("gw-pg-outage")
        defer { dir.remove() }
        let store = try store(on: pg, dir)
        _ = try store.raise(alert(), at: Date())
        #expect(try store.tickets().count == 1)

        try pg.halt()
        let down = within(20) { try store.tickets().count }
        #expect(down != nil, "a read while the server is away never came back")
        if case .success? = down { Issue.record("a read succeeded with the server away") }
        try pg.start()

        let read = within(20) { try store.tickets().count }
        #expect(read.map { (try? $0.get()) == 1 } == true, "read after the restart: \(String(describing: read))")
        let write = within(20) { try store.raise(alert(zone: nil), at: Date()).ticket.id }
        #expect(write.map { (try? $0.get()) != nil } == true, "write after the restart: \(String(describing: write))")
        #expect(try store.tickets().count == 2)
    }

    /// A server that takes the connection and then says nothing (stopped, or the network
    /// between gone): the call fails as unavailable once `answer_within` has passed, and
    /// works again once the server answers.
    @Test func aServerThatStopsAnsweringFailsTheCallInTime() throws {
        let pg = try PostgresServer()
        defer { pg.stop() }
        let dir = try TemporaryDirectory("gw-pg-silent")
        defer { dir.remove() }
        let store = try store(on: pg, dir, answerWithin: 2)
        _ = try store.raise(alert(), at: Date())
        #expect(try store.tickets().count == 1)

        try pg.pause()
        let started = Date()
        let read = within(20) { try store.tickets().count }
        let write = within(20) { try store.raise(alert(zone: nil), at: Date()).ticket.id }
        let took = Date().timeIntervalSince(started)
        try pg.resume()
        #expect(read != nil && write != nil, "a call to a silent server never came back")
        for result in [read.map { $0.map { Int64($0) } }, write.map { $0.map { $0 ?? 0 } }] {
            guard case let .failure(error)? = result else { Issue.record("succeeded with the server silent: \(String(describing: result))"); continue }
            #expect("\(error)".contains("unavailable"), "\(error)")
        }
        #expect(took < 12, "took \(took) s")

        let again = within(20) { try store.tickets().count }
        #expect(again.map { (try? $0.get()) == 1 } == true, "\(String(describing: again))")
    }
}
