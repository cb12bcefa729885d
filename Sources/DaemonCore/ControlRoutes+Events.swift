import Catalog
import Analysis
import ControlProtocol
import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Storage
import Synchronization
import Tickets

/// Routes of the live event stream (Server-Sent Events).
extension ControlRoutes {
    func addEvents(to routes: ControlRouter) {
        routes.get("/v1/events", .readTickets) { request, context in
            let access = try context.who.access
            let header = request.headers[values: .init("Last-Event-ID")!].first
            let text = header ?? request.uri.queryParameters["last_event_id"].map(String.init)
            var lastID: Int64?
            if let text {
                guard let id = PlainText.digits(text.trimmingCharacters(in: .whitespaces)) else {
                    throw ControlError.badRequest(.badEventID(text: text))
                }
                lastID = id
            }
            let hub = events
            let manager = cameras
            let stillAuthorized = context.stillAuthorized
            let after = lastID
            let language = request.language
            // Subscribed when the body is written: an answer whose body is never written (to
            // HEAD) holds no subscription.
            let body = ResponseBody { writer in
                let subscription = hub.subscribe(after: after)
                func send(_ entry: EventHub.Entry) async throws {
                    guard entry.category.map(access.sees) ?? true else { return }
                    if access.grids != nil {
                        // A console user limited to grids hears of their tickets and cameras only.
                        let grid = entry.event.ticket?.gridId ?? entry.event.cameraId.flatMap { manager.camera($0)?.config.grid }
                        guard let grid, access.sees(grid: grid) else { return }
                    }
                    let data = try JSONResponse.encoder.encode(entry.event(in: language))
                    var text = "id: \(entry.event.id)\nevent: \(entry.event.type)\ndata: "
                    text += String(decoding: data, as: UTF8.self) + "\n\n"
                    try await writer.write(ByteBuffer(string: text))
                }
                do {
                    // Opening comment: tells the client the stream is live.
                    try await writer.write(ByteBuffer(string: ": gridwatch events\nretry: 2000\n\n"))
                    if subscription.reset {
                        try await writer.write(ByteBuffer(string: "event: reset\ndata: {\"reason\": \"missed changes are no longer kept: reload\"}\n\n"))
                    }
                    for entry in subscription.replay { try await send(entry) }
                    stream: for await item in subscription.items {
                        switch item {
                        case .entry(let entry): try await send(entry)
                        case .heartbeat:
                            // A console session that ended (logout, disabled, new password) ends its stream.
                            if let stillAuthorized, !stillAuthorized() { break stream }
                            try await writer.write(ByteBuffer(string: ": keepalive\n\n"))
                        }
                    }
                    hub.unsubscribe(subscription.token)
                    try await writer.finish(nil)
                } catch {
                    // The client went away.
                    hub.unsubscribe(subscription.token)
                    throw error
                }
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache", .contentLanguage: language.contentLanguage,
                          .vary: "Accept-Language"],
                body: body)
        }
    }
}
