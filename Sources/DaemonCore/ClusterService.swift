import Cluster
import Foundation
import Logging
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import Storage
import Synchronization
import Tickets

/// A node among the daemons sharing one PostgreSQL store (Docs/design/cluster.md): its
/// cameras run under camera leases, the supervision and the outbox under job leases, and
/// its heartbeat says it is alive. Stopped gracefully, it stops its cameras, writes what
/// they raised, then lets its leases go (the last service of the group to stop); killed,
/// its leases run out and the other nodes take them.
final class ClusterService: Service, Sendable {
    let nodeID: String
    let database: LeaseDatabase
    let leases: PostgresLeases
    let cameraNode: ClusterNode
    let jobNode: ClusterNode
    let logger: Logger

    init(settings: PostgresSettings, nodeID: String, leaseTimeout: Double, cameras: CameraManager, cameraIDs: [String], jobs: JobGate,
         logger: Logger) throws {
        self.nodeID = nodeID
        self.logger = logger
        let tls: PostgresClient.Configuration.TLS = try settings.tlsConfiguration().map { .require($0) } ?? .disable
        var configuration = PostgresClient.Configuration(host: settings.host, port: settings.port, username: settings.user,
                                                         password: settings.password, database: settings.database, tls: tls)
        configuration.options.maximumConnections = 4
        database = LeaseDatabase { [configuration] in
            PostgresClient(configuration: configuration, backgroundLogger: Logger(label: "gridwatch.cluster.pg", factory: { _ in SwiftLogNoOpLogHandler() }))
        }
        // A grant lasts two thirds of `lease_timeout` and is renewed every sixth: a node that
        // dies right after a renewal loses its leases 2/3 of the timeout later, and the others'
        // next balancing (within a sixth) takes them, so its cameras run elsewhere within
        // 5/6 of `lease_timeout`. Its own watchdog stops them half a timeout after the last
        // renewal it sent: three renewals may fail before that.
        let period = leaseTimeout / 6
        leases = PostgresLeases(database: database, node: nodeID, timeout: leaseTimeout - 2 * period, logger: logger)
        let cpu = ProcessCPU()
        cameraNode = ClusterNode(leases: leases, kind: .camera, resources: cameraIDs, period: period, keepWhileAway: true, cpu: { cpu.cores() },
                                 logger: logger, start: { lease in cameras.grant(lease) }, stop: { lease in await cameras.revoke(lease) })
        jobNode = ClusterNode(leases: leases, kind: .job, resources: JobGate.all, period: period, heartbeats: false, logger: logger,
                              start: { lease in jobs.grant(lease.id) }, stop: { lease in jobs.revoke(lease.id) })
    }

    /// The stamp of an alert of camera `id`: the lease this node holds on it, or an epoch no
    /// grant has (refused) when it holds none.
    func stamp(_ id: String) -> LeaseStamp {
        guard let (lease, confirmed) = cameraNode.stamp(id) else { return LeaseStamp(node: nodeID, epoch: 0, confirmed: false) }
        return LeaseStamp(node: nodeID, epoch: lease.epoch, confirmed: confirmed)
    }

    func run() async throws {
        await withThrowingTaskGroup(of: Void.self) { outer in
            outer.addTask { await self.database.run() }
            var delay = 1.0
            while true {
                let pool = database.generation
                do {
                    // In a bounded time: a pool that cannot connect holds its requests.
                    try await databaseAnswer(within: 10) { [database, logger] in try await PostgresLeases.migrate(database.client, logger: logger) }
                    break
                } catch {
                    if LeaseDatabase.isUnanswered(error) { database.replace(failed: pool) }
                    logger.error("cluster: cannot prepare the lease tables; trying again", metadata: ["error": "\(describePostgresError(error))"])
                    try? await Task.sleep(for: .seconds(delay))
                    delay = min(5, delay * 2)
                    if Task.isCancelled || Task.isShuttingDownGracefully { outer.cancelAll(); return }
                }
            }
            logger.notice("cluster: node running", metadata: ["node": "\(nodeID)", "cameras": "\(cameraNode.resources.count)"])
            await withTaskGroup(of: Void.self) { nodes in
                nodes.addTask { await self.cameraNode.run() }
                nodes.addTask { await self.jobNode.run() }
                nodes.addTask { try? await gracefulShutdown() }
                // The shutdown (or a node's end) stops the others; they let their leases go.
                await nodes.next()
                nodes.cancelAll()
            }
            logger.notice("cluster: leases released", metadata: ["node": "\(nodeID)"])
            outer.cancelAll()
        }
    }

    // MARK: The API's view

    /// Every node as the database has it, with the cameras each holds.
    func nodes() async throws -> [NodeRow] {
        let (nodes, cameras) = (try await leases.nodes(), try await leases.leases(.camera))
        return nodes.map { node in
            var node = node
            node.held = cameras.filter { $0.holder == node.id && ($0.expiresIn ?? 0) > 0 }.count
            return node
        }
    }

    /// Every camera lease, by camera id.
    func cameraLeases() async throws -> [String: LeaseRow] {
        Dictionary(uniqueKeysWithValues: try await leases.leases(.camera).map { ($0.id, $0) })
    }

    /// Asks node `id` to hand its cameras over (`drain`) or to take cameras again.
    func setDraining(_ id: String, _ draining: Bool) async throws -> Bool {
        try await leases.setDraining(id, draining)
    }

    /// Removes node `id` from the list if it is not alive (not heard from within a lease's
    /// time, as `GET /v1/nodes` calls it `live: false`).
    func forget(_ id: String) async throws -> ForgetOutcome {
        try await leases.forget(id, silentFor: leases.timeout)
    }
}

/// The process's CPU use in cores, averaged since the last call.
final class ProcessCPU: Sendable {
    private let last = Mutex<(wall: Double, cpu: Double)?>(nil)

    func cores() -> Double? {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let wall = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
        return last.withLock { previous in
            defer { previous = (wall, cpu) }
            guard let p = previous, wall > p.wall else { return nil }
            return max(0, (cpu - p.cpu) / (wall - p.wall))
        }
    }
}
