import Foundation
import Logging
import PostgresNIO

/// What a lease is for: a camera (analysed by one node at a time) or a job that must run
/// once across the nodes (deadlines and escalation, outbox delivery).
public enum LeaseKind: String, Sendable, CaseIterable {
    case camera
    case job
}

/// A lease a node holds: the epoch it was granted at fences its writes.
public struct Lease: Sendable, Hashable {
    public var kind: LeaseKind
    public var id: String
    public var epoch: Int64

    public init(kind: LeaseKind, id: String, epoch: Int64) {
        self.kind = kind
        self.id = id
        self.epoch = epoch
    }
}

/// A lease row as the database has it.
public struct LeaseRow: Sendable, Equatable {
    public var kind: LeaseKind
    public var id: String
    /// nil: free.
    public var holder: String?
    public var epoch: Int64
    /// Seconds since it was granted, by the database's clock; nil when free.
    public var age: Double?
    /// Seconds until it expires (negative: expired, not yet claimed again); nil when free.
    public var expiresIn: Double?
    /// Let go for this node, which alone may claim it for `lease_timeout`.
    public var offeredTo: String?
}

/// A node as the database has it.
public struct NodeRow: Sendable, Equatable {
    public var id: String
    /// Seconds since its last heartbeat, by the database's clock.
    public var heartbeatAge: Double
    public var draining: Bool
    public var held: Int
    /// Its CPU use (cores) at its last heartbeat.
    public var cpu: Double?
}

/// What `forget` did.
public enum ForgetOutcome: Sendable, Equatable {
    case forgotten(leasesFreed: Int)
    /// Heard from too recently to be taken for gone.
    case live(heartbeatAge: Double)
    case unknown
}

/// The database refused a write for a camera: the lease it was made under is no longer
/// the writer's (`SQLSTATE GW001`).
public struct FencedWrite: Error, CustomStringConvertible {
    public var message: String
    public var description: String { "fenced: \(message)" }

    /// The error `error` stands for, if it is a refusal by the fence.
    public static func from(_ error: any Error) -> FencedWrite? {
        guard let psql = error as? PSQLError, psql.serverInfo?[.sqlState] == "GW001" else { return nil }
        return FencedWrite(message: psql.serverInfo?[.message] ?? "")
    }
}

/// Nodes and leases in PostgreSQL (Docs/design/cluster.md): claims with `FOR UPDATE SKIP
/// LOCKED`, expiry by the database's clock, epochs that fence writes.
public struct PostgresLeases: Sendable {
    /// The pool the calls go through (replaced after an outage, `LeaseDatabase`).
    public let database: LeaseDatabase
    public var client: PostgresClient { database.client }
    public let node: String
    /// Seconds a grant or renewal lasts (`lease_timeout`).
    public let timeout: Double
    let logger: Logger

    public init(client: PostgresClient, node: String, timeout: Double = 30, logger: Logger = Logger(label: "gridwatch.cluster")) {
        self.init(database: LeaseDatabase(fixed: client), node: node, timeout: timeout, logger: logger)
    }

    public init(database: LeaseDatabase, node: String, timeout: Double = 30, logger: Logger = Logger(label: "gridwatch.cluster")) {
        self.database = database
        self.node = node
        self.timeout = timeout
        self.logger = logger
    }

    /// The tables, the fence and its trigger function; safe to run from several nodes at
    /// once (an advisory lock serialises them) and again at every start.
    public static func migrate(_ client: PostgresClient, logger: Logger = Logger(label: "gridwatch.cluster")) async throws {
        try await client.withTransaction(logger: logger) { db in
            try await db.query("SELECT pg_advisory_xact_lock(7263011)", logger: logger)
            try await db.query("""
                CREATE TABLE IF NOT EXISTS cluster_nodes (
                  node_id text PRIMARY KEY CHECK (node_id <> ''),
                  started_at timestamptz NOT NULL DEFAULT now(),
                  heartbeat_at timestamptz NOT NULL DEFAULT now(),
                  draining boolean NOT NULL DEFAULT false,
                  held integer NOT NULL DEFAULT 0 CHECK (held >= 0),
                  cpu double precision CHECK (cpu >= 0))
                """, logger: logger)
            try await db.query("""
                CREATE TABLE IF NOT EXISTS cluster_leases (
                  kind text NOT NULL CHECK (kind IN ('camera', 'job')),
                  id text NOT NULL CHECK (id <> ''),
                  holder text REFERENCES cluster_nodes (node_id) ON DELETE SET NULL,
                  epoch bigint NOT NULL DEFAULT 0 CHECK (epoch >= 0),
                  granted_at timestamptz,
                  expires_at timestamptz,
                  offered_to text,
                  offered_at timestamptz,
                  PRIMARY KEY (kind, id),
                  CHECK ((holder IS NULL) = (expires_at IS NULL)))
                """, logger: logger)
            // The fence: a write made under (node, epoch) for a camera or job passes only
            // while that node holds that very grant, unexpired. FOR SHARE makes a
            // concurrent take-over wait for the write's commit, or the write wait for it.
            try await db.query("""
                CREATE OR REPLACE FUNCTION cluster_check_fence(p_kind text, p_id text, p_node text, p_epoch bigint)
                RETURNS void LANGUAGE plpgsql AS $$
                DECLARE l record;
                BEGIN
                  SELECT holder, epoch, expires_at INTO l FROM cluster_leases
                   WHERE kind = p_kind AND id = p_id FOR SHARE;
                  IF NOT FOUND OR l.holder IS DISTINCT FROM p_node OR l.epoch <> p_epoch OR l.expires_at <= now() THEN
                    RAISE EXCEPTION '% % written by % under epoch %, but held by % at epoch %',
                      p_kind, p_id, p_node, p_epoch, coalesce(l.holder, 'nobody'), coalesce(l.epoch, 0)
                      USING ERRCODE = 'GW001';
                  END IF;
                END $$
                """, logger: logger)
            // A write the node made after its lease's local deadline (the database away):
            // it passes while nobody else has been granted the lease since, expired or not.
            try await db.query("""
                CREATE OR REPLACE FUNCTION cluster_check_stamp(p_kind text, p_id text, p_node text, p_epoch bigint)
                RETURNS void LANGUAGE plpgsql AS $$
                DECLARE l record;
                BEGIN
                  SELECT holder, epoch INTO l FROM cluster_leases WHERE kind = p_kind AND id = p_id FOR SHARE;
                  IF NOT FOUND OR l.holder IS DISTINCT FROM p_node OR l.epoch <> p_epoch THEN
                    RAISE EXCEPTION '% % written by % under epoch %, but held by % at epoch %',
                      p_kind, p_id, p_node, p_epoch, coalesce(l.holder, 'nobody'), coalesce(l.epoch, 0)
                      USING ERRCODE = 'GW001';
                  END IF;
                END $$
                """, logger: logger)
            // For tables whose rows carry camera_id, node_id and lease_epoch (a NULL epoch:
            // a person's action, not a camera's, and not fenced).
            try await db.query("""
                CREATE OR REPLACE FUNCTION cluster_fence_row() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF NEW.lease_epoch IS NOT NULL THEN
                    PERFORM cluster_check_fence('camera', NEW.camera_id, NEW.node_id, NEW.lease_epoch);
                  END IF;
                  RETURN NEW;
                END $$
                """, logger: logger)
        }
    }

    /// This node's heartbeat (and its row, the first time).
    public func heartbeat(held: Int, cpu: Double? = nil) async throws {
        try await client.query("""
            INSERT INTO cluster_nodes (node_id, held, cpu) VALUES (\(node), \(held), \(cpu))
            ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = now(), held = EXCLUDED.held, cpu = EXCLUDED.cpu
            """, logger: logger)
    }

    /// Rows for `ids` that have none yet (the shared configuration's cameras).
    public func register(_ kind: LeaseKind, ids: [String]) async throws {
        guard !ids.isEmpty else { return }
        try await client.query("""
            INSERT INTO cluster_leases (kind, id) SELECT \(kind.rawValue), unnest(\(ids)::text[])
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// Up to `limit` free or expired leases of `kind`, each granted to this node at a new
    /// epoch. Nodes claiming at once take different rows and never wait on each other.
    public func claim(_ kind: LeaseKind, limit: Int, only ids: [String]? = nil) async throws -> [Lease] {
        try await claimNoting(kind, limit: limit, only: ids).map(\.lease)
    }

    /// `claim`, with the node that held each lease before (nil: nobody, or this node).
    public func claimNoting(_ kind: LeaseKind, limit: Int, only ids: [String]? = nil) async throws -> [(lease: Lease, from: String?)] {
        guard limit > 0 else { return [] }
        let rows = try await client.query("""
            WITH candidates AS (
              SELECT kind, id, holder AS previous FROM cluster_leases
               WHERE kind = \(kind.rawValue) AND (holder IS NULL OR expires_at <= now())
                 -- Expired, but its holder is alive (heard from within a grant): it is renewing
                 -- it after the database was away; not anyone else's to take.
                 AND (holder IS NULL OR holder = \(node) OR NOT EXISTS (
                      SELECT 1 FROM cluster_nodes h WHERE h.node_id = holder AND h.heartbeat_at > now() - make_interval(secs => \(timeout))))
                 AND (\(ids == nil) OR id = ANY(\(ids ?? [])::text[]))
                 -- Offered to another node: that node's for a while, unless it stopped taking work.
                 AND (offered_to IS NULL OR offered_to = \(node)
                      OR offered_at <= now() - make_interval(secs => \(timeout))
                      OR NOT EXISTS (SELECT 1 FROM cluster_nodes n
                                      WHERE n.node_id = offered_to AND NOT n.draining
                                        AND n.heartbeat_at > now() - make_interval(secs => \(timeout))))
               ORDER BY id LIMIT \(limit)
               FOR UPDATE SKIP LOCKED)
            UPDATE cluster_leases l
               SET holder = \(node), epoch = l.epoch + 1, granted_at = now(),
                   expires_at = now() + make_interval(secs => \(timeout)), offered_to = NULL, offered_at = NULL
              FROM candidates c
             WHERE l.kind = c.kind AND l.id = c.id
            RETURNING l.id, l.epoch, c.previous
            """, logger: logger)
        var out: [(lease: Lease, from: String?)] = []
        for try await (id, epoch, previous) in rows.decode((String, Int64, String?).self) {
            out.append((Lease(kind: kind, id: id, epoch: epoch), previous == node ? nil : previous))
        }
        return out.sorted { $0.lease.id < $1.lease.id }
    }

    /// Renews what is still this node's at the same epoch; returns those. A lease missing
    /// from the answer is lost: stop its work. One that expired but that nobody claimed
    /// since (its epoch unchanged: the database was away for everyone) is renewed too: no
    /// other node has worked on it.
    public func renew(_ leases: [Lease]) async throws -> Set<Lease> {
        var out = Set<Lease>()
        for kind in LeaseKind.allCases {
            let mine = leases.filter { $0.kind == kind }
            guard !mine.isEmpty else { continue }
            let rows = try await client.query("""
                UPDATE cluster_leases l SET expires_at = now() + make_interval(secs => \(timeout))
                  FROM unnest(\(mine.map(\.id))::text[], \(mine.map(\.epoch))::bigint[]) AS w (id, epoch)
                 WHERE l.kind = \(kind.rawValue) AND l.id = w.id AND l.epoch = w.epoch
                   AND l.holder = \(node)
                RETURNING l.id, l.epoch
                """, logger: logger)
            for try await (id, epoch) in rows.decode((String, Int64).self) {
                out.insert(Lease(kind: kind, id: id, epoch: epoch))
            }
        }
        return out
    }

    /// Lets a lease go (after its work has stopped), offered to node `to` if given; false
    /// if it was no longer this node's.
    @discardableResult
    public func release(_ lease: Lease, to: String? = nil) async throws -> Bool {
        let rows = try await client.query("""
            UPDATE cluster_leases SET holder = NULL, expires_at = NULL, offered_to = \(to),
                   offered_at = CASE WHEN \(to)::text IS NULL THEN NULL ELSE now() END
             WHERE kind = \(lease.kind.rawValue) AND id = \(lease.id) AND holder = \(node) AND epoch = \(lease.epoch)
            RETURNING id
            """, logger: logger)
        var released = false
        for try await _ in rows.decode(String.self) { released = true }
        return released
    }

    /// Every lease of `kind`, by id.
    public func leases(_ kind: LeaseKind) async throws -> [LeaseRow] {
        let rows = try await client.query("""
            SELECT id, holder, epoch,
                   extract(epoch FROM now() - granted_at)::float8,
                   extract(epoch FROM expires_at - now())::float8,
                   CASE WHEN offered_at > now() - make_interval(secs => \(timeout)) THEN offered_to END
              FROM cluster_leases WHERE kind = \(kind.rawValue) ORDER BY id
            """, logger: logger)
        var out: [LeaseRow] = []
        for try await (id, holder, epoch, age, left, offered) in rows.decode((String, String?, Int64, Double?, Double?, String?).self) {
            out.append(LeaseRow(kind: kind, id: id, holder: holder, epoch: epoch, age: holder == nil ? nil : age, expiresIn: left,
                                offeredTo: holder == nil ? offered : nil))
        }
        return out
    }

    /// Every node, by id.
    public func nodes() async throws -> [NodeRow] {
        let rows = try await client.query("""
            SELECT node_id, extract(epoch FROM now() - heartbeat_at)::float8, draining, held, cpu
              FROM cluster_nodes ORDER BY node_id
            """, logger: logger)
        var out: [NodeRow] = []
        for try await (id, age, draining, held, cpu) in rows.decode((String, Double, Bool, Int32, Double?).self) {
            out.append(NodeRow(id: id, heartbeatAge: age, draining: draining, held: Int(held), cpu: cpu))
        }
        return out
    }

    /// Asks node `id` to hand its work over (or to take work again); false if no such node.
    @discardableResult
    public func setDraining(_ id: String, _ draining: Bool) async throws -> Bool {
        let rows = try await client.query("""
            UPDATE cluster_nodes SET draining = \(draining) WHERE node_id = \(id) RETURNING node_id
            """, logger: logger)
        var found = false
        for try await _ in rows.decode(String.self) { found = true }
        return found
    }

    /// Removes node `id`'s row (a box taken out of service), if it has not been heard from
    /// for `silentFor` seconds: the leases it still names are freed (an alert it raised
    /// past one's deadline and delivers late is refused from then on, `cluster_check_stamp`)
    /// and offers to it withdrawn. A node that starts again with the same id simply
    /// registers again.
    public func forget(_ id: String, silentFor: Double) async throws -> ForgetOutcome {
        try await client.withTransaction(logger: logger) { db in
            let rows = try await db.query("""
                SELECT extract(epoch FROM now() - heartbeat_at)::float8 FROM cluster_nodes WHERE node_id = \(id) FOR UPDATE
                """, logger: logger)
            var age: Double?
            for try await a in rows.decode(Double.self) { age = a }
            guard let age else { return .unknown }
            guard age >= silentFor else { return .live(heartbeatAge: age) }
            let freed = try await db.query("""
                UPDATE cluster_leases SET holder = NULL, expires_at = NULL WHERE holder = \(id) RETURNING id
                """, logger: logger)
            var count = 0
            for try await _ in freed.decode(String.self) { count += 1 }
            try await db.query("UPDATE cluster_leases SET offered_to = NULL, offered_at = NULL WHERE offered_to = \(id)", logger: logger)
            try await db.query("DELETE FROM cluster_nodes WHERE node_id = \(id)", logger: logger)
            return .forgotten(leasesFreed: count)
        }
    }

    /// One balancing period for `kind`: the nodes and holders as the database has them,
    /// `Balance.plan`, then the releases (their work already stopped by `stop`) and the
    /// claims. Returns the leases granted and released.
    public func balance(_ kind: LeaseKind, held: [Lease], only ids: [String]? = nil, stop: (Lease) async -> Void) async throws
        -> (granted: [Lease], released: [Lease], tookOver: Int) {
        // Only what the configuration has (rows of removed cameras stay, unclaimed).
        let wanted = ids.map(Set.init)
        let rows = try await leases(kind).filter { wanted?.contains($0.id) ?? true }
        let liveWithin = timeout
        let nodes = try await self.nodes().map { Balance.Node(id: $0.id, live: $0.heartbeatAge < liveWithin, draining: $0.draining) }
        let holders = Dictionary(uniqueKeysWithValues: rows.map { row in
            (row.id, (row.expiresIn ?? 0) > 0 ? row.holder : nil)
        })
        let offers = Dictionary(uniqueKeysWithValues: rows.compactMap { row in row.offeredTo.map { (row.id, $0) } })
        let step = Balance.plan(me: node, nodes: nodes, holders: holders, offers: offers)
        var released: [Lease] = []
        for handover in step.release {
            guard let lease = held.first(where: { $0.id == handover.id }) else { continue }
            await stop(lease)
            if try await release(lease, to: handover.to) { released.append(lease) }
        }
        let granted = try await claimNoting(kind, limit: step.claim, only: ids)
        return (granted.map(\.lease), released, granted.filter { $0.from != nil }.count)
    }
}
