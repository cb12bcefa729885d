import Catalog
import Foundation
import GRDB
import Digests
import Tickets

/// A person who logs in to the web console: the socket's roles, optionally limited to grids.
public struct ConsoleUser: Sendable, Equatable {
    public var name: String
    public var role: Role
    /// The grids (with the grids below them) whose tickets and cameras the user sees; empty: all.
    public var grids: [String]
    /// `.zh` or `.en`.
    public var language: Language
    public var disabledAt: Date?
    public var createdAt: Date
    public var lastLoginAt: Date?

    public init(name: String, role: Role, grids: [String] = [], language: Language = .zh, disabledAt: Date? = nil,
                createdAt: Date = Date(), lastLoginAt: Date? = nil) {
        self.name = name
        self.role = role
        self.grids = grids
        self.language = language
        self.disabledAt = disabledAt
        self.createdAt = createdAt
        self.lastLoginAt = lastLoginAt
    }

    /// A name a person can type and a log line can show: ASCII letters and digits, Chinese
    /// characters (U+4E00–U+9FFF), `.`, `_`, `-`, `@`; 1 to 64 of them (the API's schema
    /// says the same: `^[A-Za-z0-9._@一-鿿-]{1,64}$`).
    public static func validName(_ name: String) -> Bool {
        let scalars = name.unicodeScalars
        return !scalars.isEmpty && scalars.count <= 64 && scalars.allSatisfy { c in
            c.isASCII ? (c.properties.isAlphabetic || ("0"..."9").contains(c) || "._-@".unicodeScalars.contains(c)) : (0x4E00...0x9FFF).contains(c.value)
        }
    }
}

/// A logged-in browser: whose it is and the token its forms must carry.
public struct ConsoleSession: Sendable, Equatable {
    public var user: ConsoleUser
    public var csrf: String
    public var createdAt: Date
}

/// Why a change to the console's accounts was refused.
public enum ConsoleAccountError: Error, Equatable {
    case exists(String)
    case noSuchUser(String)
    case badName(String)
    case unknownGrid(String)
}

/// Passwords as PBKDF2-HMAC-SHA256 (RFC 8018) with a 16-byte random salt, stored as
/// `pbkdf2-sha256$ROUNDS$SALT$HASH` (base64), so the count can rise later and old hashes
/// still verify. 600 000 rounds (OWASP's figure for this hash) take about 0.3 s on one core.
public enum PasswordHash {
    public static let rounds: UInt32 = 600_000
    static let prefix = "pbkdf2-sha256"

    public static func make(_ password: String, rounds: UInt32 = rounds) -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let hash = derive(password, salt: salt, rounds: rounds)
        return "\(prefix)$\(rounds)$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
    }

    /// Whether `password` gives `stored`; the comparison takes the same time wherever the
    /// bytes differ. A malformed stored value never matches.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == prefix, let rounds = UInt32(parts[1]), rounds > 0, rounds <= 10_000_000,
              let salt = Data(base64Encoded: String(parts[2])), let expected = Data(base64Encoded: String(parts[3])), expected.count == 32
        else { return false }
        let actual = derive(password, salt: Array(salt), rounds: rounds)
        var diff: UInt8 = 0
        for (a, b) in zip(actual, expected) { diff |= a ^ b }
        return diff == 0
    }

    /// The raw 32-byte key (RFC 8018 §5.2, for the tests' vectors).
    public static func derive(_ password: String, salt: [UInt8], rounds: UInt32) -> [UInt8] {
        let bytes = Array(password.utf8)
        var out = [UInt8](repeating: 0, count: 32)
        gw_pbkdf2_hmac_sha256(bytes, bytes.count, salt, salt.count, rounds, &out, out.count)
        return out
    }
}

extension TicketStore {
    // MARK: Console accounts

    public func addConsoleUser(_ user: ConsoleUser, passwordHash: String, at now: Date) throws {
        guard ConsoleUser.validName(user.name) else { throw ConsoleAccountError.badName(user.name) }
        try writer.write { db in
            for grid in user.grids where try !GridRecord.exists(db, key: grid) { throw ConsoleAccountError.unknownGrid(grid) }
            if try String.fetchOne(db, sql: "SELECT name FROM console_users WHERE name = ?", arguments: [user.name]) != nil {
                throw ConsoleAccountError.exists(user.name)
            }
            try db.execute(sql: """
                INSERT INTO console_users (name, role, grids, password_hash, language, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [user.name, user.role.rawValue, user.grids.joined(separator: ","), passwordHash,
                                 user.language == .en ? "en" : "zh", now.timeIntervalSince1970, now.timeIntervalSince1970])
        }
    }

    /// A new password; every session of the user ends (whoever knew the old one is logged out).
    public func setConsolePassword(_ name: String, passwordHash: String, at now: Date) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE console_users SET password_hash = ?, updated_at = ? WHERE name = ?",
                           arguments: [passwordHash, now.timeIntervalSince1970, name])
            guard db.changesCount == 1 else { throw ConsoleAccountError.noSuchUser(name) }
            try db.execute(sql: "DELETE FROM console_sessions WHERE \"user\" = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM console_login_failures WHERE name = ?", arguments: [name])
        }
    }

    /// Disabling ends the user's sessions at once; enabling lets them log in again.
    public func setConsoleUserDisabled(_ name: String, _ disabled: Bool, at now: Date) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE console_users SET disabled_at = ?, updated_at = ? WHERE name = ?",
                           arguments: [disabled ? now.timeIntervalSince1970 : nil, now.timeIntervalSince1970, name])
            guard db.changesCount == 1 else { throw ConsoleAccountError.noSuchUser(name) }
            if disabled { try db.execute(sql: "DELETE FROM console_sessions WHERE \"user\" = ?", arguments: [name]) }
        }
    }

    public func setConsoleLanguage(_ name: String, _ language: Language, at now: Date) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE console_users SET language = ?, updated_at = ? WHERE name = ?",
                           arguments: [language == .en ? "en" : "zh", now.timeIntervalSince1970, name])
        }
    }

    public func consoleUsers() throws -> [ConsoleUser] {
        try writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM console_users ORDER BY name").map(Self.consoleUser) }
    }

    /// The user and their stored hash, for a login.
    public func consoleCredentials(_ name: String) throws -> (user: ConsoleUser, passwordHash: String)? {
        try writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM console_users WHERE name = ?", arguments: [name]).map { (Self.consoleUser($0), $0["password_hash"]) }
        }
    }

    static func consoleUser(_ row: Row) -> ConsoleUser {
        let grids: String = row["grids"]
        return ConsoleUser(
            name: row["name"], role: Role(rawValue: row["role"]) ?? .viewer,
            grids: grids.split(separator: ",").map(String.init),
            language: row["language"] == "en" ? .en : .zh,
            disabledAt: (row["disabled_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            lastLoginAt: (row["last_login_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }

    // MARK: Failed logins

    /// Failed logins for `name` (known or not) at or after `since`, oldest first.
    public func loginFailures(_ name: String, since: Date) throws -> [Date] {
        try writer.read { db in
            try Double.fetchAll(db, sql: "SELECT at FROM console_login_failures WHERE name = ? AND at >= ? ORDER BY at",
                                arguments: [name, since.timeIntervalSince1970]).map(Date.init(timeIntervalSince1970:))
        }
    }

    /// One more failure; failures older than `keepAfter` are forgotten on the way.
    public func recordLoginFailure(_ name: String, at now: Date, keepAfter: Date) throws {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM console_login_failures WHERE at < ?", arguments: [keepAfter.timeIntervalSince1970])
            try db.execute(sql: "INSERT INTO console_login_failures (name, at) VALUES (?, ?)", arguments: [name, now.timeIntervalSince1970])
        }
    }

    // MARK: Sessions

    /// A session for `name` from now, after a good password: its failures are forgotten.
    public func createConsoleSession(user name: String, tokenHash: String, csrf: String, at now: Date) throws {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM console_login_failures WHERE name = ?", arguments: [name])
            try db.execute(sql: "UPDATE console_users SET last_login_at = ? WHERE name = ?", arguments: [now.timeIntervalSince1970, name])
            try db.execute(sql: "INSERT INTO console_sessions (token_hash, \"user\", csrf, created_at, last_seen) VALUES (?, ?, ?, ?, ?)",
                           arguments: [tokenHash, name, csrf, now.timeIntervalSince1970, now.timeIntervalSince1970])
        }
    }

    /// The live session with this token hash, or nil: none, its user disabled, or idle longer
    /// than `idle` (then it is deleted). Its last use is written at most once a minute.
    public func consoleSession(tokenHash: String, idle: TimeInterval, at now: Date) throws -> ConsoleSession? {
        let found: (ConsoleSession, Double)? = try writer.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT s.csrf, s.created_at AS session_created, s.last_seen, u.* FROM console_sessions s
                JOIN console_users u ON u.name = s."user" WHERE s.token_hash = ?
                """, arguments: [tokenHash]) else { return nil }
            let user = Self.consoleUser(row)
            return (ConsoleSession(user: user, csrf: row["csrf"], createdAt: Date(timeIntervalSince1970: row["session_created"])), row["last_seen"])
        }
        guard let (session, lastSeen) = found else { return nil }
        let age = now.timeIntervalSince1970 - lastSeen
        if age > idle || session.user.disabledAt != nil {
            try endConsoleSession(tokenHash: tokenHash)
            return nil
        }
        if age > 60 {
            try writer.write { db in
                try db.execute(sql: "UPDATE console_sessions SET last_seen = ? WHERE token_hash = ?", arguments: [now.timeIntervalSince1970, tokenHash])
            }
        }
        return session
    }

    public func endConsoleSession(tokenHash: String) throws {
        try writer.write { db in try db.execute(sql: "DELETE FROM console_sessions WHERE token_hash = ?", arguments: [tokenHash]) }
    }

    /// Sessions idle longer than `idle` are deleted (housekeeping); returns how many.
    @discardableResult
    public func pruneConsoleSessions(idle: TimeInterval, at now: Date) throws -> Int {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM console_sessions WHERE last_seen < ?", arguments: [now.timeIntervalSince1970 - idle])
            return db.changesCount
        }
    }

    // MARK: Grids

    /// `grids` and every grid below them (their children, their children's children …).
    public func gridsAtOrBelow(_ grids: [String]) throws -> Set<String> {
        try writer.read { db in
            var result = Set(grids)
            var frontier = grids
            while !frontier.isEmpty {
                let marks = frontier.map { _ in "?" }.joined(separator: ", ")
                let children = try String.fetchAll(db, sql: "SELECT id FROM grids WHERE parent_id IN (\(marks))", arguments: StatementArguments(frontier))
                frontier = children.filter { result.insert($0).inserted }
            }
            return result
        }
    }
}

extension TicketStore {
    /// Every grid's id and name, in the configuration's order of ids.
    public func gridNames() throws -> [(id: String, name: String)] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name FROM grids ORDER BY id").map { (id: $0["id"], name: $0["name"]) }
        }
    }
}
