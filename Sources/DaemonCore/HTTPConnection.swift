import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

extension HTTPServerBuilder {
    /// Hummingbird's HTTP/1 server with a `ConnectionPersistenceHandler` in its pipeline.
    static func controlHTTP1(idleTimeout: TimeAmount) -> HTTPServerBuilder {
        .init { responder in
            PersistenceAwareHTTP1Channel(base: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: idleTimeout)))
        }
    }
}

/// Hummingbird's `HTTP1Channel`, with `ConnectionPersistenceHandler` put between NIO's
/// request decoder and the conversion to HTTP types: past that point the request's HTTP
/// version is gone.
struct PersistenceAwareHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let base: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(ConnectionPersistenceHandler(), position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Whether a connection persists after each answer (RFC 9112 §9.3), decided where the
/// request's HTTP version is still known: HTTP/1.1 persists unless `Connection` lists
/// `close` (any case, anywhere in the list), HTTP/1.0 only when it lists `keep-alive`.
///
/// Hummingbird converts requests to version-less HTTP types and ends its request loop only
/// for a `Connection` header that is exactly "close", so an HTTP/1.0 request (or
/// "Connection: Close") left the connection open until the 30 s idle timeout. Here a request
/// that does not persist has its header normalised to that spelling (the loop then ends and
/// closes the connection after the answer) and its answer says `Connection: close`.
///
/// Answers to HTTP/1.0 requests go out as HTTP/1.0, so NIO never chunks them (1.0 clients
/// cannot read chunking); one without a length (an event stream) is then delimited by the
/// end of the connection, which is closed after it.
final class ConnectionPersistenceHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private struct Exchange {
        var version: HTTPVersion
        var persists: Bool
    }

    /// Requests read and not yet answered, oldest first (clients may pipeline).
    private var exchanges = CircularBuffer<Exchange>()
    /// The answer being written ends the connection, which the request loop does not know.
    private var closeOutputAfterEnd = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        let persists = head.isKeepAlive
        exchanges.append(Exchange(version: head.version, persists: persists))
        if !persists {
            head.headers.replaceOrAdd(name: "connection", value: "close")
        }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            let interim = (100..<200).contains(head.status.code) && head.status != .switchingProtocols
            guard !interim, let exchange = exchanges.first else {
                context.write(data, promise: promise)
                return
            }
            var persists = exchange.persists
            if exchange.version.major == 1 && exchange.version.minor == 0 {
                head.version = .http1_0
                if persists && !head.headers.contains(name: "content-length") && head.status.code != 204 && head.status.code != 304 {
                    persists = false
                    closeOutputAfterEnd = true
                }
                if persists { head.headers.replaceOrAdd(name: "connection", value: "keep-alive") }
            }
            if !persists { head.headers.replaceOrAdd(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            if !exchanges.isEmpty { exchanges.removeFirst() }
            guard closeOutputAfterEnd else {
                context.write(data, promise: promise)
                return
            }
            closeOutputAfterEnd = false
            context.writeAndFlush(data, promise: promise)
            context.close(mode: .output, promise: nil)
        }
    }
}
