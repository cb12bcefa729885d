import Cluster
import Logging
import PostgresNIO
import TestSupport

/// A real PostgreSQL server with an empty database holding the cluster's tables and a
/// table written under leases as the store's tickets will be (`fenced_events`, its rows
/// checked by the fence); `body` gets a running client to it. The server is stopped after.
func withClusterDatabase(_ body: (PostgresClient) async throws -> Void) async throws {
    let server = try PostgresServer()
    defer { server.stop() }
    let database = try server.createDatabase("cluster")
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
