import Analysis
import Catalog
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

/// An error at the API's edge, with its HTTP status and a reason for the caller: a catalogue
/// entry, rendered in the language the request's `Accept-Language` asks for.
public enum ControlError: Error, Equatable {
    case notFound(APIMessage)
    case badRequest(APIMessage)
    /// The request is valid but the ticket's state does not allow it.
    case conflict(APIMessage)
    case forbidden(APIMessage)
    case tooLarge(APIMessage)
    /// A request body in a media type other than JSON.
    case unsupportedMediaType(APIMessage)
    /// A known path asked with a method it does not serve; `allow` lists those it does.
    case methodNotAllowed(APIMessage, allow: String)
    /// The thing exists but cannot answer now (a camera not streaming).
    case unavailable(APIMessage)
    /// A byte range beyond a file of `size` bytes.
    case rangeNotSatisfiable(APIMessage, size: Int)

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
        case .rangeNotSatisfiable: .rangeNotSatisfiable
        }
    }

    var reason: APIMessage {
        switch self {
        case let .notFound(r), let .badRequest(r), let .conflict(r), let .forbidden(r), let .tooLarge(r), let .unsupportedMediaType(r),
             let .methodNotAllowed(r, _), let .unavailable(r), let .rangeNotSatisfiable(r, _): r
        }
    }

    /// Header fields the status calls for (RFC 9110 §15.5.6, §15.5.16).
    var headers: HTTPFields {
        switch self {
        case let .methodNotAllowed(_, allow): [.allow: allow]
        case .unsupportedMediaType: [HTTPField.Name("Accept-Post")!: "application/json"]
        case let .rangeNotSatisfiable(_, size): [.contentRange: "bytes */\(size)"]
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
    /// Only answers for paths under this prefix (the console renders its pages' errors itself).
    var onlyUnder: String?

    init(logger: Logger, routes: RouteTable? = nil, onlyUnder: String? = nil) {
        self.logger = logger
        self.routes = routes
        self.onlyUnder = onlyUnder
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let onlyUnder, !request.uri.path.hasPrefix(onlyUnder) { return try await next(request, context) }
        do {
            return try await next(request, context)
        } catch let error as HTTPParserError {
            throw error
        } catch let error as ControlError {
            return JSONResponse.error(error.status, error.reason, for: request, headers: error.headers)
        } catch let error as HTTPError {
            if error.status == .notFound, let allowed = routes?.methods(for: request.uri.path), !allowed.isEmpty, !allowed.contains(request.method.rawValue) {
                let allow = allowed.joined(separator: ", ")
                let refusal = ControlError.methodNotAllowed(.methodNotAllowed(method: request.method.rawValue, path: request.uri.path, allow: allow), allow: allow)
                return JSONResponse.error(refusal.status, refusal.reason, for: request, headers: refusal.headers)
            }
            if error.status == .notFound {
                return JSONResponse.error(error.status, .noSuchEndpoint(method: request.method.rawValue, path: request.uri.path), for: request)
            }
            logger.warning("request failed", metadata: ["path": "\(request.uri.path)", "status": "\(error.status.code)", "error": "\(error.body ?? "")"])
            return JSONResponse.error(error.status, .malformedRequest(detail: error.body ?? error.status.reasonPhrase), for: request)
        } catch let error where DiskFull.matches(error) {
            logger.warning("request failed: disk full", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return JSONResponse.error(.init(code: 507, reasonPhrase: "Insufficient Storage"), .diskFull(directory: nil), for: request)
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return JSONResponse.error(.internalServerError, .internalError, for: request)
        }
    }
}

enum JSONResponse {
    static let encoder = ControlAPI.encoder()

    /// `language`: the answer holds text in that language (titles, notes, why a stream is
    /// down), so it says which and that it varies with `Accept-Language`.
    static func ok<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, language: Language? = nil) throws -> Response {
        let data = try encoder.encode(value)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let language {
            headers[.contentLanguage] = language.contentLanguage
            headers[.vary] = "Accept-Language"
        }
        return Response(
            status: status,
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// An error answer in the language the request asks for (`Accept-Language`; without one,
    /// Chinese then English), with the message's stable `code`.
    static func error(_ status: HTTPResponse.Status, _ reason: APIMessage, for request: Request, headers extra: HTTPFields = [:]) -> Response {
        error(status, reason, language: Language.negotiate(acceptLanguage: request.headers[.acceptLanguage]), headers: extra)
    }

    static func error(_ status: HTTPResponse.Status, _ reason: APIMessage, language: Language, headers extra: HTTPFields = [:]) -> Response {
        let body = ErrorResponse(status: Int(status.code), reason: reason.text(language), code: reason.code)
        let data = (try? encoder.encode(body)) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .contentLanguage: language.contentLanguage, .vary: "Accept-Language"]
        headers.append(contentsOf: extra)
        return Response(
            status: status,
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

