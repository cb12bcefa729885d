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

/// A file handle read by one response body only.
struct SendableFileHandle: @unchecked Sendable {
    let file: FileHandle
    init(_ file: FileHandle) { self.file = file }
}

/// An error at the API's edge, with its HTTP status and a reason for the caller.
public enum ControlError: Error, Equatable {
    case notFound(String)
    case badRequest(String)
    /// The request is valid but the ticket's state does not allow it.
    case conflict(String)
    case forbidden(String)
    case tooLarge(String)
    /// A request body in a media type other than JSON.
    case unsupportedMediaType(String)
    /// A known path asked with a method it does not serve; `allow` lists those it does.
    case methodNotAllowed(String, allow: String)
    /// The thing exists but cannot answer now (a camera not streaming).
    case unavailable(String)

    var status: HTTPResponse.Status {
        switch self {
        case .notFound: .notFound
        case .badRequest: .badRequest
        case .conflict: .conflict
        case .forbidden: .forbidden
        case .tooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .methodNotAllowed: .methodNotAllowed
        case .unavailable: .serviceUnavailable
        }
    }

    var reason: String {
        switch self {
        case let .notFound(r), let .badRequest(r), let .conflict(r), let .forbidden(r), let .tooLarge(r), let .unsupportedMediaType(r),
             let .methodNotAllowed(r, _), let .unavailable(r): r
        }
    }

    /// Header fields the status calls for (RFC 9110 §15.5.6, §15.5.16).
    var headers: HTTPFields {
        switch self {
        case let .methodNotAllowed(_, allow): [.allow: allow]
        case .unsupportedMediaType: [HTTPField.Name("Accept-Post")!: "application/json"]
        default: [:]
        }
    }
}

/// Renders every error, including unknown paths, as `{"error": {"status", "reason"}}`. A path
/// the router knows, asked with a method it does not serve, is a 405 with `Allow` rather than
/// the router's 404. A request the HTTP parser gave up on half way (a garbage chunk size in
/// the body) is not the route's error: it goes on to `ControlHTTPService`, which answers it
/// 400 and ends the connection.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    var routes: RouteTable?

    init(logger: Logger, routes: RouteTable? = nil) {
        self.logger = logger
        self.routes = routes
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPParserError {
            throw error
        } catch let error as ControlError {
            return JSONResponse.error(error.status, error.reason, headers: error.headers)
        } catch let error as HTTPError {
            if error.status == .notFound, let allowed = routes?.methods(for: request.uri.path), !allowed.isEmpty, !allowed.contains(request.method.rawValue) {
                let allow = allowed.joined(separator: ", ")
                let refusal = ControlError.methodNotAllowed(
                    "\(request.uri.path) does not take \(request.method); it takes \(allow) / 不支持此请求方法，可用：\(allow)", allow: allow)
                return JSONResponse.error(refusal.status, refusal.reason, headers: refusal.headers)
            }
            let reason = error.status == .notFound ? "no such endpoint: \(request.method) \(request.uri.path)" : (error.body ?? error.status.reasonPhrase)
            return JSONResponse.error(error.status, reason)
        } catch let error where DiskFull.matches(error) {
            logger.warning("request failed: disk full", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return JSONResponse.error(.init(code: 507, reasonPhrase: "Insufficient Storage"), DiskFull.reason())
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return JSONResponse.error(.internalServerError, "internal error")
        }
    }
}

enum JSONResponse {
    static let encoder = ControlAPI.encoder()

    static func ok<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ reason: String, headers extra: HTTPFields = [:]) -> Response {
        let data = (try? encoder.encode(ErrorResponse(status: Int(status.code), reason: reason))) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        headers.append(contentsOf: extra)
        return Response(
            status: status,
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

