import Catalog
import Cluster
import ControlProtocol
import Foundation
import Hummingbird
import Storage

/// Routes of the nodes sharing one store: list them, drain one (its cameras handed over
/// to the others) and undo that.
extension ControlRoutes {
    func addNodes(to routes: ControlRouter) {
        routes.get("/v1/nodes", .readCameras) { _, _ in
            let cluster = try clustered()
            let rows: [NodeStatus]
            do {
                let live = cluster.leases.timeout
                rows = try await databaseAnswer(within: 3) { try await cluster.nodes() }.map {
                    NodeStatus(id: $0.id, heartbeatAge: ($0.heartbeatAge * 10).rounded() / 10, live: $0.heartbeatAge < live, draining: $0.draining,
                               cameras: $0.held, cpu: $0.cpu.map { ($0 * 100).rounded() / 100 }, this: $0.id == cluster.nodeID)
                }
            } catch {
                throw ControlError.unavailable(.clusterUnavailable(detail: describePostgresError(error)))
            }
            return try JSONResponse.ok(NodeList(nodes: rows))
        }
        routes.post("/v1/nodes/:id/:action", .manage) { _, context in
            let cluster = try clustered()
            let id = context.parameters.get("id") ?? ""
            let action = context.parameters.get("action") ?? ""
            guard action == "drain" || action == "undrain" else { throw ControlError.notFound(.noSuchEndpoint(method: "POST", path: "/v1/nodes/\(id)/\(action)")) }
            let found: Bool
            let known: [String]
            do {
                found = try await databaseAnswer(within: 3) { try await cluster.setDraining(id, action == "drain") }
                known = found ? [] : try await databaseAnswer(within: 3) { try await cluster.nodes() }.map(\.id)
            } catch {
                throw ControlError.unavailable(.clusterUnavailable(detail: describePostgresError(error)))
            }
            guard found else { throw ControlError.notFound(.noSuchNode(id: id, known: known)) }
            let actor = try context.who.actor
            logger.notice(action == "drain" ? "node draining: its cameras go to the others" : "node takes cameras again",
                          metadata: ["node": "\(id)", "actor": "\(actor)"])
            return try JSONResponse.ok(NodeActionResult(node: id, draining: action == "drain"))
        }
    }

    private func clustered() throws -> ClusterService {
        guard let cluster else { throw ControlError.conflict(.notClustered) }
        return cluster
    }
}
