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
            guard ["drain", "undrain", "forget"].contains(action) else {
                throw ControlError.notFound(.noSuchEndpoint(method: "POST", path: "/v1/nodes/\(id)/\(action)"))
            }
            if action == "forget" { return try await forget(id, cluster, context) }
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

    /// Removes a node that is no longer running from the list, freeing what it still holds.
    private func forget(_ id: String, _ cluster: ClusterService, _ context: ControlContext) async throws -> Response {
        let outcome: ForgetOutcome
        let known: [String]
        do {
            outcome = try await databaseAnswer(within: 3) { try await cluster.forget(id) }
            known = outcome == .unknown ? try await databaseAnswer(within: 3) { try await cluster.nodes() }.map(\.id) : []
        } catch {
            throw ControlError.unavailable(.clusterUnavailable(detail: describePostgresError(error)))
        }
        switch outcome {
        case .unknown:
            throw ControlError.notFound(.noSuchNode(id: id, known: known))
        case let .live(age):
            throw ControlError.conflict(.nodeStillAlive(id: id, seconds: Int(age.rounded())))
        case let .forgotten(freed):
            let actor = try context.who.actor
            logger.notice("node forgotten: removed from the list, its leases freed", metadata: ["node": "\(id)", "leases": "\(freed)", "actor": "\(actor)"])
            return try JSONResponse.ok(NodeForgotten(node: id, leasesFreed: freed))
        }
    }

    private func clustered() throws -> ClusterService {
        guard let cluster else { throw ControlError.conflict(.notClustered) }
        return cluster
    }
}
