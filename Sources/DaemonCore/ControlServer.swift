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

/// The connecting process's credentials, from `SO_PEERCRED` (glibc's `struct ucred`,
/// declared here because Swift cannot see it).
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// Who is calling: the actor recorded in ticket history, and what they may do.
struct CallerIdentity: Sendable, Equatable {
    var uid: UInt32
    var gid: UInt32
    var user: String?
    var access = Access(roles: [])

    /// "name (uid 1000)", or "uid 1000" for a uid with no account.
    var actor: String { user.map { "\($0) (uid \(uid))" } ?? "uid \(uid)" }

    static func userName(_ uid: UInt32) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else { return nil }
        return String(cString: name)
    }
}

/// Unix groups → roles, resolved to group ids when the daemon starts. Root and the daemon's
/// own user are admins. A caller's groups are its primary group (from the kernel) and the
/// groups the group database lists for its user name.
public struct RoleMap: Sendable {
    let byGroup: [UInt32: Role]
    let daemonUID: UInt32

    init(byGroup: [UInt32: Role], daemonUID: UInt32 = getuid()) {
        self.byGroup = byGroup
        self.daemonUID = daemonUID
    }

    /// Resolve configured group names (at start and on reload); a name the machine does not
    /// know is logged and ignored.
    static func resolve(_ roles: [String: Role], logger: Logger) -> RoleMap {
        var byGroup: [UInt32: Role] = [:]
        var unknown: [String] = []
        for (name, role) in roles.sorted(by: { $0.key < $1.key }) {
            guard let group = getgrnam(name) else {
                unknown.append(name)
                continue
            }
            let gid = group.pointee.gr_gid
            // A group named twice keeps the stronger role.
            byGroup[gid] = max(byGroup[gid] ?? role, role)
        }
        for group in unknown {
            logger.warning("no such group for a control role; ignored", metadata: ["group": "\(group)"])
        }
        return RoleMap(byGroup: byGroup)
    }

    func access(uid: UInt32, gid: UInt32, user: String?) -> Access {
        if uid == 0 || uid == daemonUID { return Access(roles: [.admin]) }
        var groups: Set<UInt32> = [gid]
        if let user { groups.formUnion(Self.groups(of: user, primary: gid)) }
        return Access(roles: Set(groups.compactMap { byGroup[$0] }))
    }

    static func groups(of user: String, primary: UInt32) -> [UInt32] {
        var count: Int32 = 64
        var list = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(user, primary, &list, &count) < 0 {
            list = [gid_t](repeating: 0, count: Int(count))
            guard getgrouplist(user, primary, &list, &count) >= 0 else { return [] }
        }
        return Array(list.prefix(Int(count)))
    }
}

/// The role map in force; a reload replaces it.
final class RoleHolder: Sendable {
    private let current: Mutex<RoleMap>
    init(_ map: RoleMap) { current = Mutex(map) }
    var map: RoleMap {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }
}

/// The control API's request context: Hummingbird's core plus the channel, so the
/// authorization middleware can ask the kernel who is on the other end of the Unix socket,
/// and the caller it found.
struct ControlContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel
    /// Set by `AuthorizationMiddleware` before any route runs.
    var caller: CallerIdentity?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The caller, as the middleware established it.
    var who: CallerIdentity {
        get throws {
            guard let caller else { throw ControlError.forbidden("caller identity unavailable / 无法识别调用者") }
            return caller
        }
    }

    /// The caller, or a 403 when the socket cannot say (no identity, no access).
    func identity() async throws -> CallerIdentity {
        guard let provider = channel as? SocketOptionProvider else {
            throw ControlError.forbidden("caller identity unavailable: not a Unix socket peer / 无法识别调用者")
        }
        do {
            let cred: PeerCredentials = try await provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)).get()
            return CallerIdentity(uid: cred.uid, gid: cred.gid, user: CallerIdentity.userName(cred.uid))
        } catch {
            throw ControlError.forbidden("caller identity unavailable: \(error) / 无法识别调用者")
        }
    }
}

/// Authorization, in one place: who is calling (SO_PEERCRED), which roles their groups give,
/// and whether the endpoint allows them. Ticket visibility (corrections) follows from the
/// same `Access` in the routes' queries. Every refusal is logged.
struct AuthorizationMiddleware: RouterMiddleware {
    typealias Context = ControlContext
    let roles: RoleHolder
    let logger: Logger

    /// Paths that manage the daemon (admins only), whether or not this version serves them.
    static let managementPaths = ["/v1/reload", "/v1/config", "/v1/backup"]

    static func permission(_ method: HTTPRequest.Method, _ path: String) -> Permission {
        switch (method, path) {
        case (_, _) where managementPaths.contains(where: { path == $0 || path.hasPrefix($0 + "/") }): .manage
        case (.post, _) where path.hasPrefix("/v1/cameras/"): .manage
        case (.get, _) where path.hasPrefix("/v1/tickets") || path == "/v1/supervision" || path == "/v1/stats" || path == "/v1/events": .readTickets
        case (.post, _) where path.hasPrefix("/v1/tickets/"): .actOnTickets
        // Everything else needs only some role: the router answers it (usually 404).
        default: .readCameras
        }
    }

    func handle(_ request: Request, context: ControlContext, next: (Request, ControlContext) async throws -> Response) async throws -> Response {
        var context = context
        var caller = try await context.identity()
        caller.access = roles.map.access(uid: caller.uid, gid: caller.gid, user: caller.user)
        let needed = Self.permission(request.method, request.uri.path)
        guard caller.access.allows(needed) else {
            let reason = caller.access.roles.isEmpty
                ? "\(caller.actor) has no role here: ask the administrator to add you to a group configured under daemon.roles / 没有访问权限"
                : "\(caller.actor) (\(caller.access.roles.map(\.rawValue).sorted().joined(separator: ", "))) may not \(request.method) \(request.uri.path) / 权限不足"
            logger.warning("control request refused", metadata: [
                "actor": "\(caller.actor)", "method": "\(request.method)", "path": "\(request.uri.path)",
            ])
            throw ControlError.forbidden(reason)
        }
        context.caller = caller
        return try await next(request, context)
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

/// The routes of the control API (`/v1/...`), over whatever the application binds.
public struct ControlRoutes: Sendable {
    let store: TicketStore
    let cameras: CameraManager
    let tickets: TicketService
    let events: EventHub
    let reloader: ConfigReloader
    let metrics: MetricsCollector
    let startedAt: Date
    let version: String
    let logger: Logger

    func cameraStatuses() -> [CameraStatus] {
        cameras.list().map(Self.status)
    }

    static func status(_ camera: CameraManager.Camera) -> CameraStatus {
        let c = camera.config
        guard let worker = camera.worker else {
            var s = CameraStatus(
                id: c.id, name: c.name, gridId: c.grid, source: c.redactedSource,
                state: camera.state,
                codec: nil, width: nil, height: nil, inputFps: 0, analysedFps: 0, framesDecoded: 0, framesAnalysed: 0, framesDropped: 0,
                decodeErrors: 0, reconnects: 0, lastFrameAt: nil, offlineSince: nil, lastError: nil, record: nil)
            s.enabled = camera.disabled == nil
            s.disabledBy = camera.disabled?.disabledBy
            s.disabledAt = camera.disabled?.disabledAt
            s.disabledReason = camera.disabled?.reason
            s.zones = c.zones.map(\.id)
            s.tripwires = c.tripwires.map(\.id)
            return s
        }
        let h = worker.health
        let d = h.detect
        let record = worker.record.map { runner in
            let r = h.record ?? StreamStatus()
            return RecordStatus(
                source: runner.redactedURL, state: r.state.rawValue, codec: r.info?.codec, width: r.info?.width,
                height: r.info?.height, packets: r.framesDecoded, reconnects: r.reconnects,
                bufferedSeconds: (h.recordSeconds * 10).rounded() / 10, bufferedBytes: h.recordBytes, lastError: r.lastError)
        }
        var s = CameraStatus(
            id: c.id, name: c.name, gridId: c.grid, source: c.redactedSource, state: h.state.rawValue,
            codec: d.info?.codec, width: d.info?.width, height: d.info?.height,
            inputFps: (h.inputFPS * 10).rounded() / 10, analysedFps: (h.analysedFPS * 10).rounded() / 10,
            framesDecoded: d.framesDecoded, framesAnalysed: h.analysis.framesAnalysed, framesDropped: h.framesDropped,
            decodeErrors: d.decodeErrors, reconnects: d.reconnects, lastFrameAt: d.lastFrameAt,
            offlineSince: h.offlineSince, lastError: d.lastError, record: record)
        s.zones = c.zones.map(\.id)
        s.tripwires = c.tripwires.map(\.id)
        return s
    }

    func camera(_ context: some RequestContext) throws -> CameraManager.Camera {
        let id = context.parameters.get("id") ?? ""
        guard let camera = cameras.camera(id) else {
            throw ControlError.notFound("no such camera '\(id)' (known: \(cameras.list().map(\.config.id).joined(separator: ", "))) / 没有这个摄像头")
        }
        return camera
    }

    static func summary(_ t: TicketRecord) -> TicketSummary {
        var s = TicketSummary(
            id: t.id ?? 0, cameraId: t.cameraId, zoneId: t.zoneId, tripwireId: t.tripwireId, kind: t.kind, trackId: t.trackId,
            gridId: t.gridId, category: t.category,
            severity: t.severity, state: t.state, title: t.title, occurredAt: t.occurredAt,
            createdAt: t.createdAt, updatedAt: t.updatedAt, hasSnapshot: t.snapshotPath != nil)
        s.assignee = t.assignee
        s.acknowledgedAt = t.acknowledgedAt
        s.closedAt = t.closedAt
        s.ackDueAt = t.ackDueAt
        s.closeDueAt = t.closeDueAt
        let overdue = Overdue(rawValue: t.overdue)
        s.overdue = [(Overdue.acknowledge, "acknowledge"), (Overdue.close, "close")].filter { overdue.contains($0.0) }.map(\.1)
        s.escalations = t.escalations
        s.occurrences = t.occurrences
        s.lastSeenAt = t.lastSeenAt
        s.reopenCount = t.reopenCount
        s.repeatProblem = t.repeatProblem
        s.repeatOf = t.repeatOf
        s.evidencePurged = t.evidencePurged
        s.archived = t.archived
        return s
    }

    func ticketID(_ context: some RequestContext) throws -> Int64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = PlainText.digits(text), id > 0, text.first != "0" else {
            throw ControlError.badRequest("ticket id must be a positive whole number in plain digits (like 42), got '\(text)' / 工单编号必须是不带符号的正整数")
        }
        return id
    }

    /// A time parameter: ISO 8601 (2026-11-23T08:00:00Z) or a local date (2026-11-23).
    static func time(_ text: String, name: String) throws -> Date {
        if let d = try? Date(text, strategy: .iso8601) { return d }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd"
        if let d = f.date(from: text) { return d }
        throw ControlError.badRequest("\(name) must be an ISO 8601 time or a date (YYYY-MM-DD), got '\(text)'")
    }

    static func flag(_ text: String?, name: String) throws -> Bool {
        switch text {
        case nil, "0", "false", "no": return false
        case "1", "true", "yes", "": return true
        default: throw ControlError.badRequest("\(name) must be true or false, got '\(text!)'")
        }
    }

    func query(_ request: Request) throws -> TicketQuery {
        var params: [String: String] = [:]
        for (k, v) in request.uri.queryParameters { params[String(k)] = String(v) }
        return try Self.query(params)
    }

    /// A ticket filter from query parameters (also used by `gridwatchd explain-tickets`).
    public static func query(_ params: [String: String]) throws -> TicketQuery {
        var query = TicketQuery()
        let known: Set<String> = ["state", "open", "camera", "zone", "grid", "category", "overdue", "repeat", "since", "until", "q",
                                  "archived", "limit", "offset", "format"]
        if let unknown = params.keys.sorted().first(where: { !known.contains($0) }) {
            throw ControlError.badRequest("unknown parameter '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        if let s = params["state"] {
            guard let state = TicketState(rawValue: s) else {
                throw ControlError.badRequest("unknown state '\(s)' (one of: \(TicketState.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            query.state = state
        }
        if let c = params["category"] {
            guard let category = TicketCategory(rawValue: c) else {
                throw ControlError.badRequest("unknown category '\(c)' (one of: \(TicketCategory.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            query.category = category
        }
        query.openOnly = try Self.flag(params["open"], name: "open")
        query.overdueOnly = try Self.flag(params["overdue"], name: "overdue")
        query.repeatProblemOnly = try Self.flag(params["repeat"], name: "repeat")
        query.includeArchived = try Self.flag(params["archived"], name: "archived")
        query.cameraID = params["camera"]
        query.zoneID = params["zone"]
        query.gridID = params["grid"]
        query.text = params["q"]
        if let s = params["since"] { query.since = try Self.time(s, name: "since") }
        if let u = params["until"] { query.until = try Self.time(u, name: "until") }
        if let l = params["limit"] {
            guard let limit = PlainText.digits(l), (1...1000).contains(limit) else { throw ControlError.badRequest("limit must be 1...1000, got '\(l)'") }
            query.limit = Int(limit)
        }
        if let o = params["offset"] {
            guard let offset = PlainText.digits(o) else { throw ControlError.badRequest("offset must be 0 or more, got '\(o)'") }
            query.offset = Int(offset)
        }
        return query
    }

    /// A ticket the caller may see; one they may not see does not exist for them.
    func visibleTicket(_ id: Int64, _ caller: CallerIdentity) throws -> TicketRecord {
        guard let ticket = try store.ticket(id: id), caller.access.sees(ticket.category) else {
            throw ControlError.notFound("no ticket \(id) / 没有工单 \(id)")
        }
        return ticket
    }

    static func occurrence(_ o: OccurrenceRecord) -> OccurrenceInfo {
        OccurrenceInfo(id: o.id ?? 0, at: o.at, trackId: o.trackId, hasSnapshot: o.snapshotPath != nil)
    }

    func detail(_ id: Int64, _ caller: CallerIdentity) throws -> TicketDetail {
        let ticket = try visibleTicket(id, caller)
        let events = try store.events(ticketID: id).map {
            TicketEventInfo(id: $0.id ?? 0, at: $0.at, actor: $0.actor, kind: $0.kind, fromState: $0.fromState, toState: $0.toState, note: $0.note)
        }
        let trajectory = ticket.trajectory.flatMap { try? JSONDecoder().decode([TrajectoryPoint].self, from: Data($0.utf8)) } ?? []
        var detail = TicketDetail(ticket: Self.summary(ticket), events: events, trajectory: trajectory)
        detail.occurrences = try store.occurrences(ticketID: id).map(Self.occurrence)
        detail.allowedActions = Workflow.allowedActions(from: ticket.state)
        return detail
    }

    /// Request bodies are small: a note and an assignee.
    static let maxBody = 64 * 1024

    static func decodeBody(_ request: Request) async throws -> ActionRequest {
        let body: ActionRequest = try await decodeJSON(
            request, fields: ["note", "assignee"], shape: "body must be JSON like {\"note\": \"...\", \"assignee\": \"...\"}",
            typeHint: "note and assignee are text") ?? ActionRequest()
        try PlainText.check(body.note, field: "note", allowingLines: true)
        try PlainText.check(body.assignee, field: "assignee")
        return body
    }

    /// A small JSON object body with only `fields`; nil for an empty body. A body in another
    /// media type is a 415; one without a type is read as JSON.
    static func decodeJSON<T: Decodable>(_ request: Request, fields: Set<String>, shape: String, typeHint: String) async throws -> T? {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBody)
        } catch is NIOTooManyBytesError {
            throw ControlError.tooLarge("body over \(maxBody / 1024) KiB / 请求内容过大")
        }
        // Any other error (the parser's, for a garbage chunk size) is the request's, not its size.
        if buffer.readableBytes == 0 { return nil }
        try JSONMediaType.check(request.headers[.contentType])
        let data = Data(buffer.readableBytesView)
        // Unknown fields are refused: a misspelt "asignee" must not silently do nothing.
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ControlError.badRequest("\(shape): not a JSON object")
        }
        if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) {
            throw ControlError.badRequest("\(shape): unknown field '\(unknown)'")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw ControlError.badRequest("\(shape): \(typeHint)")
        }
    }

    static func refusal(_ error: TicketActionError) -> ControlError {
        switch error {
        case .noSuchTicket: .notFound(error.description)
        case .workflow(.invalidTransition): .conflict(error.description)
        case .workflow, .unknownAssignee, .emptyNote: .badRequest(error.description)
        }
    }

    static func csv(_ header: [String], _ rows: [[String]]) -> Response {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        // A byte-order mark so spreadsheet programs read the Chinese titles as UTF-8.
        let text = "\u{FEFF}" + ([header] + rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Exports larger than this are refused with a hint to narrow them (a month of a busy town
    /// is a few thousand tickets).
    static let csvLimit = 200_000

    static func csvTime(_ d: Date?) -> String { d.map { ControlAPI.formatDate($0) } ?? "" }

    func add(to router: Router<ControlContext>) {
        router.get("/v1/health") { _, context in
            let visible = try context.who.access.visibleCategories
            let statuses = cameraStatuses()
            let streaming = statuses.filter { $0.state == StreamState.streaming.rawValue }.count
            let disabled = statuses.filter { !$0.enabled }.count
            var all = TicketQuery()
            all.visibleCategories = visible
            let total = try store.ticketCount(matching: all)
            let overdue = TicketQuery.supervision(visibleCategories: visible)
            let storeHealth = tickets.health
            var health = HealthResponse(
                status: streaming + disabled == statuses.count && storeHealth.ok ? "ok" : "degraded", version: version, startedAt: startedAt,
                camerasTotal: statuses.count, camerasStreaming: streaming, ticketsTotal: total)
            health.camerasDisabled = disabled
            health.ticketsOverdue = try store.ticketCount(matching: overdue)
            health.store = storeHealth.ok ? "ok" : "failing"
            health.storeError = storeHealth.lastError
            health.storePending = storeHealth.pending
            return try JSONResponse.ok(health)
        }
        router.get("/v1/cameras") { _, _ in
            try JSONResponse.ok(CameraList(cameras: cameraStatuses()))
        }
        router.get("/v1/cameras/:id") { _, context in
            try JSONResponse.ok(Self.status(try camera(context)))
        }
        router.get("/v1/cameras/:id/snapshot") { _, context in
            let camera = try camera(context)
            let id = camera.config.id
            guard let worker = camera.worker else {
                throw ControlError.unavailable("camera \(id) is \(camera.disabled != nil ? "disabled / 已停用" : "not running"): no current picture")
            }
            let state = worker.health.state
            guard state == .streaming else {
                throw ControlError.unavailable("camera \(id) is \(state.rawValue): no current picture / 摄像头未在线")
            }
            // Encoding takes milliseconds: off the event loop and the concurrency pool.
            let shot = try await Self.offPool { try worker.currentSnapshot() }
            guard let shot else { throw ControlError.unavailable("camera \(id) has not analysed a frame yet; try again in a moment") }
            return Response(
                status: .ok,
                headers: [.contentType: "image/jpeg", .cacheControl: "no-store", .lastModified: HTTPDate.format(time_t(shot.at.timeIntervalSince1970))],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: shot.jpeg)))
        }
        router.post("/v1/cameras/:id/:switch") { request, context in
            let camera = try camera(context)
            let id = camera.config.id
            let verb = context.parameters.get("switch") ?? ""
            guard verb == "enable" || verb == "disable" else {
                throw ControlError.notFound("no such camera action '\(verb)' (one of: enable, disable)")
            }
            let caller = try context.who
            let body: CameraActionRequest = try await Self.decodeJSON(
                request, fields: ["reason"], shape: "body must be JSON like {\"reason\": \"...\"}", typeHint: "reason is text") ?? CameraActionRequest()
            try PlainText.check(body.reason, field: "reason")
            let changed: Bool
            do {
                if verb == "disable" {
                    let record = CameraSwitchRecord(cameraId: id, disabledBy: caller.actor, disabledAt: Date(), reason: body.reason)
                    // Stored first: if the store cannot say so, the camera stays as it is.
                    if camera.disabled == nil { try store.setCameraDisabled(id, record) }
                    changed = try cameras.disable(id, record: record)
                } else {
                    if camera.disabled != nil { try store.setCameraDisabled(id, nil) }
                    changed = try cameras.enable(id, actor: caller.actor)
                }
            } catch let error as CameraManager.SwitchError {
                switch error {
                case .unknownCamera: throw ControlError.notFound("no such camera '\(id)'")
                case .stopping: throw ControlError.unavailable("the daemon is stopping")
                }
            }
            guard let now = cameras.camera(id) else { throw ControlError.notFound("no such camera '\(id)'") }
            return try JSONResponse.ok(CameraActionResponse(camera: Self.status(now), changed: changed))
        }
        router.get("/v1/backup") { _, context in
            let actor = try context.who.actor
            let path = store.directory.appendingPathComponent("backup-\(UUID().uuidString.prefix(8)).sqlite.partial").path
            let size: Int64
            do {
                size = try await Self.offPool { try store.backup(to: path) }
            } catch {
                try? FileManager.default.removeItem(atPath: path)
                logger.error("backup failed", metadata: ["actor": "\(actor)", "error": "\(error)"])
                if DiskFull.matches(error) { throw error } // 507, said by ErrorMiddleware
                throw ControlError.unavailable("backup failed: \(error)")
            }
            guard let file = FileHandle(forReadingAtPath: path) else { throw ControlError.unavailable("backup file vanished") }
            // Unlinked now: the open handle keeps it readable, and nothing is left behind if
            // the client goes away half way.
            unlink(path)
            logger.notice("backup", metadata: ["actor": "\(actor)", "bytes": "\(size)"])
            let handle = SendableFileHandle(file)
            return Response(
                status: .ok,
                headers: [.contentType: "application/vnd.sqlite3", HTTPField.Name("Content-Disposition")!: "attachment; filename=\"gridwatch.sqlite\""],
                body: ResponseBody(contentLength: Int(size)) { writer in
                    defer { try? handle.file.close() }
                    while true {
                        let chunk = try handle.file.read(upToCount: 1 << 20) ?? Data()
                        if chunk.isEmpty { break }
                        try await writer.write(ByteBuffer(bytes: chunk))
                    }
                    try await writer.finish(nil)
                })
        }
        router.get("/metrics") { _, _ in
            try await Self.metricsResponse(metrics)
        }
        router.get("/v1/config") { _, _ in
            try JSONResponse.ok(reloader.current())
        }
        router.post("/v1/config/check") { _, _ in
            let report = try await Self.offPool { reloader.check() }
            return try JSONResponse.ok(report, status: report.valid ? .ok : .unprocessableContent)
        }
        router.post("/v1/reload") { _, context in
            let actor = try context.who.actor
            let report = try await Self.offPool { reloader.reload(actor: actor) }
            return try JSONResponse.ok(report, status: report.valid ? .ok : .unprocessableContent)
        }
        router.get("/v1/people") { request, _ in
            let grid = request.uri.queryParameters["grid"].map(String.init)
            let people = try store.people(gridID: grid).map { PersonInfo(id: $0.id, name: $0.name, gridId: $0.gridId, role: $0.role, phone: $0.phone) }
            return try JSONResponse.ok(PeopleList(people: people))
        }
        router.get("/v1/tickets") { request, context in
            var query = try query(request)
            query.visibleCategories = try context.who.access.visibleCategories
            let format = request.uri.queryParameters["format"].map(String.init) ?? "json"
            switch format {
            case "json":
                let rows = try store.tickets(query)
                let total = try store.ticketCount(matching: query)
                return try JSONResponse.ok(TicketList(tickets: rows.map(Self.summary), total: total))
            case "csv":
                // The whole filtered set (not one page), for the monthly report.
                var all: [TicketRecord] = []
                try store.eachTicket(matching: query, limit: Self.csvLimit) { all.append($0) }
                if all.count == Self.csvLimit {
                    throw ControlError.badRequest("more than \(Self.csvLimit) tickets match: narrow the export with since/until / 导出数量过多，请缩小时间范围")
                }
                return Self.csv(
                    ["id", "occurred_at", "created_at", "state", "severity", "category", "kind", "grid_id", "camera_id", "zone_id", "tripwire_id",
                     "title", "assignee", "acknowledged_at", "closed_at", "ack_due_at", "close_due_at", "overdue", "escalations", "occurrences",
                     "reopen_count", "repeat_problem", "repeat_of"],
                    all.map { t in
                        [String(t.id ?? 0), Self.csvTime(t.occurredAt), Self.csvTime(t.createdAt), t.state.rawValue, t.severity.rawValue,
                         t.category.rawValue, t.kind, t.gridId, t.cameraId, t.zoneId ?? "", t.tripwireId ?? "", t.title, t.assignee ?? "",
                         Self.csvTime(t.acknowledgedAt), Self.csvTime(t.closedAt), Self.csvTime(t.ackDueAt), Self.csvTime(t.closeDueAt),
                         String(t.overdue), String(t.escalations), String(t.occurrences), String(t.reopenCount), t.repeatProblem ? "1" : "0", t.repeatOf.map(String.init) ?? ""]
                    })
            default:
                throw ControlError.badRequest("format must be json or csv, got '\(format)'")
            }
        }
        router.get("/v1/supervision") { _, context in
            var query = TicketQuery.supervision(visibleCategories: try context.who.access.visibleCategories)
            query.limit = 1000
            let rows = try store.tickets(query)
            return try JSONResponse.ok(TicketList(tickets: rows.map(Self.summary), total: try store.ticketCount(matching: query)))
        }
        router.get("/v1/stats") { request, context in
            let params = request.uri.queryParameters
            let byText = params["by"].map(String.init) ?? "category"
            guard let by = StatsGrouping(rawValue: byText) else {
                throw ControlError.badRequest("by must be one of: \(StatsGrouping.allCases.map(\.rawValue).joined(separator: ", ")), got '\(byText)'")
            }
            let now = Date()
            var until = now
            var since: Date
            switch params["period"].map(String.init) ?? "week" {
            case "day": since = now.addingTimeInterval(-86_400)
            case "week": since = now.addingTimeInterval(-7 * 86_400)
            case "month": since = now.addingTimeInterval(-30 * 86_400)
            case "year": since = now.addingTimeInterval(-365 * 86_400)
            case let other: throw ControlError.badRequest("period must be day, week, month or year, got '\(other)'")
            }
            if let s = params["since"].map(String.init) { since = try Self.time(s, name: "since") }
            if let u = params["until"].map(String.init) { until = try Self.time(u, name: "until") }
            guard since < until else { throw ControlError.badRequest("since must be before until") }
            let (groups, total) = try store.statistics(since: since, until: until, grouping: by, visibleCategories: try context.who.access.visibleCategories)
            if params["format"].map(String.init) == "csv" {
                func n(_ d: Double?) -> String { d.map { String(format: "%.1f", $0) } ?? "" }
                return Self.csv(
                    [by.rawValue, "raised", "acknowledged", "acknowledged_on_time", "closed", "closed_on_time", "completion_rate", "false_alarms",
                     "false_alarm_rate", "repeat_tickets", "overdue", "mean_ack_s", "p90_ack_s", "mean_close_s", "p90_close_s"],
                    (groups + [total]).map { g in
                        [g.key, String(g.raised), String(g.acknowledged), String(g.acknowledgedOnTime), String(g.closed), String(g.closedOnTime),
                         String(format: "%.3f", g.completionRate), String(g.falseAlarms), String(format: "%.3f", g.falseAlarmRate),
                         String(g.repeatTickets), String(g.overdue), n(g.meanAcknowledgeSeconds), n(g.p90AcknowledgeSeconds),
                         n(g.meanCloseSeconds), n(g.p90CloseSeconds)]
                    })
            }
            return try JSONResponse.ok(StatsResponse(since: since, until: until, by: by, groups: groups, total: total))
        }
        router.get("/v1/events") { request, context in
            let access = try context.who.access
            let header = request.headers[values: .init("Last-Event-ID")!].first
            let text = header ?? request.uri.queryParameters["last_event_id"].map(String.init)
            var lastID: Int64?
            if let text {
                guard let id = PlainText.digits(text.trimmingCharacters(in: .whitespaces)) else {
                    throw ControlError.badRequest("Last-Event-ID must be a whole number in plain digits, got '\(text)'")
                }
                lastID = id
            }
            let hub = events
            let after = lastID
            // Subscribed when the body is written: an answer whose body is never written (to
            // HEAD) holds no subscription.
            let body = ResponseBody { writer in
                let subscription = hub.subscribe(after: after)
                func send(_ entry: EventHub.Entry) async throws {
                    guard entry.category.map(access.sees) ?? true else { return }
                    let data = try JSONResponse.encoder.encode(entry.event)
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
                    for await item in subscription.items {
                        switch item {
                        case .entry(let entry): try await send(entry)
                        case .heartbeat: try await writer.write(ByteBuffer(string: ": keepalive\n\n"))
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
                headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"],
                body: body)
        }
        router.get("/v1/tickets/:id") { _, context in
            try JSONResponse.ok(try detail(try ticketID(context), try context.who))
        }
        router.get("/v1/tickets/:id/snapshot") { _, context in
            let id = try ticketID(context)
            let ticket = try visibleTicket(id, try context.who)
            guard let url = store.snapshotURL(of: ticket) else {
                throw ControlError.notFound(ticket.evidencePurged ? "evidence of ticket \(id) was purged / 证据已按保存期限删除" : "ticket \(id) has no snapshot")
            }
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw ControlError.notFound("snapshot of ticket \(id) is missing on disk")
            }
            return Response(
                status: .ok,
                headers: [.contentType: "image/jpeg"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get("/v1/tickets/:id/occurrences") { _, context in
            let id = try ticketID(context)
            _ = try visibleTicket(id, try context.who)
            return try JSONResponse.ok(OccurrenceList(ticketId: id, occurrences: try store.occurrences(ticketID: id).map(Self.occurrence)))
        }
        router.get("/v1/tickets/:id/occurrences/:occurrence/snapshot") { _, context in
            let id = try ticketID(context)
            let ticket = try visibleTicket(id, try context.who)
            let text = context.parameters.get("occurrence") ?? ""
            guard let number = PlainText.digits(text), number > 0, text.first != "0" else {
                throw ControlError.badRequest("occurrence id must be a positive whole number in plain digits, got '\(text)' / 告警记录编号必须是正整数")
            }
            guard let occurrence = try store.occurrences(ticketID: id).first(where: { $0.id == number }) else {
                throw ControlError.notFound("ticket \(id) has no occurrence \(number) / 工单 \(id) 没有第 \(number) 条告警记录")
            }
            guard let path = occurrence.snapshotPath else {
                throw ControlError.notFound(ticket.evidencePurged
                    ? "evidence of ticket \(id) was purged / 证据已按保存期限删除"
                    : "occurrence \(number) of ticket \(id) kept no snapshot (repeat alerts keep one only when they add something) / 该次告警未保留截图")
            }
            guard let data = FileManager.default.contents(atPath: store.evidenceURL(path).path) else {
                throw ControlError.notFound("snapshot of occurrence \(number) of ticket \(id) is missing on disk / 截图文件缺失")
            }
            return Response(status: .ok, headers: [.contentType: "image/jpeg"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.post("/v1/tickets/:id/notes") { request, context in
            let id = try ticketID(context)
            let caller = try context.who
            try mayAct(on: try visibleTicket(id, caller), caller)
            let body = try await Self.decodeBody(request)
            do {
                _ = try store.addNote(ticketID: id, actor: caller.actor, note: body.note ?? "", at: Date())
            } catch let error as TicketActionError {
                throw Self.refusal(error)
            }
            logger.info("ticket note", metadata: ["ticket.id": "\(id)", "actor": "\(caller.actor)"])
            if let ticket = try store.ticket(id: id) { events.publishTicket(ticket, change: "note", actor: caller.actor, at: Date()) }
            return try JSONResponse.ok(try detail(id, caller), status: .created)
        }
        router.post("/v1/tickets/:id/:action") { request, context in
            let id = try ticketID(context)
            let verb = context.parameters.get("action") ?? ""
            guard let action = TicketAction(rawValue: verb) else {
                throw ControlError.notFound("no such action '\(verb)' (one of: \(TicketAction.allCases.map(\.rawValue).joined(separator: ", ")), notes)")
            }
            let caller = try context.who
            try mayAct(on: try visibleTicket(id, caller), caller)
            let body = try await Self.decodeBody(request)
            let ticket: TicketRecord
            do {
                ticket = try store.perform(action, ticketID: id, actor: caller.actor, note: body.note, assignee: body.assignee, at: Date())
            } catch let error as TicketActionError {
                logger.notice("ticket action refused", metadata: ["ticket.id": "\(id)", "action": "\(verb)", "actor": "\(caller.actor)", "reason": "\(error)"])
                throw Self.refusal(error)
            }
            events.publishTicket(ticket, change: action.rawValue, actor: caller.actor, at: Date())
            logger.notice("ticket action", metadata: [
                "ticket.id": "\(id)", "action": "\(verb)", "state": "\(ticket.state.rawValue)", "actor": "\(caller.actor)",
            ])
            return try JSONResponse.ok(try detail(id, caller))
        }
    }

    /// The Prometheus text exposition (version 0.0.4), gathered off the event loop.
    static func metricsResponse(_ metrics: MetricsCollector) async throws -> Response {
        let bytes = try await offPool { metrics.render() }
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Run blocking work (file reads, store writes under a lock) on a Dispatch thread.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { done in
            DispatchQueue.global().async { done.resume(with: Result { try work() }) }
        }
    }

    func mayAct(on ticket: TicketRecord, _ caller: CallerIdentity) throws {
        guard caller.access.mayAct(on: ticket.category) else {
            logger.warning("control request refused", metadata: ["actor": "\(caller.actor)", "ticket.id": "\(ticket.id ?? 0)"])
            throw ControlError.forbidden("\(caller.actor) may read but not act on \(ticket.category.rawValue) tickets / 无权处理此类工单")
        }
    }
}

