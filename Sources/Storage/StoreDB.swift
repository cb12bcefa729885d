import Foundation
import GRDB
import Tickets

/// One transaction on the store's database, on either engine (Docs/design/postgres-store.md).
///
/// The store is written once: its queries are GRDB requests and SQL text, and the same
/// call sites (`TicketRecord.fetchOne(db, key:)`, `record.insert(db)`,
/// `db.execute(sql:arguments:)`) run on SQLite through GRDB itself, and on PostgreSQL as
/// the SQL GRDB would send to SQLite, with `?` numbered and the few words the two engines
/// spell differently asked of `dialect`.
final class StoreDB {
    enum Backend {
        case sqlite(Database)
        case postgres(PostgresTransaction)
    }

    let backend: Backend

    init(_ backend: Backend) {
        self.backend = backend
    }

    var dialect: SQLDialect {
        switch backend {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    /// Rows the last statement changed.
    var changesCount: Int {
        switch backend {
        case let .sqlite(db): db.changesCount
        case let .postgres(t): t.changesCount
        }
    }

    func execute(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        switch backend {
        case let .sqlite(db): try db.execute(sql: sql, arguments: arguments)
        case let .postgres(t): _ = try t.run(sql, arguments)
        }
    }

    /// Rows of a query, named by column.
    func rows(sql: String, arguments: StatementArguments = StatementArguments()) throws -> [Row] {
        switch backend {
        case let .sqlite(db): try Row.fetchAll(db, sql: sql, arguments: arguments)
        case let .postgres(t): try t.run(sql, arguments).map(t.row)
        }
    }

    /// The first column of each row.
    func values(sql: String, arguments: StatementArguments = StatementArguments()) throws -> [DatabaseValue] {
        switch backend {
        case let .sqlite(db): try DatabaseValue.fetchAll(db, sql: sql, arguments: arguments)
        case let .postgres(t): try t.run(sql, arguments).map { try t.value($0, 0) }
        }
    }

    /// Called once the transaction has committed (not if it rolls back).
    func afterCommit(_ body: @escaping @Sendable () -> Void) {
        switch backend {
        case let .sqlite(db): db.afterNextTransaction { _ in body() }
        case let .postgres(t): t.afterCommit.append(body)
        }
    }

    /// Foreign keys checked at commit rather than at each statement (grids that name
    /// parents listed after them).
    func deferForeignKeys() throws {
        switch backend {
        case let .sqlite(db): try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
        case let .postgres(t): _ = try t.run("SET CONSTRAINTS ALL DEFERRED", [])
        }
    }

    /// A request's SQL and arguments as PostgreSQL takes them.
    fileprivate func compiled<R>(_ request: QueryInterfaceRequest<R>, single: Bool, _ t: PostgresTransaction) throws -> (String, StatementArguments) {
        try t.compiler.read { db in
            let statement = try request.makePreparedRequest(db, forSingleResult: single).statement
            return (statement.sql, statement.arguments)
        }
    }
}

/// How the two engines spell what they spell differently.
enum SQLDialect: Sendable {
    case sqlite
    case postgres

    /// `INDEXED BY index` where SQLite takes it (its planner otherwise may not use a
    /// partial index); nothing for PostgreSQL, whose planner matches partial indexes itself.
    func indexedBy(_ index: String) -> String {
        self == .sqlite ? "INDEXED BY \(index)" : ""
    }

    /// The larger of two values (SQLite's two-argument `MAX`).
    func greatest(_ a: String, _ b: String) -> String {
        self == .sqlite ? "MAX(\(a), \(b))" : "GREATEST(\(a), \(b))"
    }

    /// Local-time text of Unix seconds in `column`, for grouping: hour `HH`, day
    /// `YYYY-MM-DD`, week `YYYY-Www` (weeks from the first Monday, SQLite's `%W`), month `YYYY-MM`.
    func localTime(_ column: String, _ grouping: StatsGrouping, zone: String) -> String {
        switch self {
        case .sqlite:
            let format = switch grouping {
            case .hour: "%H"
            case .week: "%Y-W%W"
            case .month: "%Y-%m"
            default: "%Y-%m-%d"
            }
            return "strftime('\(format)', \(column), 'unixepoch', 'localtime')"
        case .postgres:
            // A zone name is letters, digits, `/`, `_`, `+` and `-`: nothing to quote.
            let safe = zone.allSatisfy { $0.isLetter || $0.isNumber || "/_+-".contains($0) } ? zone : "UTC"
            let t = "(to_timestamp(\(column)) AT TIME ZONE '\(safe)')"
            return switch grouping {
            case .hour: "to_char(\(t), 'HH24')"
            case .week:
                "to_char(\(t), 'YYYY') || '-W' || lpad(((extract(doy FROM \(t))::int - 1 + 7 - (extract(isodow FROM \(t))::int - 1)) / 7)::text, 2, '0')"
            case .month: "to_char(\(t), 'YYYY-MM')"
            default: "to_char(\(t), 'YYYY-MM-DD')"
            }
        }
    }
}

// MARK: The store's call sites, on either engine

extension QueryInterfaceRequest where RowDecoder: FetchableRecord {
    func fetchAll(_ db: StoreDB) throws -> [RowDecoder] {
        switch db.backend {
        case let .sqlite(d): return try fetchAll(d)
        case let .postgres(t):
            let (sql, arguments) = try db.compiled(self, single: false, t)
            return try t.run(sql, arguments).map { try RowDecoder(row: t.row($0)) }
        }
    }

    func fetchOne(_ db: StoreDB) throws -> RowDecoder? {
        switch db.backend {
        case let .sqlite(d): return try fetchOne(d)
        case let .postgres(t):
            let (sql, arguments) = try db.compiled(self, single: true, t)
            return try t.run(sql, arguments).first.map { try RowDecoder(row: t.row($0)) }
        }
    }
}

extension QueryInterfaceRequest where RowDecoder == Row {
    func fetchAll(_ db: StoreDB) throws -> [Row] {
        switch db.backend {
        case let .sqlite(d): return try fetchAll(d)
        case let .postgres(t):
            let (sql, arguments) = try db.compiled(self, single: false, t)
            return try t.run(sql, arguments).map(t.row)
        }
    }
}

extension QueryInterfaceRequest {
    func fetchCount(_ db: StoreDB) throws -> Int {
        switch db.backend {
        case let .sqlite(d): return try fetchCount(d)
        case let .postgres(t):
            let (sql, arguments) = try db.compiled(self, single: false, t)
            return try t.run("SELECT COUNT(*) FROM (\(sql)) AS counted", arguments).first.map { try t.value($0, 0) }.flatMap(Int.fromDatabaseValue) ?? 0
        }
    }

    /// Deletes the rows the request selects (a filter on one table, no order or limit).
    func deleteAll(_ db: StoreDB) throws -> Int {
        switch db.backend {
        case let .sqlite(d): return try deleteAll(d)
        case let .postgres(t):
            let (sql, arguments) = try db.compiled(self, single: false, t)
            guard sql.hasPrefix("SELECT * FROM ") else { throw PostgresStoreError.unsupported("delete of \(sql)") }
            _ = try t.run("DELETE FROM " + sql.dropFirst("SELECT * FROM ".count), arguments)
            return t.changesCount
        }
    }
}

extension FetchableRecord {
    static func fetchAll(_ db: StoreDB, sql: String, arguments: StatementArguments = StatementArguments()) throws -> [Self] {
        try db.rows(sql: sql, arguments: arguments).map(Self.init(row:))
    }

    static func fetchOne(_ db: StoreDB, sql: String, arguments: StatementArguments = StatementArguments()) throws -> Self? {
        try db.rows(sql: sql, arguments: arguments).first.map(Self.init(row:))
    }
}

extension FetchableRecord where Self: TableRecord {
    static func fetchAll(_ db: StoreDB) throws -> [Self] {
        try all().fetchAll(db)
    }

    static func fetchOne(_ db: StoreDB, key: some DatabaseValueConvertible) throws -> Self? {
        try filter(key: key).fetchOne(db)
    }
}

extension TableRecord {
    static func exists(_ db: StoreDB, key: some DatabaseValueConvertible) throws -> Bool {
        switch db.backend {
        case let .sqlite(d): return try exists(d, key: key)
        case .postgres: return try filter(key: key).fetchCount(db) > 0
        }
    }

    @discardableResult
    static func deleteOne(_ db: StoreDB, key: [String: (any DatabaseValueConvertible)?]) throws -> Bool {
        switch db.backend {
        case let .sqlite(d): return try deleteOne(d, key: key)
        case let .postgres(t):
            let columns = key.keys.sorted()
            let condition = columns.map { "\(quoted($0)) = ?" }.joined(separator: " AND ")
            _ = try t.run("DELETE FROM \(quoted(databaseTableName)) WHERE \(condition)", StatementArguments(columns.map { key[$0]! }))
            return t.changesCount > 0
        }
    }
}

extension DatabaseValueConvertible {
    static func fetchOne(_ db: StoreDB, sql: String, arguments: StatementArguments = StatementArguments()) throws -> Self? {
        try db.values(sql: sql, arguments: arguments).first.flatMap(Self.fromDatabaseValue)
    }

    static func fetchAll(_ db: StoreDB, sql: String, arguments: StatementArguments = StatementArguments()) throws -> [Self] {
        try db.values(sql: sql, arguments: arguments).compactMap(Self.fromDatabaseValue)
    }
}

extension Row {
    static func fetchAll(_ db: StoreDB, sql: String, arguments: StatementArguments = StatementArguments()) throws -> [Row] {
        try db.rows(sql: sql, arguments: arguments)
    }

    static func fetchOne(_ db: StoreDB, sql: String, arguments: StatementArguments = StatementArguments()) throws -> Row? {
        try db.rows(sql: sql, arguments: arguments).first
    }
}

/// A record whose key is a number the database picks (`INTEGER PRIMARY KEY`, an identity).
protocol NumberedRecord {
    var id: Int64? { get set }
}

extension MutablePersistableRecord {
    mutating func insert(_ db: StoreDB) throws {
        switch db.backend {
        case let .sqlite(d): try insert(d)
        case let .postgres(t):
            var values = try databaseDictionary
            let numbered = self is NumberedRecord
            if numbered, values["id"]?.isNull ?? true { values["id"] = nil }
            let columns = values.keys.sorted()
            let sql = "INSERT INTO \(quoted(Self.databaseTableName)) (\(columns.map(quoted).joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
                + (numbered ? " RETURNING id" : "")
            let rows = try t.run(sql, StatementArguments(columns.map { values[$0]! }))
            if numbered, var me = self as? NumberedRecord, let row = rows.first, let id = Int64.fromDatabaseValue(try t.value(row, 0)) {
                me.id = id
                self = me as! Self
            }
        }
    }

    func update(_ db: StoreDB) throws {
        switch db.backend {
        case let .sqlite(d): try update(d)
        case let .postgres(t):
            let values = try databaseDictionary
            let key = try t.primaryKey(Self.databaseTableName)
            let columns = values.keys.filter { !key.contains($0) }.sorted()
            let sql = "UPDATE \(quoted(Self.databaseTableName)) SET \(columns.map { "\(quoted($0)) = ?" }.joined(separator: ", ")) WHERE "
                + key.map { "\(quoted($0)) = ?" }.joined(separator: " AND ")
            _ = try t.run(sql, StatementArguments(columns.map { values[$0]! } + key.map { values[$0] ?? .null }))
            if t.changesCount == 0 {
                throw RecordError.recordNotFound(databaseTableName: Self.databaseTableName, key: Dictionary(uniqueKeysWithValues: key.map { ($0, values[$0] ?? .null) }))
            }
        }
    }

    /// Insert, or update the row with the same primary key.
    func upsert(_ db: StoreDB) throws {
        switch db.backend {
        case let .sqlite(d):
            var copy = self
            try copy.upsert(d)
        case let .postgres(t):
            let values = try databaseDictionary
            let key = try t.primaryKey(Self.databaseTableName)
            let columns = values.keys.sorted()
            let others = columns.filter { !key.contains($0) }
            let sql = "INSERT INTO \(quoted(Self.databaseTableName)) (\(columns.map(quoted).joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", "))) "
                + "ON CONFLICT (\(key.map(quoted).joined(separator: ", "))) "
                + (others.isEmpty ? "DO NOTHING" : "DO UPDATE SET " + others.map { "\(quoted($0)) = EXCLUDED.\(quoted($0))" }.joined(separator: ", "))
            _ = try t.run(sql, StatementArguments(columns.map { values[$0]! }))
        }
    }
}

/// An identifier in double quotes, as both engines take it.
func quoted(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
