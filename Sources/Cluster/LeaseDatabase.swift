import Logging
import PostgresNIO
import Synchronization

/// The PostgreSQL pool the leases go through, replaced by a fresh one when the database
/// has stopped answering.
///
/// PostgresNIO's pool waits longer and longer between attempts to connect (100 ms, a
/// quarter more each time, up to a minute) and takes no request past that wait. After
/// 30 s without the database a node could thus reconnect up to 9 s after the database is
/// back, and the other nodes, back sooner, would see its leases expired and its heartbeat
/// stale when their quiet time after the outage ends, and take its cameras (its alerts of
/// the outage then refused by the fence). A fresh pool tries at once, so a node whose
/// calls fail asks for a new one (`replace`), and is back within about a period of the
/// database (Docs/design/cluster.md).
public final class LeaseDatabase: Sendable {
    let make: (@Sendable () -> PostgresClient)?
    let current: Mutex<(client: PostgresClient, generation: Int)>
    let clients: AsyncStream<PostgresClient>
    let continuation: AsyncStream<PostgresClient>.Continuation
    let replacedCount = Atomic<Int>(0)

    /// Pools made by `make`; `run` runs each until it is replaced.
    public init(_ make: @escaping @Sendable () -> PostgresClient) {
        self.make = make
        let first = make()
        current = Mutex((first, 0))
        (clients, continuation) = AsyncStream.makeStream(of: PostgresClient.self, bufferingPolicy: .unbounded)
        continuation.yield(first)
    }

    /// One pool, run by the caller, never replaced (tests that own their client).
    public init(fixed client: PostgresClient) {
        make = nil
        current = Mutex((client, 0))
        (clients, continuation) = AsyncStream.makeStream(of: PostgresClient.self, bufferingPolicy: .unbounded)
        continuation.finish()
    }

    /// The pool to use now.
    public var client: PostgresClient { current.withLock { $0.client } }

    /// Which pool `client` is: pass it to `replace` after a call through it failed.
    public var generation: Int { current.withLock { $0.generation } }

    /// Pools replaced since start.
    public var replaced: Int { replacedCount.load(ordering: .relaxed) }

    /// A call through pool `generation` failed without the database answering: the next
    /// calls go through a new pool, which connects at once. Nothing if that pool has been
    /// replaced already (by another caller that saw the same outage) or the pool is fixed.
    public func replace(failed generation: Int) {
        guard let make else { return }
        let fresh: PostgresClient? = current.withLock { c in
            guard c.generation == generation else { return nil }
            let fresh = make()
            c = (fresh, generation + 1)
            return fresh
        }
        if let fresh {
            replacedCount.add(1, ordering: .relaxed)
            continuation.yield(fresh)
        }
    }

    /// Runs each pool until it is replaced (the old one's requests fail and it closes its
    /// connections) and the last until cancelled.
    public func run() async {
        var running: Task<Void, Never>?
        for await client in clients {
            if let old = running {
                // Not awaited: a pool closes in its own time, the new one is needed now.
                Task { old.cancel(); await old.value }
            }
            running = Task { await client.run() }
            if Task.isCancelled { break }
        }
        running?.cancel()
        await running?.value
    }

    /// Whether `error` says the database did not answer (no connection, none in time),
    /// rather than answering with an error of its own.
    public static func isUnanswered(_ error: any Error) -> Bool {
        if let psql = error as? PSQLError { return psql.serverInfo == nil }
        return true
    }
}
