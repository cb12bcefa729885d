import Foundation
import Storage
import Synchronization
import Testing
import Tickets
import TestSupport

/// The engines the store's tests run on: SQLite, and PostgreSQL on a real server the tests
/// start themselves (`TestSupport.PostgresServer`).
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// One PostgreSQL server for the test process, started on first use, stopped at exit; each
/// store gets a database of its own, named after its folder.
private let server = Mutex<Result<PostgresServer, any Error>?>(nil)
private let databases = Mutex<[String: String]>([:])

private func sharedServer() throws -> PostgresServer {
    try server.withLock { started in
        if started == nil {
            started = Result { try PostgresServer() }
            atexit { stopSharedServer() }
        }
        return try started!.get()
    }
}

private func stopSharedServer() {
    if case let .success(s)? = server.withLock({ $0 }) { s.stop() }
}

/// The store in `dir` on `kind`: opening it again (a restart) finds the same rows.
func openStore(_ kind: StoreKind, _ dir: TemporaryDirectory, policy: StorePolicy = StorePolicy()) throws -> TicketStore {
    switch kind {
    case .sqlite:
        return try TicketStore(directory: dir.url, policy: policy)
    case .postgres:
        let pg = try sharedServer()
        let name = try databases.withLock { known in
            if let name = known[dir.url.path] { return name }
            let name = try pg.createDatabase("store_\(known.count + 1)")
            known[dir.url.path] = name
            return name
        }
        let settings = PostgresSettings(host: pg.host, port: pg.port, user: pg.user, database: name)
        return try TicketStore(directory: dir.url, location: .postgres(settings), policy: policy)
    }
}

/// Runs `sql` with `psql` on the PostgreSQL database of the store in `dir`; its output.
@discardableResult
func psql(_ dir: TemporaryDirectory, _ sql: String) throws -> String {
    let pg = try sharedServer()
    guard let name = databases.withLock({ $0[dir.url.path] }) else { throw CommandFailed(command: "psql", status: 2, output: "no database") }
    return try runCommand("/usr/bin/psql", ["-v", "ON_ERROR_STOP=1", "-h", pg.host, "-p", "\(pg.port)", "-U", pg.user, "-d", name, "-Atc", sql])
}
