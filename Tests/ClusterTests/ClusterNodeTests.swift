import Cluster
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing
import TestSupport

/// Who is at work on which camera, as the nodes' start and stop report it; any start of a
/// camera another node is still at work on is recorded.
final class WorkLog: Sendable {
    let state = Mutex<(running: [String: (node: String, lease: Lease)], overlaps: [String], starts: Int)>(([:], [], 0))

    func work(for node: String) -> (start: ClusterNode.Work, stop: ClusterNode.Work) {
        ({ lease in
            self.state.withLock { s in
                if let other = s.running[lease.id], other.node != node {
                    s.overlaps.append("\(lease.id): \(node) started while \(other.node) was at work")
                }
                s.running[lease.id] = (node, lease)
                s.starts += 1
            }
        }, { lease in
            self.state.withLock { s in
                if s.running[lease.id]?.node == node { s.running[lease.id] = nil }
            }
        })
    }

    func running(on node: String? = nil) -> [String] {
        state.withLock { s in s.running.filter { node == nil || $0.value.node == node }.map(\.key).sorted() }
    }
    var overlaps: [String] { state.withLock { $0.overlaps } }
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass; whether it held.
func eventually(within seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let end = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < end {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// Nodes with their renewal loops and watchdogs, on a real PostgreSQL server.
@Suite(.serialized) struct ClusterNodeTests {
    /// Grants of 4 s: short for a test, long against the scheduling delays of a machine
    /// busy with make test's other processes (a 2 s grant's take-over read 6.7 s there).
    let timeout = 4.0

    func withNodes(_ names: [String], cameras: Int, _ body: (PostgresClient, [String: ClusterNode], WorkLog, [String: Task<Void, Never>]) async throws -> Void) async throws {
        let log = WorkLog()
        try await withClusterDatabase { client in
            let ids = (0..<cameras).map { String(format: "cam%02d", $0) }
            var nodes: [String: ClusterNode] = [:]
            var tasks: [String: Task<Void, Never>] = [:]
            for name in names {
                let work = log.work(for: name)
                let node = ClusterNode(leases: PostgresLeases(client: client, node: name, timeout: timeout), resources: ids,
                                       start: work.start, stop: work.stop)
                nodes[name] = node
            }
            for (name, node) in nodes { tasks[name] = Task { await node.run(release: false) } }
            defer { for task in tasks.values { task.cancel() } }
            try await body(client, nodes, log, tasks)
            for task in tasks.values { task.cancel() }
            for task in tasks.values { await task.value }
        }
    }

    @Test func everyCameraRunsOnOneNodeAndAKilledNodesCamerasAreTakenOverWithinTheTimeout() async throws {
        try await withNodes(["a", "b", "c"], cameras: 9) { _, nodes, log, tasks in
            #expect(await eventually(within: 10) { log.running().count == 9 })
            #expect(await eventually(within: 10) { ["a", "b", "c"].allSatisfy { log.running(on: $0).count == 3 } },
                    "\(["a", "b", "c"].map { log.running(on: $0).count })")
            // b dies: its work stops with it, its leases are left to run out.
            let killed = ContinuousClock.now
            tasks["b"]!.cancel()
            await tasks["b"]!.value
            #expect(log.running(on: "b").isEmpty && log.running().count == 6)
            #expect(await eventually(within: 3 * timeout + 5) { log.running().count == 9 })
            let takeover = ContinuousClock.now - killed
            // Not before b's leases can have run out (its last renewal, at most a period
            // before the kill, plus the timeout); soon after (a period or two of claiming,
            // more when the machine is busy with other tests).
            #expect(takeover > .seconds(timeout - timeout / 6 - 0.1), "took over before b's leases could expire: \(takeover)")
            #expect(takeover < .seconds(3 * timeout), "took \(takeover)")
            #expect(log.overlaps.isEmpty, "\(log.overlaps)")
            _ = nodes
        }
    }

    /// A camera stopping finishes the frames it had in hand (a batch) and may raise alerts
    /// from them: at a shutdown they carry the lease it still holds, not a stamp every
    /// node refuses.
    @Test func workStoppingAtAShutdownStillHoldsItsLease() async throws {
        try await withClusterDatabase { client in
            let node = Mutex<ClusterNode?>(nil)
            let seen = Mutex<[String: Int64?]>([:])
            let started = Mutex(0)
            let a = ClusterNode(leases: PostgresLeases(client: client, node: "a", timeout: timeout), resources: ["cam00", "cam01"],
                                start: { _ in started.withLock { $0 += 1 } },
                                stop: { lease in
                                    let stamp = node.withLock { $0 }?.stamp(lease.id)
                                    seen.withLock { _ = $0.updateValue(stamp.map { $0.lease.epoch }, forKey: lease.id) }
                                })
            node.withLock { $0 = a }
            let task = Task { await a.run(release: true) }
            #expect(await eventually(within: 10) { started.withLock { $0 } == 2 })
            let held = a.held
            task.cancel()
            await task.value
            #expect(seen.withLock { $0 }.count == 2)
            for lease in held {
                #expect(seen.withLock { $0[lease.id] } == .some(lease.epoch), "\(lease.id) stopped without its lease: \(seen.withLock { $0 })")
            }
            #expect(a.held.isEmpty)
        }
    }

    @Test func aPausedNodeStopsItsCamerasBeforeItsLeasesRunOutAndItsLateWriteIsFenced() async throws {
        try await withNodes(["a", "b"], cameras: 4) { client, nodes, log, _ in
            #expect(await eventually(within: 10) { log.running(on: "a").count == 2 && log.running(on: "b").count == 2 })
            let lost = nodes["a"]!.held
            nodes["a"]!.setPaused(true)
            let paused = ContinuousClock.now
            // a's watchdog stops its cameras before the database lets b have them.
            #expect(await eventually(within: timeout + 1) { log.running(on: "a").isEmpty })
            let stopped = ContinuousClock.now - paused
            #expect(stopped < .seconds(timeout), "a stopped after \(stopped)")
            #expect(await eventually(within: timeout + 5) { log.running(on: "b").count == 4 })
            #expect(log.overlaps.isEmpty, "\(log.overlaps)")
            // a wakes up: what it writes under its old leases is refused, and it holds nothing.
            nodes["a"]!.setPaused(false)
            for lease in lost {
                do {
                    try await client.query("""
                        INSERT INTO fenced_events (camera_id, node_id, lease_epoch) VALUES (\(lease.id), 'a', \(lease.epoch))
                        """)
                    Issue.record("a's write for \(lease.id) under epoch \(lease.epoch) was accepted")
                } catch {
                    #expect(FencedWrite.from(error) != nil, "\(String(reflecting: error))")
                }
            }
            #expect(await eventually(within: 5) { nodes["a"]!.held.isEmpty || nodes["a"]!.held.allSatisfy { l in !lost.contains(l) } })
            #expect(log.overlaps.isEmpty, "\(log.overlaps)")
        }
    }
}
