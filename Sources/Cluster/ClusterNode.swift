import Logging
import Synchronization

/// One node's side of the leases (Docs/design/cluster.md): announce itself, renew what it
/// holds, balance, and start and stop the work of each lease through `start` and `stop`.
///
/// Safety does not depend on the database answering: each lease has a local deadline, the
/// monotonic time its last successful renewal was *sent* plus the lease timeout less one
/// period, and a watchdog stops the lease's work at that deadline whatever the loop is
/// doing (waiting on a database that does not answer, say). The database expires the
/// lease from a later time (its own clock at commit), so the work stops first; the fence
/// catches anything written after.
public final class ClusterNode: Sendable {
    public typealias Work = @Sendable (Lease) async -> Void

    public let leases: PostgresLeases
    public let kind: LeaseKind
    /// The ids this node's configuration has (registered at start).
    public let resources: [String]
    /// Seconds between renewals and balancing (`lease_timeout / 6`).
    public let period: Double
    let start: Work
    let stop: Work
    let logger: Logger

    struct State {
        /// Lease -> the monotonic instant its work must have stopped by.
        var held: [Lease: ContinuousClock.Instant] = [:]
        var paused = false
    }
    let state = Mutex(State())

    public init(leases: PostgresLeases, kind: LeaseKind = .camera, resources: [String], period: Double? = nil,
                logger: Logger = Logger(label: "gridwatch.cluster"), start: @escaping Work, stop: @escaping Work) {
        self.leases = leases
        self.kind = kind
        self.resources = resources
        self.period = period ?? leases.timeout / 6
        self.logger = logger
        self.start = start
        self.stop = stop
    }

    /// The leases held now.
    public var held: [Lease] { state.withLock { Array($0.held.keys) }.sorted { $0.id < $1.id } }

    /// Stops renewing and balancing (the database still answers; the node does not ask),
    /// as a paused process would; for tests of what the watchdog and the fence do.
    public func setPaused(_ paused: Bool) { state.withLock { $0.paused = paused } }

    /// Runs until cancelled; then stops every lease's work and, with `release`, lets the
    /// leases go at once (a graceful shutdown; without, they run out, as a killed
    /// process's do).
    public func run(release: Bool = true) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.watchdog() }
            group.addTask { await self.loop() }
            await group.next()
            group.cancelAll()
        }
        // Not in this (cancelled) task: the releases must still reach the database.
        await Task { await self.shutdown(release: release) }.value
    }

    func loop() async {
        do {
            try await leases.register(kind, ids: resources)
            // Announce first, so that nodes starting together see each other before the
            // first claims.
            try await leases.heartbeat(held: 0)
            try await Task.sleep(for: .seconds(period))
        } catch {
            if Task.isCancelled { return }
            logger.warning("cluster: cannot register", metadata: ["error": "\(error)"])
        }
        while !Task.isCancelled {
            if !state.withLock({ $0.paused }) {
                do {
                    try await step()
                } catch {
                    logger.warning("cluster: cannot renew or balance; the leases run out unless renewed",
                                   metadata: ["error": "\(error)"])
                }
            }
            do { try await Task.sleep(for: .seconds(period)) } catch { return }
        }
    }

    /// One period: renew, drop what was lost, heartbeat, balance.
    func step() async throws {
        let clock = ContinuousClock()
        let mine = held
        let sent = clock.now
        let renewed = try await leases.renew(mine)
        let deadline = sent + .seconds(leases.timeout - period)
        var lost: [Lease] = []
        state.withLock { s in
            for lease in mine {
                if renewed.contains(lease) {
                    if s.held[lease] != nil { s.held[lease] = deadline }
                } else if s.held.removeValue(forKey: lease) != nil {
                    lost.append(lease)
                }
            }
        }
        for lease in lost {
            logger.notice("cluster: lease lost", metadata: ["id": "\(lease.id)", "epoch": "\(lease.epoch)"])
            await stop(lease)
        }
        try await leases.heartbeat(held: state.withLock { $0.held.count })
        let claimedAt = clock.now
        let (granted, _) = try await leases.balance(kind, held: held) { lease in
            // Stop first, then let go: never two nodes at work on one lease.
            if self.state.withLock({ $0.held.removeValue(forKey: lease) }) != nil { await self.stop(lease) }
        }
        for lease in granted {
            state.withLock { $0.held[lease] = claimedAt + .seconds(leases.timeout - period) }
            logger.notice("cluster: lease granted", metadata: ["id": "\(lease.id)", "epoch": "\(lease.epoch)"])
            await start(lease)
        }
    }

    /// Stops each lease's work at its local deadline, whatever the loop is waiting on.
    func watchdog() async {
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let now = clock.now
            let due = state.withLock { s -> [Lease] in
                let due = s.held.filter { $0.value <= now }.map(\.key)
                for lease in due { s.held[lease] = nil }
                return due
            }
            for lease in due {
                logger.warning("cluster: lease not renewed in time; its work stops before it can expire",
                               metadata: ["id": "\(lease.id)", "epoch": "\(lease.epoch)"])
                await stop(lease)
            }
            let next = state.withLock { $0.held.values.min() } ?? clock.now + .seconds(period)
            let wait = min(next, clock.now + .seconds(period))
            do { try await Task.sleep(until: wait, clock: clock) } catch { return }
        }
    }

    func shutdown(release: Bool) async {
        let mine = state.withLock { s -> [Lease] in
            let all = Array(s.held.keys)
            s.held = [:]
            return all
        }
        for lease in mine {
            await stop(lease)
            if release { _ = try? await leases.release(lease) }
        }
    }
}
