@testable import DaemonCore
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded

/// A router's answer to one request, in process: no socket, no HTTP parser, the router
/// and its middleware as the daemon builds them. (The listeners themselves are tested over
/// real sockets by the end-to-end tests.)
struct InProcessAnswer {
    var status: Int
    var headers: HTTPFields
    var body: ByteBuffer
}

extension Router where Context == ControlContext {
    /// What the router answers to `method uri` with `headers` and `body`. A route that
    /// throws an error which is not an HTTP error answers 500, as the server does.
    func answer(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: ByteBuffer? = nil) async throws -> InProcessAnswer {
        var headers = headers
        if let body { headers[.contentLength] = "\(body.readableBytes)" }
        let request = Request(head: HTTPRequest(method: method, scheme: "http", authority: "localhost", path: uri, headerFields: headers),
                              body: RequestBody(buffer: body ?? ByteBuffer()))
        let context = ControlContext(source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: Logger(label: "test")))
        let response: Response
        do {
            response = try await buildResponder().respond(to: request, context: context)
        } catch {
            response = Response(status: .internalServerError)
        }
        let collected = Collected()
        try await response.body.write(collected.writer)
        return InProcessAnswer(status: Int(response.status.code), headers: response.headers, body: collected.buffer)
    }
}

/// Collects a response body written in any number of pieces.
private final class Collected: @unchecked Sendable {
    var buffer = ByteBuffer()

    struct Writer: ResponseBodyWriter {
        let into: Collected
        mutating func write(_ piece: ByteBuffer) async throws { into.buffer.writeImmutableBuffer(piece) }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    var writer: Writer { Writer(into: self) }
}
