import Cluster
import Foundation
import Logging
import PostgresNIO
import Synchronization
import TestSupport

/// One PostgreSQL server for the test process, started on first use (off the concurrency
/// pool: `initdb` and `pg_ctl` block for seconds), stopped at exit.
private let server = Mutex<Result<PostgresServer, any Error>?>(nil)
private let created = Atomic<Int>(0)

func clusterServer() async throws -> PostgresServer {
    try await offPool {
        try server.withLock { started in
            if started == nil {
                started = Result { try PostgresServer() }
                atexit { if case let .success(s)? = server.withLock({ $0 }) { s.stop() } }
            }
            return try started!.get()
        }
    }
}

/// A new empty database on the process's server; its name.
func newClusterDatabase(_ prefix: String) async throws -> (PostgresServer, String) {
    let pg = try await clusterServer()
    let n = created.add(1, ordering: .relaxed).newValue
    let name = try await offPool { try pg.createDatabase("\(prefix)_\(n)") }
    return (pg, name)
}

/// An empty database holding the cluster's tables and a table written under leases as the
/// store's tickets will be (`fenced_events`, its rows checked by the fence); `body` gets a
/// running client to it.
func withClusterDatabase(_ body: (PostgresClient) async throws -> Void) async throws {
    let (server, database) = try await newClusterDatabase("cluster")
    let client = PostgresClient(
        configuration: .init(host: server.host, port: server.port, username: server.user, password: nil, database: database, tls: .disable),
        backgroundLogger: Logger(label: "test"))
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        try await PostgresLeases.migrate(client)
        try await client.query("""
            CREATE TABLE fenced_events (id serial PRIMARY KEY, camera_id text NOT NULL, node_id text, lease_epoch bigint, note text)
            """)
        try await client.query("""
            CREATE TRIGGER fence BEFORE INSERT OR UPDATE ON fenced_events FOR EACH ROW EXECUTE FUNCTION cluster_fence_row()
            """)
        try await body(client)
    }
}
