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
    public var resources: [String] { state.withLock { $0.resources } }
    /// Seconds between renewals and balancing (`lease_timeout / 6`).
    public let period: Double
    let start: Work
    let stop: Work
    let logger: Logger

    struct State {
        /// Lease -> the monotonic instant its work must have stopped by.
        var held: [Lease: ContinuousClock.Instant] = [:]
        /// Past their deadline while the database is away: kept at work, their writes
        /// unconfirmed (`LeaseStamp.confirmed` false) until a renewal answers.
        var unconfirmed: Set<Lease> = []
        var paused = false
        /// When the loop last tried the database, and whether that failed.
        var lastAttempt: ContinuousClock.Instant?
        var lastFailed = false
        /// A renewal is on its way (waiting for the database, perhaps).
        var attempting = false
        var takeovers = 0
        /// The ids the configuration has now, and whether they changed since registered.
        var resources: [String] = []
        var resourcesChanged = false
        /// After the database was away: no claims until then, so that every node has had
        /// time to come back and renew what it holds before anyone takes what looks free.
        var quietUntil: ContinuousClock.Instant?
        /// When the first attempt of the current run of failures was made.
        var awaySince: ContinuousClock.Instant?
    }
    /// Grants without claims after the database was away: time for every other node to
    /// come back and renew what it holds, with margin for one slowed by a busy machine
    /// (Docs/design/cluster.md). Counted from the first period that reaches the database.
    static let quietGrants = 3.0

    /// Whether work goes on past a lease's deadline while the database does not answer
    /// (`keepWhileAway`); see `watchdog`.
    public let keepWhileAway: Bool
    /// Whether this loop keeps the node's row alive (one loop per node does; a second, for
    /// jobs, need not).
    let heartbeats: Bool
    /// The node's CPU use in cores, for its heartbeat.
    let cpu: @Sendable () -> Double?
    let state = Mutex(State())

    public init(leases: PostgresLeases, kind: LeaseKind = .camera, resources: [String], period: Double? = nil,
                keepWhileAway: Bool = false, heartbeats: Bool = true, cpu: @escaping @Sendable () -> Double? = { nil },
                logger: Logger = Logger(label: "gridwatch.cluster"), start: @escaping Work, stop: @escaping Work) {
        self.leases = leases
        self.keepWhileAway = keepWhileAway
        self.heartbeats = heartbeats
        self.cpu = cpu
        self.kind = kind
        state.withLock { $0.resources = resources }
        self.period = period ?? leases.timeout / 6
        self.logger = logger
        self.start = start
        self.stop = stop
    }

    /// The leases held now.
    public var held: [Lease] { state.withLock { Array($0.held.keys) }.sorted { $0.id < $1.id } }

    /// The lease held on `id` and whether its last renewal still vouches for it (no other
    /// node can have been granted it yet); nil when not held.
    public func stamp(_ id: String) -> (lease: Lease, confirmed: Bool)? {
        let now = ContinuousClock().now
        return state.withLock { s in
            guard let (lease, deadline) = s.held.first(where: { $0.key.id == id }) else { return nil }
            return (lease, deadline > now && !s.unconfirmed.contains(lease))
        }
    }

    /// The configuration's ids changed (a reload): new ones get rows at the next period;
    /// leases of ids no longer configured are stopped and let go there.
    public func setResources(_ ids: [String]) {
        state.withLock { s in
            if s.resources != ids {
                s.resources = ids
                s.resourcesChanged = true
            }
        }
    }

    /// Leases granted that another node held before (its work taken over), since start.
    public var takeovers: Int { state.withLock { $0.takeovers } }

    /// Leases kept at work past their deadline while the database is away.
    public var unconfirmedCount: Int { state.withLock { $0.unconfirmed.count } }

    /// Whether the last attempt to reach the database failed.
    public var databaseAway: Bool { state.withLock { $0.lastFailed } }

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
            try await leases.heartbeat(held: 0, cpu: cpu())
            try await Task.sleep(for: .seconds(period))
        } catch {
            if Task.isCancelled { return }
            logger.warning("cluster: cannot register", metadata: ["error": "\(error)"])
        }
        while !Task.isCancelled {
            if !state.withLock({ $0.paused }) {
                state.withLock {
                    $0.lastAttempt = ContinuousClock().now
                    $0.attempting = true
                }
                defer { state.withLock { $0.attempting = false } }
                let pool = leases.database.generation
                do {
                    // A database that does not answer (a pool waiting for a connection) counts
                    // as one that refused: the watchdog must know the loop is alive.
                    try await databaseAnswer(within: max(1, period * 2)) { try await self.step() }
                    let awayFor = state.withLock { s -> Duration? in
                        defer { s.lastFailed = false; s.awaySince = nil }
                        guard s.lastFailed else { return nil }
                        return s.awaySince.map { ContinuousClock().now - $0 }
                    }
                    if let awayFor {
                        logger.notice("cluster: the database answers again; no claims for three grants",
                                      metadata: ["away": "\(String(format: "%.1f", awayFor / .seconds(1))) s", "pools": "\(leases.database.replaced)"])
                    }
                } catch {
                    state.withLock { s in
                        if !s.lastFailed { s.awaySince = s.lastAttempt }
                        s.lastFailed = true
                    }
                    // The pool's wait between attempts to connect grows with the outage;
                    // a fresh one tries at once (`LeaseDatabase`).
                    if LeaseDatabase.isUnanswered(error) { leases.database.replace(failed: pool) }
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
        let (resources, changed) = state.withLock { s in
            defer { s.resourcesChanged = false }
            return (s.resources, s.resourcesChanged)
        }
        if changed {
            try await leases.register(kind, ids: resources)
            // Leases of what is no longer configured: stopped, then let go.
            let wanted = Set(resources)
            for lease in held where !wanted.contains(lease.id) {
                await stopHeld(lease)
                _ = try? await leases.release(lease)
            }
        }
        let mine = held
        let sent = clock.now
        let renewed = try await leases.renew(mine)
        let deadline = sent + .seconds(leases.timeout - period)
        var lost: [Lease] = []
        state.withLock { s in
            for lease in mine {
                if renewed.contains(lease) {
                    if s.held[lease] != nil { s.held[lease] = deadline }
                    s.unconfirmed.remove(lease)
                } else if s.held.removeValue(forKey: lease) != nil {
                    s.unconfirmed.remove(lease)
                    lost.append(lease)
                }
            }
        }
        for lease in lost {
            logger.notice("cluster: lease lost", metadata: ["id": "\(lease.id)", "epoch": "\(lease.epoch)"])
            await stop(lease)
        }
        if heartbeats { try await leases.heartbeat(held: state.withLock { $0.held.count }, cpu: cpu()) }
        // The first period that reaches the database after it was away starts the quiet
        // time, before its own balancing: the others may not have renewed yet.
        let quiet = state.withLock { s -> ContinuousClock.Instant? in
            if s.lastFailed { s.quietUntil = clock.now + .seconds(Self.quietGrants * leases.timeout) }
            return s.quietUntil
        }
        if let quiet, clock.now < quiet { return }
        let claimedAt = clock.now
        let (granted, _, tookOver) = try await leases.balance(kind, held: held, only: resources) { lease in
            // Stop first, then let go: never two nodes at work on one lease.
            await self.stopHeld(lease)
        }
        state.withLock { $0.takeovers += tookOver }
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
            let keep = keepWhileAway
            let period = self.period
            let (due, kept) = state.withLock { s -> ([Lease], [Lease]) in
                let late = s.held.filter { $0.value <= now && !s.unconfirmed.contains($0.key) }.map(\.key)
                // The loop is running and the database does not answer it: nobody can be
                // granted these leases while it is away for everyone; if it is away for this
                // node only, what the work writes is unconfirmed and refused once another
                // node holds them. A loop that is not running (a paused process) stops them.
                let looping = s.lastAttempt.map { now - $0 < .seconds(max(6 * period, 8)) } ?? false
                if keep && (s.lastFailed || s.attempting) && looping {
                    for lease in late { s.unconfirmed.insert(lease) }
                    return ([], late)
                }
                for lease in late { s.held[lease] = nil }
                return (late, [])
            }
            for lease in kept {
                logger.warning("cluster: database away past the lease's deadline; work goes on, its alerts unconfirmed",
                               metadata: ["id": "\(lease.id)", "epoch": "\(lease.epoch)"])
            }
            for lease in due {
                logger.warning("cluster: lease not renewed in time; its work stops before it can expire",
                               metadata: ["id": "\(lease.id)", "epoch": "\(lease.epoch)"])
                await stop(lease)
            }
            let next = state.withLock { s in s.held.filter { !s.unconfirmed.contains($0.key) }.values.min() } ?? clock.now + .seconds(period)
            let wait = min(next, clock.now + .seconds(period))
            do { try await Task.sleep(until: wait, clock: clock) } catch { return }
        }
    }

    func shutdown(release: Bool) async {
        let mine = state.withLock { Array($0.held.keys) }
        for lease in mine {
            await stopHeld(lease)
            if release { _ = try? await leases.release(lease) }
        }
    }

    /// A lease this node lets go of (no longer configured, handed over, shutting down): its
    /// work is stopped while the lease is still held, so what the work raises as it stops
    /// (the frames it had in hand) carries the lease rather than a stamp every node refuses;
    /// then it is forgotten. A lease lost or run out is forgotten first instead.
    private func stopHeld(_ lease: Lease) async {
        guard state.withLock({ $0.held[lease] }) != nil else { return }
        await stop(lease)
        state.withLock { s in
            s.held[lease] = nil
            s.unconfirmed.remove(lease)
        }
    }
}

/// The database did not answer within the time allowed.
public struct DatabaseTimeout: Error, CustomStringConvertible {
    public var description: String { "the database did not answer in time" }
}

/// `work`'s answer, or `DatabaseTimeout` after `seconds`: a database that does not answer
/// must not hold up a node's renewals or a listing of the API. `work` is cancelled then.
public func databaseAnswer<T: Sendable>(within seconds: Double, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await work() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw DatabaseTimeout()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
