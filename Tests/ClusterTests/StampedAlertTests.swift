import Cluster
import Foundation
import Logging
import PostgresNIO
import Storage
import Testing
import TestSupport
import Tickets

/// The store's side of fencing: an alert carries the lease it was raised under; one raised
/// within the time its renewal vouched for is written as it is, one raised after is written
/// only while nobody else has been granted the camera (`cluster_check_stamp`).
@Suite(.serialized) struct StampedAlertTests {
    func alert(_ kind: String, _ stamp: LeaseStamp) -> Alert {
        var a = Alert(cameraID: "gate", zoneID: nil, kind: kind, gridID: "village", category: .intrusion, severity: .medium,
                      title: .plain("gate \(kind)"), occurredAt: Date(), snapshotJPEG: nil)
        a.lease = stamp
        return a
    }

    @Test func anUnconfirmedAlertIsRefusedOnceAnotherNodeHasTheCamera() async throws {
        let (pg, database) = try await newClusterDatabase("stamps")
        let dir = try TemporaryDirectory("gw-stamps")
        defer { dir.remove() }
        let url = dir.url
        // Opening the store runs its migrations: seconds, blocking, so off the pool.
        let store = try await offPool {
            let store = try TicketStore(directory: url, location: .postgres(PostgresSettings(host: pg.host, port: pg.port, user: pg.user, database: database)))
            try store.syncTopology(grids: [GridRecord(id: "village", name: "东村", parentId: nil, level: "village")],
                                   cameras: [CameraRecord(id: "gate", name: "东门", gridId: "village", sourceRedacted: "file:gate")], zones: [])
            return store
        }
        let client = PostgresClient(
            configuration: .init(host: pg.host, port: pg.port, username: pg.user, password: nil, database: database, tls: .disable),
            backgroundLogger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await PostgresLeases.migrate(client)
            let a = PostgresLeases(client: client, node: "a", timeout: 1), b = PostgresLeases(client: client, node: "b", timeout: 1)
            try await a.register(.camera, ids: ["gate"])
            try await a.heartbeat(held: 0)
            try await b.heartbeat(held: 0)
            let held = try #require(try await a.claim(.camera, limit: 1).first)
            // Past a's deadline but nobody else has the camera (the database away for all): written.
            _ = try store.raise(alert("k1", LeaseStamp(node: "a", epoch: held.epoch, confirmed: false)), at: Date())
            while (try await a.leases(.camera).first?.expiresIn ?? 0) > 0 { try await client.query("SELECT pg_sleep(0.1)") }
            // Expired, still nobody else's: a's late alert is still the only record. Written.
            _ = try store.raise(alert("k2", LeaseStamp(node: "a", epoch: held.epoch, confirmed: false)), at: Date())
            let taken = try #require(try await b.claim(.camera, limit: 1).first)
            #expect(taken.epoch == held.epoch + 1)
            // b has it now: what a raised after its deadline is refused, not retried.
            #expect(throws: PostgresStoreError.self) {
                _ = try store.raise(alert("k3", LeaseStamp(node: "a", epoch: held.epoch, confirmed: false)), at: Date())
            }
            do {
                _ = try store.raise(alert("k3", LeaseStamp(node: "a", epoch: held.epoch, confirmed: false)), at: Date())
            } catch let PostgresStoreError.fenced(why) {
                #expect(why.contains("held by b"), "\(why)")
            }
            // What a raised while its lease still held (delivered late): nobody else saw it. Written.
            _ = try store.raise(alert("k4", LeaseStamp(node: "a", epoch: held.epoch, confirmed: true)), at: Date())
            // And b's own.
            _ = try store.raise(alert("k5", LeaseStamp(node: "b", epoch: taken.epoch, confirmed: false)), at: Date())
        }
        let rows = try pg.query(database, "SELECT kind, node_id, lease_epoch FROM tickets ORDER BY id")
        #expect(rows == ["k1|a|1", "k2|a|1", "k4|a|1", "k5|b|2"], "\(rows)")
    }
}
