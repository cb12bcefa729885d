import Foundation
import GRDB
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// Where the shared store is: `store: {postgres: "postgresql://USER@HOST:PORT/DB"}` with the
/// password from a file or the environment (never in the URL) and TLS.
public struct PostgresSettings: Sendable, Equatable {
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP (a database on the same host or a private network).
        case disable
        /// Encrypted, the server's certificate not checked.
        case require
        /// Encrypted, the certificate checked against `caFile` (or the system's roots) and
        /// the host name.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var password: String?
    public var tls: TLSMode
    public var caFile: String?
    /// Connections for reads beside the one that writes.
    public var readConnections: Int
    /// Seconds a statement's answer is waited for (`answer_within`): past them the
    /// connection is closed and the call fails as `unavailable` (a server stopped, or the
    /// network to it gone, never holds a camera's alerts or a request for ever), and the
    /// server cancels the statement itself (`statement_timeout`). Connecting has its own
    /// 5 s. Below systemd's 20 s to stop, so a stop that finds the server silent keeps what
    /// it could not write in the spool before it is killed.
    public var answerWithin: Double = 15

    public init(host: String, port: Int = 5432, user: String, database: String, password: String? = nil, tls: TLSMode = .disable,
                caFile: String? = nil, readConnections: Int = 2) {
        self.host = host
        self.port = port
        self.user = user
        self.database = database
        self.password = password
        self.tls = tls
        self.caFile = caFile
        self.readConnections = readConnections
    }

    /// Parses `postgresql://USER@HOST[:PORT]/DB`. A password in the URL is refused (it would
    /// be printed wherever the URL is); the message never repeats it.
    public init(url: String) throws {
        guard let parts = URLComponents(string: url), ["postgresql", "postgres"].contains(parts.scheme ?? "") else {
            throw PostgresStoreError.badURL("expected postgresql://USER@HOST:PORT/DB")
        }
        if parts.password != nil { throw PostgresStoreError.badURL("a password in the URL; use password_file or password_env") }
        guard let host = parts.host, !host.isEmpty else { throw PostgresStoreError.badURL("no host") }
        guard let user = parts.user?.removingPercentEncoding, !user.isEmpty else { throw PostgresStoreError.badURL("no user (USER@HOST)") }
        let database = String(parts.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw PostgresStoreError.badURL("no database (/DB)") }
        if let port = parts.port, !(1...65535).contains(port) { throw PostgresStoreError.badURL("port out of range") }
        self.init(host: host, port: parts.port ?? 5432, user: user, database: database)
    }

    /// The TLS the settings ask for (nil: plain TCP), for the store's connections and the
    /// cluster's alike.
    public func tlsConfiguration() throws -> TLSConfiguration? {
        guard tls != .disable else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if tls == .require {
            configuration.certificateVerification = .none
        } else if let ca = caFile {
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
            } catch {
                throw PostgresStoreError.tls("cannot read ca_file \(ca): \(error)")
            }
        }
        return configuration
    }

    /// The URL as it may be shown: no password is ever part of it.
    public var redacted: String { "postgresql://\(user)@\(host):\(port)/\(database)" }
}

/// Printed, dumped or reflected, the settings never show the password.
extension PostgresSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { redacted + " (tls: \(tls.rawValue))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["url": redacted, "tls": tls.rawValue, "password": password == nil ? "none" : "***"])
    }
}

public enum PostgresStoreError: Error, CustomStringConvertible, Equatable {
    case badURL(String)
    case unsupported(String)
    case tls(String)
    /// The server could not be reached or the connection broke: the write did not happen.
    case unavailable(String)
    /// The camera's lease has gone to another node since the write's alert was raised
    /// (SQLSTATE GW001): the write is not made, and must not be tried again.
    case fenced(String)
    /// The database refused a statement (a check, a key, the audit trail's trigger): its
    /// SQLSTATE and message (never the statement's arguments).
    case refused(sqlState: String, message: String)

    public var description: String {
        switch self {
        case let .badURL(why): "bad PostgreSQL URL: \(why)"
        case let .unsupported(what): "not supported on PostgreSQL: \(what)"
        case let .tls(why): "TLS: \(why)"
        case let .unavailable(why): "PostgreSQL unavailable: \(why)"
        case let .refused(state, message): "PostgreSQL refused (\(state)): \(message)"
        case let .fenced(message): "fenced: \(message)"
        }
    }
}

/// The store's PostgreSQL: one connection that writes (writes are serialised within a node,
/// as SQLite's are, and serializable across nodes), a few that read.
final class PostgresEngine: @unchecked Sendable {
    let settings: PostgresSettings
    /// An empty in-memory SQLite database with the store's schema: it turns GRDB requests
    /// into SQL text and knows each table's primary key.
    let compiler: DatabaseQueue
    private let logger: Logger
    private let writeLock = NSLock()
    private var writeConnection: PostgresConnection?
    private let readers = NSCondition()
    private var idleReaders: [PostgresConnection] = []
    private var openReaders = 0
    private let keys = NSLock()
    private var primaryKeys: [String: [String]] = [:]
    private let tlsContext: NIOSSLContext?

    init(settings: PostgresSettings, logger: Logger = Logger(label: "gridwatch.store.postgres")) throws {
        self.settings = settings
        self.logger = logger
        compiler = try DatabaseQueue()
        try Migrations.migrator.migrate(compiler)
        if let configuration = try settings.tlsConfiguration() {
            do { tlsContext = try NIOSSLContext(configuration: configuration) } catch { throw PostgresStoreError.tls("\(error)") }
        } else {
            tlsContext = nil
        }
        try migrate()
    }

    deinit {
        let all = (writeConnection.map { [$0] } ?? []) + idleReaders
        // Closed before they go (PostgresNIO insists), each waited for.
        for connection in all { try? (connection.close() as EventLoopFuture<Void>).wait() }
    }

    private func connect() throws -> PostgresConnection {
        var configuration = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.user, password: settings.password, database: settings.database,
            tls: tlsContext.map { .require($0) } ?? .disable)
        // The whole start-up (TCP, TLS, authentication) within it: PostgresNIO enforces it.
        configuration.options.connectTimeout = .seconds(5)
        // The server gives up on a statement when the client does (a lock wait that outlasts
        // it would otherwise go on, holding its locks, after the connection is closed).
        configuration.options.additionalStartupParameters = [("statement_timeout", "\(Int(settings.answerWithin * 1000))")]
        if settings.tls == .verifyFull { configuration.options.tlsServerName = settings.host }
        do {
            return try PostgresConnection.connect(on: Self.loop.next(), configuration: configuration,
                                                  id: Int.random(in: 0..<Int.max), logger: logger).wait()
        } catch {
            throw PostgresStoreError.unavailable(describePostgresError(error))
        }
    }

    /// `future`'s value, or `NoAnswer` once `seconds` have passed without it: then `expire`
    /// runs (on the future's event loop).
    static func wait<T: Sendable>(for future: EventLoopFuture<T>, within seconds: Double, what: String,
                                  expire: @escaping @Sendable () -> Void = {}) throws -> T {
        let loop = future.eventLoop
        let answer = loop.makePromise(of: T.self)
        // Both callbacks run on `loop`: the one that comes first settles the answer.
        let settled = NIOLoopBoundBox.makeBoxSendingValue(false, eventLoop: loop)
        let timer = loop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) {
            guard !settled.value else { return }
            settled.value = true
            expire()
            answer.fail(NoAnswer(seconds: seconds, what: what))
        }
        future.whenComplete { result in
            timer.cancel()
            guard !settled.value else { return }
            settled.value = true
            answer.completeWith(result)
        }
        return try answer.futureResult.wait()
    }

    /// No answer in time: the connection was closed (the server may still have done what was
    /// asked, if the question was `COMMIT`).
    struct NoAnswer: Error, CustomStringConvertible {
        let seconds: Double
        let what: String
        var description: String { "no answer within \(seconds == seconds.rounded() ? "\(Int(seconds))" : "\(seconds)") s (\(what))" }
    }

    /// Let a connection go without waiting: closed, and kept until it has (PostgresNIO
    /// insists a connection is closed before it goes; with TLS closing waits for the server's
    /// answer, up to 5 s).
    static func discard(_ connection: PostgresConnection) {
        (connection.close() as EventLoopFuture<Void>).whenComplete { _ in _ = connection }
    }

}

/// A PostgreSQL error in words: the server's SQLSTATE and message, never the query's
/// arguments (they may hold anything); PostgresNIO's own description hides even the message.
public func describePostgresError(_ error: any Error) -> String {
    if let psql = error as? PSQLError {
        if let message = psql.serverInfo?[.message] {
            return "\(psql.serverInfo?[.sqlState] ?? "") \(message)"
        }
        return "\(psql.code)"
    }
    return "\(error)"
}

extension PostgresEngine {
    /// The store's own event loop: the threads that wait on its futures (the cameras', the
    /// pool's, the control server's) are never the loop that completes them.
    static let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    // MARK: Transactions

    /// One transaction on the writing connection. `within` overrides `answerWithin` for
    /// each of its statements (the migrations').
    func write<T>(isolation: String = "SERIALIZABLE", within: Double? = nil, _ body: (StoreDB) throws -> T) throws -> T {
        writeLock.lock()
        defer { writeLock.unlock() }
        var attempt = 0
        while true {
            if let old = writeConnection, old.isClosed {
                Self.discard(old)
                writeConnection = nil
            }
            if writeConnection == nil { writeConnection = try connect() }
            let t = PostgresTransaction(connection: writeConnection!, engine: self, within: within)
            do {
                do {
                    _ = try t.simple("BEGIN ISOLATION LEVEL \(isolation)")
                } catch where attempt == 0 && !t.unanswered && (error is PostgresTransaction.Closed || t.connection.isClosed) {
                    // The server went away since the last write (a restart): nothing was
                    // done, so connect again and begin once more. (Not after a BEGIN that
                    // went unanswered: that took its time already.)
                    Self.discard(t.connection)
                    writeConnection = nil
                    attempt += 1
                    continue
                }
                // Its id, to ask whether it committed if COMMIT is never answered.
                let xid = try t.run("SELECT txid_current()", []).first.flatMap { Int64.fromDatabaseValue(try t.value($0, 0)) }
                let value = try body(StoreDB(.postgres(t)))
                do {
                    try t.commit()
                } catch is NoAnswer {
                    // Sent and never answered: asked on a new connection whether it
                    // committed, so a write done is neither lost nor made twice. This
                    // connection, closed, is not used again either way.
                    Self.discard(t.connection)
                    writeConnection = nil
                    guard try committed(xid) else { throw PostgresStoreError.unavailable("COMMIT went unanswered and did not commit") }
                    logger.notice("COMMIT went unanswered, and committed", metadata: ["xid": "\(xid ?? 0)"])
                }
                for done in t.afterCommit { done() }
                return value
            } catch {
                if t.unanswered || t.connection.isClosed {
                    // Closed (an unanswered statement closes it): the next write connects again.
                    Self.discard(t.connection)
                    writeConnection = nil
                } else {
                    _ = try? t.simple("ROLLBACK")
                }
                // Two nodes' transactions on the same rows: the loser runs again.
                if let state = (error as? PSQLError)?.serverInfo?[.sqlState], ["40001", "40P01"].contains(state), attempt < 20 {
                    attempt += 1
                    usleep(UInt32.random(in: 1000...(5000 * UInt32(attempt))))
                    continue
                }
                throw Self.translated(error)
            }
        }
    }

    /// Whether transaction `xid` committed, asked on a connection of its own. Throws
    /// `unavailable` when that cannot be known (the server still silent): the write is then
    /// tried again, and may be made twice.
    private func committed(_ xid: Int64?) throws -> Bool {
        guard let xid else { return false }
        let connection = try connect()
        defer { Self.discard(connection) }
        let t = PostgresTransaction(connection: connection, engine: self, within: nil)
        // "in progress" for a moment after the other connection closed: asked again.
        for _ in 0..<10 {
            let status = try t.run("SELECT txid_status(?)", [xid]).first.flatMap { String.fromDatabaseValue(try t.value($0, 0)) }
            if status == "committed" { return true }
            if status != "in progress" { return false }
            usleep(200_000)
        }
        throw PostgresStoreError.unavailable("COMMIT went unanswered; its transaction is still in progress")
    }

    func read<T>(_ body: (StoreDB) throws -> T) throws -> T {
        var tries = 0
        while true {
            let connection = try checkOutReader()
            var healthy = true
            defer { checkIn(connection, healthy: healthy && !connection.isClosed) }
            let t = PostgresTransaction(connection: connection, engine: self, within: nil)
            do {
                _ = try t.simple("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                let value = try body(StoreDB(.postgres(t)))
                try t.commit()
                return value
            } catch {
                if t.unanswered || connection.isClosed || (try? t.simple("ROLLBACK")) == nil { healthy = false }
                // An idle connection the server dropped (a restart): a read is safe to run
                // again. Not one that went unanswered: that took its time already.
                if !healthy && !t.unanswered && tries < 2 {
                    tries += 1
                    continue
                }
                throw Self.translated(error)
            }
        }
    }

    private func checkOutReader() throws -> PostgresConnection {
        readers.lock()
        while idleReaders.isEmpty && openReaders >= max(1, settings.readConnections) { readers.wait() }
        // Idle ones the server closed meanwhile (a restart) go; a new one is opened instead.
        while let connection = idleReaders.last, connection.isClosed {
            idleReaders.removeLast()
            openReaders -= 1
            Self.discard(connection)
        }
        if let connection = idleReaders.popLast() {
            readers.unlock()
            return connection
        }
        openReaders += 1
        readers.unlock()
        do {
            return try connect()
        } catch {
            readers.lock()
            openReaders -= 1
            readers.signal()
            readers.unlock()
            throw error
        }
    }

    private func checkIn(_ connection: PostgresConnection, healthy: Bool) {
        readers.lock()
        if healthy {
            idleReaders.append(connection)
        } else {
            openReaders -= 1
            Self.discard(connection)
        }
        readers.signal()
        readers.unlock()
    }

    /// Errors from the connection as the store's: a lost server is `unavailable`, whatever
    /// NIO called it; the database's own refusals (checks, keys, triggers) pass as they are.
    static func translated(_ error: any Error) -> any Error {
        if let psql = error as? PSQLError {
            if let state = psql.serverInfo?[.sqlState] {
                if state == "GW001" { return PostgresStoreError.fenced(psql.serverInfo?[.message] ?? "") }
                return PostgresStoreError.refused(sqlState: state, message: psql.serverInfo?[.message] ?? "")
            }
            return PostgresStoreError.unavailable(describePostgresError(psql))
        }
        if error is ChannelError || error is IOError || error is NoAnswer || error is PostgresTransaction.Closed {
            return PostgresStoreError.unavailable("\(error)")
        }
        return error
    }

    func primaryKey(_ table: String) throws -> [String] {
        keys.lock()
        defer { keys.unlock() }
        if let known = primaryKeys[table] { return known }
        let columns = try compiler.read { db in try db.primaryKey(table).columns }
        primaryKeys[table] = columns
        return columns
    }

    // MARK: Schema

    /// The same migrations as SQLite, numbered alike, in PostgreSQL's words; applied under an
    /// advisory lock, so nodes starting together apply each once.
    private func migrate() throws {
        // Read committed: each statement sees what another node committed while this one
        // waited for the lock (a serializable snapshot would be from before).
        // Waiting for another node's migrations, or rewriting a large table, may take longer
        // than a statement may.
        _ = try write(isolation: "READ COMMITTED", within: 600) { db in
            guard case let .postgres(t) = db.backend else { return 0 }
            _ = try t.simple("SET LOCAL statement_timeout = 0")
            _ = try t.simple("SELECT pg_advisory_xact_lock(7474819)")
            _ = try t.simple("CREATE TABLE IF NOT EXISTS grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            let done = Set(try t.run("SELECT identifier FROM grdb_migrations", []).compactMap { String.fromDatabaseValue(try t.value($0, 0)) })
            for (identifier, sql) in Migrations.postgres where !done.contains(identifier) {
                _ = try t.simple(sql)
                _ = try t.run("INSERT INTO grdb_migrations (identifier) VALUES (?)", [identifier])
            }
            return 0
        }
    }
}

/// One transaction's connection.
final class PostgresTransaction {
    let connection: PostgresConnection
    let engine: PostgresEngine
    /// Seconds each statement's answer is waited for (nil: the settings' `answerWithin`).
    let within: Double?
    var changesCount = 0
    var afterCommit: [@Sendable () -> Void] = []
    /// A statement went unanswered: the connection has been closed.
    private(set) var unanswered = false
    private static let logger = Logger(label: "gridwatch.store.postgres")

    /// The connection was found closed before a statement was sent: nothing was done.
    struct Closed: Error, CustomStringConvertible {
        var description: String { "the connection is closed" }
    }

    init(connection: PostgresConnection, engine: PostgresEngine, within: Double?) {
        self.connection = connection
        self.engine = engine
        self.within = within
    }

    var compiler: DatabaseQueue { engine.compiler }

    func primaryKey(_ table: String) throws -> [String] { try engine.primaryKey(table) }

    /// Statements without arguments, several separated by `;` (the schema); the last one's rows.
    @discardableResult
    func simple(_ sql: String) throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for statement in Self.statements(sql) {
            rows = try send(PostgresQuery(unsafeSQL: statement)).rows
        }
        return rows
    }

    /// `COMMIT`, which PostgreSQL answers with `ROLLBACK` (and no error) when the
    /// transaction had failed: that is a failure too, never a write done.
    func commit() throws {
        let result = try send(PostgresQuery(unsafeSQL: "COMMIT"))
        guard result.metadata.command != "ROLLBACK" else {
            throw PostgresStoreError.refused(sqlState: "25P02", message: "the transaction was rolled back at COMMIT")
        }
    }

    /// One statement's answer, within the settings' `answerWithin`. Sent from the
    /// connection's event loop once it is seen open there: PostgresNIO drops a query
    /// written to a closed connection without ever failing it, and waiting for that answer
    /// waited for ever (a reader left idle while the server restarted). No answer in time:
    /// the connection is closed, which fails the statement, and the next call connects again.
    func send(_ query: PostgresQuery) throws -> PostgresQueryResult {
        let connection = self.connection
        let loop = connection.eventLoop
        let logger = Self.logger
        let answer = loop.flatSubmit { () -> EventLoopFuture<PostgresQueryResult> in
            guard !connection.isClosed else { return loop.makeFailedFuture(Closed()) }
            return connection.query(query, logger: logger)
        }
        do {
            return try PostgresEngine.wait(for: answer, within: within ?? engine.settings.answerWithin, what: "a statement",
                                           expire: { _ = connection.close() as EventLoopFuture<Void> })
        } catch let error as PostgresEngine.NoAnswer {
            unanswered = true
            throw error
        }
    }

    /// `sql` cut at each `;` outside quotes, `$$` bodies and `--` comments.
    static func statements(_ sql: String) -> [String] {
        var out: [String] = []
        var current = ""
        var quote: Character?
        var dollar = false
        var comment = false
        var previous: Character = " "
        for c in sql {
            current.append(c)
            if comment {
                if c == "\n" { comment = false }
            } else if dollar {
                if c == "$" && previous == "$" { dollar = false; previous = " "; continue }
            } else if let q = quote {
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == "-" && previous == "-" {
                comment = true
            } else if c == "$" && previous == "$" {
                dollar = true
                previous = " "
                continue
            } else if c == ";" {
                let statement = current.dropLast().trimmingCharacters(in: .whitespacesAndNewlines)
                if !statement.isEmpty { out.append(statement) }
                current = ""
            }
            previous = c
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty && !rest.split(separator: "\n").allSatisfy({ $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }) { out.append(rest) }
        return out
    }

    /// One statement with `?` arguments, as GRDB writes them for SQLite.
    func run(_ sql: String, _ arguments: StatementArguments) throws -> [PostgresRow] {
        let (text, count) = Self.numbered(sql)
        var binds = PostgresBindings(capacity: count)
        if count > 0 {
            let values = try compiler.read { db in
                try Row.fetchOne(db, sql: "SELECT " + Array(repeating: "?", count: count).joined(separator: ", "), arguments: arguments)
            }.map { Array($0.databaseValues) } ?? []
            for value in values {
                switch value.storage {
                case .null: binds.appendNull()
                case let .int64(v): binds.append(v)
                case let .double(v): binds.append(v)
                case let .string(v): binds.append(v)
                case let .blob(v): binds.append(ByteBuffer(bytes: v))
                }
            }
        }
        let result = try send(PostgresQuery(unsafeSQL: text, binds: binds))
        changesCount = result.metadata.rows ?? 0
        return result.rows
    }

    /// `?` numbered `$1`, `$2`… outside quotes; SQLite's case-blind `LIKE` as `ILIKE`.
    static func numbered(_ sql: String) -> (String, Int) {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var count = 0
        var quote: Character?
        for c in sql {
            if let q = quote {
                if c == q { quote = nil }
                out.append(c)
            } else if c == "'" || c == "\"" {
                quote = c
                out.append(c)
            } else if c == "?" {
                count += 1
                out += "$\(count)"
            } else {
                out.append(c)
            }
        }
        if out.contains(" LIKE ") && !out.hasPrefix("CREATE") { out = out.replacingOccurrences(of: " LIKE ", with: " ILIKE ") }
        return (out, count)
    }

    /// A result row as GRDB's, by column name.
    func row(_ row: PostgresRow) throws -> Row {
        var values: [String: DatabaseValue] = [:]
        for (index, cell) in row.enumerated() { values[cell.columnName] = try value(cell, index) }
        return Row(values)
    }

    func value(_ row: PostgresRow, _ index: Int) throws -> DatabaseValue {
        for (i, cell) in row.enumerated() where i == index { return try value(cell, index) }
        return .null
    }

    private func value(_ cell: PostgresCell, _ index: Int) throws -> DatabaseValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8, .oid: return try cell.decode(Int64.self).databaseValue
        case .float4, .float8: return try cell.decode(Double.self).databaseValue
        case .bool: return (try cell.decode(Bool.self) ? 1 : 0).databaseValue
        case .numeric:
            // SUM of integers is numeric in PostgreSQL: whole numbers come back as SQLite's.
            let number = NSDecimalNumber(decimal: try cell.decode(Decimal.self))
            if number.decimalValue == Decimal(number.int64Value) { return number.int64Value.databaseValue }
            return number.doubleValue.databaseValue
        case .bytea:
            let buffer = try cell.decode(ByteBuffer.self)
            return Data(buffer.readableBytesView).databaseValue
        default: return try cell.decode(String.self).databaseValue
        }
    }
}
