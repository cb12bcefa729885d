import Cluster
import Foundation
import Logging
import PostgresNIO
import Testing
import TestSupport

/// Leases and fencing on a real PostgreSQL server started by the test.
@Suite(.serialized) struct LeaseTests {
    func withDatabase(_ body: (PostgresClient) async throws -> Void) async throws {
        try await withClusterDatabase(body)
    }

    func write(_ client: PostgresClient, camera: String, node: String, epoch: Int64?) async throws {
        try await client.query("""
            INSERT INTO fenced_events (camera_id, node_id, lease_epoch, note) VALUES (\(camera), \(node), \(epoch), 'seen')
            """)
    }

    func cameras(_ n: Int) -> [String] { (0..<n).map { String(format: "cam%02d", $0) } }

    @Test func nodesClaimingAtOnceTakeEveryCameraExactlyOnce() async throws {
        try await withDatabase { client in
            let nodes = ["a", "b", "c"].map { PostgresLeases(client: client, node: $0) }
            try await nodes[0].register(.camera, ids: cameras(30))
            for node in nodes { try await node.heartbeat(held: 0) }
            // Twice as many asked for as there are: the claims overlap in time.
            let got = try await withThrowingTaskGroup(of: [Lease].self) { group in
                for node in nodes { group.addTask { try await node.claim(.camera, limit: 20) } }
                return try await group.reduce(into: [[Lease]]()) { $0.append($1) }
            }
            let ids = got.flatMap { $0.map(\.id) }
            #expect(ids.count == 30 && Set(ids).count == 30, "\(got.map(\.count))")
            #expect(got.flatMap { $0 }.allSatisfy { $0.epoch == 1 })
            let rows = try await nodes[0].leases(.camera)
            #expect(rows.allSatisfy { $0.holder != nil && ($0.expiresIn ?? 0) > 25 })
        }
    }

    @Test func anExpiredLeaseGoesToAnotherNodeAtANewEpochAndFencesTheOldHolder() async throws {
        try await withDatabase { client in
            let a = PostgresLeases(client: client, node: "a", timeout: 1), b = PostgresLeases(client: client, node: "b", timeout: 1)
            try await a.register(.camera, ids: ["gate"])
            try await a.heartbeat(held: 0)
            try await b.heartbeat(held: 0)
            let first = try #require(try await a.claim(.camera, limit: 1).first)
            #expect(first.epoch == 1)
            try await write(client, camera: "gate", node: "a", epoch: 1)
            // Held: nobody else gets it.
            #expect(try await b.claim(.camera, limit: 1).isEmpty)
            // a stops renewing (paused); the database's clock lets the lease run out.
            while (try await a.leases(.camera).first?.expiresIn ?? 0) > 0 {
                try await client.query("SELECT pg_sleep(0.1)")
            }
            // Expired, not yet taken: even its last holder may not write.
            await #expect(throws: (any Error).self) { try await write(client, camera: "gate", node: "a", epoch: 1) }
            let second = try #require(try await b.claim(.camera, limit: 1).first)
            #expect(second == Lease(kind: .camera, id: "gate", epoch: 2))
            // a wakes up: its renewal finds nothing, its write is refused as fenced.
            #expect(try await a.renew([first]).isEmpty)
            do {
                try await write(client, camera: "gate", node: "a", epoch: 1)
                Issue.record("a's write under the lost lease was accepted")
            } catch {
                let fenced = try #require(FencedWrite.from(error), "\(String(reflecting: error))")
                #expect(fenced.message.contains("held by b at epoch 2"), "\(fenced)")
            }
            // b writes; a person's action (no epoch) is never fenced.
            try await write(client, camera: "gate", node: "b", epoch: 2)
            try await write(client, camera: "gate", node: "operator", epoch: nil)
            let written = try await client.query("SELECT node_id FROM fenced_events ORDER BY id")
            var writers: [String] = []
            for try await node in written.decode(String.self) { writers.append(node) }
            #expect(writers == ["a", "b", "operator"])
            #expect(try await b.renew([second]) == [second])
        }
    }

    @Test func aReleasedLeaseIsFreeAndOnlyItsHolderMayReleaseIt() async throws {
        try await withDatabase { client in
            let a = PostgresLeases(client: client, node: "a"), b = PostgresLeases(client: client, node: "b")
            try await a.register(.job, ids: ["escalation"])
            try await a.heartbeat(held: 0)
            try await b.heartbeat(held: 0)
            let lease = try #require(try await a.claim(.job, limit: 1).first)
            #expect(try await !b.release(lease))
            #expect(try await a.release(lease))
            #expect(try await a.leases(.job).first?.holder == nil)
            #expect(try await b.claim(.job, limit: 1).first?.epoch == 2)
        }
    }

    @Test func aNodeThatFellSilentCanBeForgottenAndWhatItHeldGoesFree() async throws {
        try await withDatabase { client in
            let a = PostgresLeases(client: client, node: "a", timeout: 1), b = PostgresLeases(client: client, node: "b", timeout: 1)
            try await a.register(.camera, ids: ["gate", "road"])
            try await a.heartbeat(held: 0)
            try await b.heartbeat(held: 0)
            let held = try await a.claim(.camera, limit: 2)
            #expect(held.count == 2)
            // Heard from just now: not forgotten. Unknown: said so.
            let live = try await b.forget("a", silentFor: 1)
            if case .live = live {} else { Issue.record("a live node was forgotten: \(live)") }
            #expect(try await b.nodes().map(\.id) == ["a", "b"])
            #expect(try await b.forget("nobody", silentFor: 1) == .unknown)
            // a falls silent (killed): a second on, it may be forgotten, its leases freed.
            while (try await b.nodes().first { $0.id == "a" }?.heartbeatAge ?? 0) < 1 {
                try await client.query("SELECT pg_sleep(0.1)")
            }
            #expect(try await b.forget("a", silentFor: 1) == .forgotten(leasesFreed: 2))
            #expect(try await b.nodes().map(\.id) == ["b"])
            #expect(try await b.leases(.camera).allSatisfy { $0.holder == nil })
            // What it might still write under them is refused, stamped or fenced.
            await #expect(throws: (any Error).self) { try await write(client, camera: held[0].id, node: "a", epoch: held[0].epoch) }
            await #expect(throws: (any Error).self) {
                // The function's refusal comes with its row: read it.
                for try await _ in try await client.query("SELECT cluster_check_stamp('camera', \(held[0].id), 'a', \(held[0].epoch))") {}
            }
            // The others claim them at the next epoch; a started again registers again. (A
            // refused write holds its lease row until its transaction is aborted, which the
            // server finishes after sending the error: a claim on another connection at that
            // moment skips the row as locked, and takes it at the next try.)
            var claimed: [Lease] = []
            for _ in 0..<50 where claimed.count < 2 {
                claimed += try await b.claim(.camera, limit: 2 - claimed.count)
                if claimed.count < 2 { try await client.query("SELECT pg_sleep(0.05)") }
            }
            #expect(claimed.map(\.epoch).sorted() == held.map { $0.epoch + 1 }.sorted())
            try await a.heartbeat(held: 0)
            #expect(try await b.nodes().map(\.id) == ["a", "b"])
        }
    }

    @Test func threeNodesBalanceAndADrainingNodeHandsItsCamerasOver() async throws {
        try await withDatabase { client in
            let nodes = ["a", "b", "c"].map { PostgresLeases(client: client, node: $0) }
            try await nodes[0].register(.camera, ids: cameras(10))
            var held: [String: [Lease]] = [:]
            // Nodes starting together announce themselves before their first claim.
            for node in nodes { try await node.heartbeat(held: 0) }
            func period() async throws {
                for node in nodes {
                    try await node.heartbeat(held: held[node.node, default: []].count)
                    let (granted, released, _) = try await node.balance(.camera, held: held[node.node, default: []]) { _ in }
                    held[node.node, default: []].removeAll { released.contains($0) }
                    held[node.node, default: []] += granted
                }
            }
            for _ in 0..<3 { try await period() }
            var loads = nodes.map { held[$0.node, default: []].count }
            #expect(loads.reduce(0, +) == 10 && loads.max()! - loads.min()! <= 1, "\(loads)")
            let rows = try await nodes[0].leases(.camera)
            #expect(Set(rows.compactMap(\.holder)) == ["a", "b", "c"] && rows.allSatisfy { $0.holder != nil })
            // Drain c: one camera a period goes, and none is left without a holder.
            #expect(try await nodes[0].setDraining("c", true))
            #expect(try await !nodes[0].setDraining("nobody", true))
            let before = held["c", default: []].count
            for expected in (0..<before).reversed() {
                try await period()
                #expect(held["c", default: []].count == expected)
                // Only the camera just let go waits, until the next period's claims.
                #expect(try await nodes[0].leases(.camera).filter { $0.holder == nil }.count <= 1)
            }
            try await period()
            loads = nodes.map { held[$0.node, default: []].count }
            #expect(loads == [5, 5, 0], "\(loads)")
            let listed = try await nodes[0].nodes()
            #expect(listed.map(\.id) == ["a", "b", "c"] && listed[2].draining && listed.allSatisfy { $0.heartbeatAge < 5 })
        }
    }
}
