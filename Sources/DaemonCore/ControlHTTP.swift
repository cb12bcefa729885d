import Catalog
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The control socket's HTTP server.
///
/// Hummingbird's `Application.run()` adds a service that re-formats the `Date`
/// header once a second, for ever. On a control socket that answers a few
/// requests a minute that timer was most of the daemon's idle CPU (about
/// 0.4 ms a second across the concurrency pool's threads, measured with
/// `/proc/PID/task/*/schedstat`), so this runs the same HTTP/1 server with the
/// same responder but formats the date when a response is written.
struct ControlHTTPService<Responder: HTTPResponder>: Service
where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
    let responder: Responder
    let server: HTTPServerBuilder
    let configuration: ServerConfiguration
    let onServerRunning: @Sendable (any Channel) async -> Void
    let logger: Logger

    func run() async throws {
        let responder = self.responder
        let logger = self.logger
        let serverName = configuration.serverName
        let service = try server.buildServer(
            configuration: configuration,
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger,
            responder: { (request, responseWriter: consuming ResponseWriter, channel) in
                let context = Responder.Context(source: .init(channel: channel, logger: logger))
                // HEAD is GET without the body (RFC 9110 §9.3.2): routed, authorised and
                // answered as GET, and only the head is written (NIO's encoder keeps the
                // framing headers GET would have had). A route whose body is never written
                // does none of the body's work (an event stream subscribes in its body).
                let isHead = request.method == .head
                var routed = request
                if isHead {
                    var head = request.head
                    head.method = .get
                    routed = Request(head: head, body: request.body)
                }
                var response: Response
                do {
                    response = try await responder.respond(to: routed, context: context)
                } catch let error as HTTPParserError {
                    // The request broke off while a route read its body (a garbage chunk
                    // size): a 400 with the reason, and the connection ends (the parser
                    // takes nothing more from it).
                    response = JSONResponse.error(.badRequest, .malformedRequest(detail: "\(error)"), for: request)
                    response.headers[.connection] = "close"
                } catch {
                    response = Response(status: .internalServerError, body: .init())
                }
                response.headers[.date] = HTTPDate.now()
                if let serverName { response.headers[.server] = serverName }
                do {
                    try await responseWriter.write(response: response.head, body: isHead ? ResponseBody() : response.body)
                } catch is HTTPParserError {
                    // Not rethrown as a parser error: that would make the channel
                    // write a second (400) response after this one.
                    throw ResponseWriteFailed()
                }
            },
            onServerRunning: onServerRunning)
        try await service.run()
    }
}

struct ResponseWriteFailed: Error {}

/// RFC 9110 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), from `gmtime_r`
/// rather than a `DateFormatter` (which is costly to build and not thread-safe).
enum HTTPDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func now() -> String { format(time(nil)) }

    static func format(_ seconds: time_t) -> String {
        var t = seconds
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
