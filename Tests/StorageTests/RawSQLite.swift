import Foundation
import TestSupport

/// The sqlite3 CLI, to check that the schema itself refuses what the API never does.
struct RawDatabase {
    let path: String
    func execute(_ sql: String) throws {
        try runCommand("/usr/bin/sqlite3", [path, sql])
    }
}

func openRaw(_ path: String) throws -> RawDatabase { RawDatabase(path: path) }
