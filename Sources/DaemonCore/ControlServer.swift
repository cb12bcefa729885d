import Analysis
import ControlProtocol
import Foundation
import Hummingbird
import Logging
import NIOCore
import Storage
import Tickets

/// An error at the API's edge, with its HTTP status and a reason for the caller.
public enum ControlError: Error, Equatable {
    case notFound(String)
    case badRequest(String)

    var status: HTTPResponse.Status {
        switch self {
        case .notFound: .notFound
        case .badRequest: .badRequest
        }
    }

    var reason: String {
        switch self {
        case let .notFound(r), let .badRequest(r): r
        }
    }
}

/// Renders every error, including unknown paths, as `{"error": {"status", "reason"}}`.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ControlError {
            return JSONResponse.error(error.status, error.reason)
        } catch let error as HTTPError {
            let reason = error.status == .notFound ? "no such endpoint: \(request.method) \(request.uri.path)" : (error.body ?? error.status.reasonPhrase)
            return JSONResponse.error(error.status, reason)
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

    static func error(_ status: HTTPResponse.Status, _ reason: String) -> Response {
        let data = (try? encoder.encode(ErrorResponse(status: Int(status.code), reason: reason))) ?? Data()
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The routes of the control API (`/v1/...`), over whatever the application binds.
struct ControlRoutes: Sendable {
    let store: TicketStore
    let cameras: CameraManager
    let startedAt: Date
    let version: String

    func cameraStatuses() -> [CameraStatus] {
        cameras.workers.map { worker in
            let c = worker.config
            let h = worker.health
            let d = h.detect
            let record = worker.record.map { runner in
                let r = h.record ?? StreamStatus()
                return RecordStatus(
                    source: runner.redactedURL, state: r.state.rawValue, codec: r.info?.codec, width: r.info?.width,
                    height: r.info?.height, packets: r.framesDecoded, reconnects: r.reconnects,
                    bufferedSeconds: (h.recordSeconds * 10).rounded() / 10, bufferedBytes: h.recordBytes, lastError: r.lastError)
            }
            return CameraStatus(
                id: c.id, name: c.name, gridId: c.grid, source: c.redactedSource, state: h.state.rawValue,
                codec: d.info?.codec, width: d.info?.width, height: d.info?.height,
                inputFps: (h.inputFPS * 10).rounded() / 10, analysedFps: (h.analysedFPS * 10).rounded() / 10,
                framesDecoded: d.framesDecoded, framesAnalysed: h.analysis.framesAnalysed, framesDropped: h.framesDropped,
                decodeErrors: d.decodeErrors, reconnects: d.reconnects, lastFrameAt: d.lastFrameAt,
                offlineSince: h.offlineSince, lastError: d.lastError, record: record)
        }
    }

    static func summary(_ t: TicketRecord) -> TicketSummary {
        TicketSummary(
            id: t.id ?? 0, cameraId: t.cameraId, zoneId: t.zoneId, tripwireId: t.tripwireId, kind: t.kind, trackId: t.trackId,
            gridId: t.gridId, category: t.category,
            severity: t.severity, state: t.state, title: t.title, occurredAt: t.occurredAt,
            createdAt: t.createdAt, updatedAt: t.updatedAt, hasSnapshot: t.snapshotPath != nil)
    }

    func ticketID(_ context: some RequestContext) throws -> Int64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else { throw ControlError.badRequest("ticket id must be a positive whole number, got '\(text)'") }
        return id
    }

    func add<Context: RequestContext>(to router: Router<Context>) {
        router.get("/v1/health") { _, _ in
            let statuses = cameraStatuses()
            let streaming = statuses.filter { $0.state == StreamState.streaming.rawValue }.count
            let total = try store.ticketCount()
            return try JSONResponse.ok(HealthResponse(
                status: streaming == statuses.count ? "ok" : "degraded", version: version, startedAt: startedAt,
                camerasTotal: statuses.count, camerasStreaming: streaming, ticketsTotal: total))
        }
        router.get("/v1/cameras") { _, _ in
            try JSONResponse.ok(CameraList(cameras: cameraStatuses()))
        }
        router.get("/v1/tickets") { request, _ in
            var query = TicketQuery()
            let params = request.uri.queryParameters
            if let s = params["state"].map(String.init) {
                guard let state = TicketState(rawValue: s) else {
                    throw ControlError.badRequest("unknown state '\(s)' (one of: \(TicketState.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                query.state = state
            }
            query.cameraID = params["camera"].map(String.init)
            query.zoneID = params["zone"].map(String.init)
            if let l = params["limit"].map(String.init) {
                guard let limit = Int(l), (1...1000).contains(limit) else { throw ControlError.badRequest("limit must be 1...1000, got '\(l)'") }
                query.limit = limit
            }
            if let o = params["offset"].map(String.init) {
                guard let offset = Int(o), offset >= 0 else { throw ControlError.badRequest("offset must be 0 or more, got '\(o)'") }
                query.offset = offset
            }
            let rows = try store.tickets(query)
            let total = try store.ticketCount(matching: query)
            return try JSONResponse.ok(TicketList(tickets: rows.map(Self.summary), total: total))
        }
        router.get("/v1/tickets/:id") { _, context in
            let id = try ticketID(context)
            guard let ticket = try store.ticket(id: id) else { throw ControlError.notFound("no ticket \(id)") }
            let events = try store.events(ticketID: id).map {
                TicketEventInfo(id: $0.id ?? 0, at: $0.at, actor: $0.actor, kind: $0.kind, fromState: $0.fromState, toState: $0.toState, note: $0.note)
            }
            let trajectory = ticket.trajectory.flatMap { try? JSONDecoder().decode([TrajectoryPoint].self, from: Data($0.utf8)) } ?? []
            return try JSONResponse.ok(TicketDetail(ticket: Self.summary(ticket), events: events, trajectory: trajectory))
        }
        router.get("/v1/tickets/:id/snapshot") { _, context in
            let id = try ticketID(context)
            guard let ticket = try store.ticket(id: id) else { throw ControlError.notFound("no ticket \(id)") }
            guard let url = store.snapshotURL(of: ticket) else { throw ControlError.notFound("ticket \(id) has no snapshot") }
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw ControlError.notFound("snapshot of ticket \(id) is missing on disk")
            }
            return Response(
                status: .ok,
                headers: [.contentType: "image/jpeg"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
