import Catalog
import ControlProtocol
import Foundation
import Hummingbird
import Storage

/// Routes of notifications: each destination's queue, and its dead letters retried or dropped.
extension ControlRoutes {
    func addNotify(to routes: ControlRouter) {
        routes.get("/v1/notify", .readCameras) { request, _ in
            _ = try Self.parameters(request, allowed: [])
            let list = try notify.map { try $0.status() } ?? []
            return try JSONResponse.ok(NotifyStatusList(destinations: list))
        }
        for verb in ["retry", "drop", "enable"] {
            routes.post("/v1/notify/:id/\(verb)", .manage) { request, context in
                let actor = try context.who.actor
                let id = context.parameters.get("id") ?? ""
                let known = notify?.destinations.map(\.id) ?? []
                guard let service = notify, known.contains(id) else { throw ControlError.notFound(.noSuchDestination(id: id, known: known)) }
                let body: DeadLetterRequest = verb == "enable" ? DeadLetterRequest()
                    : try await Self.decodeJSON(request, fields: ["event_id"], example: "{\"event_id\": 12}") ?? DeadLetterRequest()
                if let event = body.eventId, event <= 0 { throw ControlError.badRequest(.noDeadLetter(destination: id, event: event)) }
                let now = Date()
                let count: Int
                switch verb {
                case "retry": count = try store.retryDeadLetters(destination: id, eventID: body.eventId, at: now)
                case "drop": count = try store.dropDeadLetters(destination: id, eventID: body.eventId, at: now)
                default: count = try store.enableDestination(id, at: now) ? 1 : 0
                }
                if let event = body.eventId, count == 0 { throw ControlError.notFound(.noDeadLetter(destination: id, event: event)) }
                logger.notice("notify: \(verb)", metadata: ["actor": "\(actor)", "destination": "\(id)", "count": "\(count)",
                                                            "event_id": "\(body.eventId.map(String.init) ?? "all")"])
                service.sender(id)?.wake.signal()
                return try JSONResponse.ok(NotifyActionResult(destination: id, count: count))
            }
        }
    }
}
