import DaemonCore
import Foundation
import Storage

/// SQLite's plan for a ticket list filter, as the API would run it (for `make bench`).
public enum TicketQueryPlan {
    public static func explain(dataDirectory: String, parameters: String) throws -> [String] {
        var params: [String: String] = [:]
        for pair in parameters.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            params[parts[0]] = parts.count > 1 ? (parts[1].removingPercentEncoding ?? parts[1]) : ""
        }
        let store = try TicketStore(directory: URL(fileURLWithPath: dataDirectory))
        return try store.queryPlan(for: try ControlRoutes.query(params))
    }
}
