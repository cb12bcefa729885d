import Catalog
import Foundation
import GRDB
import Notify
import Synchronization
import Tickets

/// Errors of the store, with the path or id they concern.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case cannotCreateDirectory(String, String)
    case cannotWriteEvidence(String, String)
    /// A write failed for want of space (`ENOSPC`, `EDQUOT`): see `DiskFull`.
    case noSpace(String)

    public var description: String {
        switch self {
        case let .cannotCreateDirectory(path, why): "cannot create directory \(path): \(why)"
        case let .cannotWriteEvidence(path, why): "cannot write evidence file \(path): \(why)"
        case let .noSpace(path): "no space left on the device for \(path)"
        }
    }
}

/// Filters for listing tickets, newest first.
public struct TicketQuery: Sendable, Equatable {
    public var state: TicketState?
    /// Only open tickets (neither closed nor false alarms).
    public var openOnly = false
    public var cameraID: String?
    public var zoneID: String?
    public var gridID: String?
    public var category: TicketCategory?
    /// Only tickets past a deadline (the supervision list when combined with `openOnly`).
    public var overdueOnly = false
    public var repeatProblemOnly = false
    /// Occurred at or after / before.
    public var since: Date?
    public var until: Date?
    /// Words in the title (case-insensitive substring).
    public var text: String?
    /// Archived tickets (closed long ago) are left out unless asked for.
    public var includeArchived = false
    /// The categories the caller may see; nil for all (see `Access.visibleCategories`).
    public var visibleCategories: Set<TicketCategory>?
    /// The grids the caller may see; nil for all (see `Access.grids`).
    public var visibleGrids: Set<String>?
    public var limit: Int = 100
    public var offset: Int = 0
    public init(state: TicketState? = nil, cameraID: String? = nil, zoneID: String? = nil, limit: Int = 100, offset: Int = 0) {
        self.state = state
        self.cameraID = cameraID
        self.zoneID = zoneID
        self.limit = limit
        self.offset = offset
    }
}

extension TicketQuery {
    /// Limited to what `access` may see: its categories and grids.
    public mutating func restrict(to access: Access) {
        visibleCategories = access.visibleCategories
        visibleGrids = access.grids
    }

    /// The supervision list (督办): open tickets past a deadline.
    public static func supervision(visibleCategories: Set<TicketCategory>?) -> TicketQuery {
        var query = TicketQuery()
        query.openOnly = true
        query.overdueOnly = true
        query.visibleCategories = visibleCategories
        return query
    }
}

/// Why a person's request on a ticket was refused.
public enum TicketActionError: Error, Equatable, CustomStringConvertible {
    case noSuchTicket(Int64)
    case workflow(WorkflowError)
    case unknownAssignee(String, grid: String)
    case emptyNote

    /// The refusal as a catalogue entry.
    public var message: APIMessage {
        switch self {
        case let .noSuchTicket(id): .noSuchTicket(id: id)
        case let .workflow(error): error.message
        case let .unknownAssignee(who, grid): .unknownAssignee(person: who, grid: grid)
        case .emptyNote: .emptyNote
        }
    }

    public var description: String { message.en }
}

/// Where the store's rows live: a SQLite file in the data directory (one box, the default)
/// or a PostgreSQL database several daemons share (`store: {postgres: …}`).
public enum StoreLocation: Sendable, Equatable {
    case sqlite
    case postgres(PostgresSettings)
}

/// The ticket store: one SQLite database in WAL mode (or a shared PostgreSQL database) plus
/// an evidence folder under the data directory. Writes are named after what they mean; every change to a
/// ticket writes its row and its history event in one transaction.
///
/// Evidence files are written (and flushed) before the row that names them, so a
/// crash leaves at most an orphan file (removed by `removeOrphanEvidence`), never a row
/// pointing at nothing.
public final class TicketStore: Sendable {
    public let directory: URL
    public let databasePath: String
    private let currentPolicy: Mutex<StorePolicy>
    /// Deadlines and repeat rules; replaced by a reload, applied to tickets raised after it.
    public var policy: StorePolicy {
        get { currentPolicy.withLock { $0 } }
        set { currentPolicy.withLock { $0 = newValue } }
    }
    private let currentRoutes = Mutex<[NotifyRoute]>([])
    /// Which notify destinations want which changes (`notify:` in the configuration);
    /// replaced by a reload. Empty: nothing is written to the outbox.
    public var notifyRoutes: [NotifyRoute] {
        get { currentRoutes.withLock { $0 } }
        set { currentRoutes.withLock { $0 = newValue } }
    }
    /// Called after a transaction that put something in the outbox has committed (the
    /// delivery service's wake-up).
    public let outboxWritten = Mutex<(@Sendable () -> Void)?>(nil)
    let writer: StoreWriter
    /// Where the rows are.
    public let location: StoreLocation
    /// Told of every ticket raised or merged into and of every ticket that stops taking
    /// alerts, so cameras can decide whether a repeat alert's picture is worth encoding.
    public let ledger: EvidenceLedger

    public init(directory: URL, location: StoreLocation = .sqlite, policy: StorePolicy = StorePolicy(),
                ledger: EvidenceLedger = EvidenceLedger()) throws {
        self.directory = directory
        self.location = location
        self.ledger = ledger
        currentPolicy = Mutex(policy)
        do {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("snapshots"), withIntermediateDirectories: true)
        } catch {
            throw StoreError.cannotCreateDirectory(directory.path, "\(error.localizedDescription)")
        }
        switch location {
        case .sqlite:
            databasePath = directory.appendingPathComponent("gridwatch.sqlite").path
            var config = Configuration()
            config.busyMode = .timeout(5)
            config.foreignKeysEnabled = true
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            let pool = try DatabasePool(path: databasePath, configuration: config)
            try Migrations.migrator.migrate(pool)
            writer = StoreWriter(engine: .sqlite(pool))
        case let .postgres(settings):
            databasePath = settings.redacted
            writer = StoreWriter(engine: .postgres(try PostgresEngine(settings: settings)))
        }
    }

    // MARK: Liveness

    /// Take the database's write lock through the writer and let it go: returns when both the
    /// writer (no statement of ours stuck on it) and the file (no lock held elsewhere, no I/O
    /// hanging) take a write; throws after the busy timeout when the lock stays held.
    public func probe() throws {
        switch writer.engine {
        case let .sqlite(pool):
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                try db.execute(sql: "ROLLBACK")
            }
        case .postgres:
            try writer.write { db in try db.execute(sql: "SELECT 1") }
        }
    }

}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

// MARK: Statistics

extension TicketStore {
    /// The towns' figures for tickets that occurred in `since..<until`, grouped by `grouping`
    /// (local time for hour, day, week and month).
    public func statistics(since: Date, until: Date, grouping: StatsGrouping, visibleCategories: Set<TicketCategory>? = nil,
                           visibleGrids: Set<String>? = nil) throws -> (groups: [TicketStats], total: TicketStats) {
        // The same filter as lists (period, visibility), archived tickets included: they count.
        var query = TicketQuery()
        query.since = since
        query.until = until
        query.visibleCategories = visibleCategories
        query.visibleGrids = visibleGrids
        query.includeArchived = true
        let facts = try writer.read { db in
            let key: String = switch grouping {
            case .grid: "grid_id"
            case .camera: "camera_id"
            case .category: "category"
            case .rule: "camera_id || '/' || COALESCE(zone_id, tripwire_id, '-') || '/' || kind"
            case .hour, .day, .week, .month: db.dialect.localTime("occurred_at", grouping, zone: LocalTime.zoneName)
            }
            return try request(for: query)
                .select(SQL(sql: """
                    \(key) AS key, state, created_at, acknowledged_at, ack_due_at, closed_at, close_due_at,
                    occurrences, repeat_problem, overdue, reopen_count, repeat_of
                    """), as: Row.self)
                .fetchAll(db).map { (row: Row) in
                TicketFacts(
                    key: row["key"] ?? "-", state: TicketState(rawValue: row["state"]) ?? .new,
                    createdAt: row["created_at"], acknowledgedAt: row["acknowledged_at"], ackDueAt: row["ack_due_at"],
                    closedAt: row["closed_at"], closeDueAt: row["close_due_at"], occurrences: row["occurrences"],
                    repeatProblem: row["repeat_problem"], overdue: row["overdue"], reopenCount: row["reopen_count"], repeatOf: row["repeat_of"])
            }
        }
        return StatisticsMath.summarise(facts, grouping: grouping)
    }
}

/// The store's transactions on its engine.
struct StoreWriter: Sendable {
    enum Engine: Sendable {
        case sqlite(DatabasePool)
        case postgres(PostgresEngine)
    }

    let engine: Engine

    func write<T>(_ body: (StoreDB) throws -> T) throws -> T {
        switch engine {
        case let .sqlite(pool): try pool.write { db in try body(StoreDB(.sqlite(db))) }
        case let .postgres(engine): try engine.write(body)
        }
    }

    func read<T>(_ body: (StoreDB) throws -> T) throws -> T {
        switch engine {
        case let .sqlite(pool): try pool.read { db in try body(StoreDB(.sqlite(db))) }
        case let .postgres(engine): try engine.read(body)
        }
    }
}
