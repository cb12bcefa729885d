import Catalog
import Cluster
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
    var notify: NotifyService? = nil
    /// With a shared store: this node among the others.
    var cluster: ClusterService? = nil

    /// Each camera's holder and lease age (cluster only); empty on a single box or when the
    /// database does not answer (the list still shows what this node knows).
    func leaseInfo() async -> [String: (node: String?, age: Double?)] {
        guard let cluster, let rows = try? await databaseAnswer(within: 1, { try await cluster.cameraLeases() }) else { return [:] }
        return rows.mapValues { row in
            let live = (row.expiresIn ?? 0) > 0
            return (live ? row.holder : nil, live ? row.age : nil)
        }
    }

    func cameraStatuses(_ language: Language = .bilingual, access: Access? = nil) -> [CameraStatus] {
        cameras.list().filter { access?.sees(grid: $0.config.grid) ?? true }.map { Self.status($0, language) }
    }

    /// A camera's state for the API; why its stream is down in `language`.
    static func status(_ camera: CameraManager.Camera, _ language: Language = .bilingual) -> CameraStatus {
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
                bufferedSeconds: (h.recordSeconds * 10).rounded() / 10, bufferedBytes: h.recordBytes, lastError: r.lastError?.text(language))
        }
        var s = CameraStatus(
            id: c.id, name: c.name, gridId: c.grid, source: c.redactedSource, state: h.state.rawValue,
            codec: d.info?.codec, width: d.info?.width, height: d.info?.height,
            inputFps: (h.inputFPS * 10).rounded() / 10, analysedFps: (h.analysedFPS * 10).rounded() / 10,
            framesDecoded: d.framesDecoded, framesAnalysed: h.analysis.framesAnalysed, framesDropped: h.framesDropped,
            decodeErrors: d.decodeErrors, reconnects: d.reconnects, lastFrameAt: d.lastFrameAt,
            offlineSince: h.offlineSince, lastError: d.lastError?.text(language), record: record)
        s.zones = c.zones.map(\.id)
        s.tripwires = c.tripwires.map(\.id)
        s.framesSkipped = d.packetsSkipped
        if d.state == .streaming { s.decodeMode = d.decodeMode.rawValue }
        let integrity = worker.integrity
        if c.analysis.integrity {
            s.sceneMode = integrity.mode?.rawValue
            s.tampered = integrity.tampered.sorted().map(\.rawValue)
        }
        return s
    }

    /// A camera the caller may see (a console user limited to grids sees theirs only).
    func camera(_ context: ControlContext) throws -> CameraManager.Camera {
        let id = context.parameters.get("id") ?? ""
        let access = try context.who.access
        guard let camera = cameras.camera(id), access.sees(grid: camera.config.grid) else {
            throw ControlError.notFound(.noSuchCamera(id: id, known: cameras.list().filter { access.sees(grid: $0.config.grid) }.map(\.config.id)))
        }
        return camera
    }


    func ticketID(_ context: some RequestContext) throws -> Int64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = PlainText.digits(text), id > 0, text.first != "0" else {
            throw ControlError.badRequest(.badTicketID(text: text))
        }
        return id
    }

    /// The query parameters, refusing any the endpoint does not take (a misspelt filter must
    /// not silently return everything).
    static func parameters(_ request: Request, allowed: Set<String>) throws -> [String: String] {
        var params: [String: String] = [:]
        for (k, v) in request.uri.queryParameters { params[String(k)] = String(v) }
        if let unknown = params.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw ControlError.badRequest(.unknownParameter(name: unknown, known: allowed.sorted()))
        }
        return params
    }

    /// A time parameter: ISO 8601 (2026-11-23T08:00:00Z) or a local date (2026-11-23); an
    /// empty value is no value.
    static func optionalTime(_ text: String?, name: String) throws -> Date? {
        guard let text, !text.isEmpty else { return nil }
        return try time(text, name: name)
    }

    /// A time parameter: ISO 8601 (2026-11-23T08:00:00Z) or a local date (2026-11-23).
    static func time(_ text: String, name: String) throws -> Date {
        guard let date = TimeText.parse(text) else {
            throw ControlError.badRequest(.badTime(parameter: name, text: text))
        }
        return date
    }

    static func flag(_ text: String?, name: String) throws -> Bool {
        switch text {
        case nil, "0", "false", "no": return false
        case "1", "true", "yes", "": return true
        default: throw ControlError.badRequest(.badFlag(parameter: name, text: text!))
        }
    }

    func query(_ request: Request) throws -> TicketQuery {
        try Self.query(try Self.parameters(request, allowed: Self.ticketParameters))
    }

    static let ticketParameters: Set<String> = ["state", "open", "camera", "zone", "grid", "category", "overdue", "repeat", "since", "until", "q",
                                                "archived", "limit", "offset", "format"]

    /// A ticket filter from query parameters (also used by `gridwatchd explain-tickets`).
    public static func query(_ params: [String: String]) throws -> TicketQuery {
        var query = TicketQuery()
        let known: Set<String> = ["state", "open", "camera", "zone", "grid", "category", "overdue", "repeat", "since", "until", "q",
                                  "archived", "limit", "offset", "format"]
        if let unknown = params.keys.sorted().first(where: { !known.contains($0) }) {
            throw ControlError.badRequest(.unknownParameter(name: unknown, known: known.sorted()))
        }
        if let s = params["state"] {
            guard let state = TicketState(rawValue: s) else {
                throw ControlError.badRequest(.unknownState(text: s, known: TicketState.allCases.map(\.rawValue)))
            }
            query.state = state
        }
        if let c = params["category"] {
            guard let category = TicketCategory(rawValue: c) else {
                throw ControlError.badRequest(.unknownCategory(text: c, known: TicketCategory.allCases.map(\.rawValue)))
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
        query.since = try Self.optionalTime(params["since"], name: "since")
        query.until = try Self.optionalTime(params["until"], name: "until")
        if let f = params["format"], f != "json", f != "csv" {
            throw ControlError.badRequest(.badFormat(text: f))
        }
        if let l = params["limit"] {
            guard let limit = PlainText.digits(l), (1...1000).contains(limit) else { throw ControlError.badRequest(.badLimit(text: l)) }
            query.limit = Int(limit)
        }
        if let o = params["offset"] {
            guard let offset = PlainText.digits(o) else { throw ControlError.badRequest(.badOffset(text: o)) }
            query.offset = Int(offset)
        }
        return query
    }

    /// The ticket the caller may see and its occurrence named by the `occurrence` path
    /// parameter (plain digits, as ticket ids).
    func visibleOccurrence(_ context: ControlContext) throws -> (TicketRecord, OccurrenceRecord, number: Int64) {
        let id = try ticketID(context)
        let ticket = try visibleTicket(id, try context.who)
        let text = context.parameters.get("occurrence") ?? ""
        guard let number = PlainText.digits(text), number > 0, text.first != "0" else {
            throw ControlError.badRequest(.badOccurrenceID(text: text))
        }
        guard let occurrence = try store.occurrences(ticketID: id).first(where: { $0.id == number }) else {
            throw ControlError.notFound(.noSuchOccurrence(ticket: id, occurrence: number))
        }
        return (ticket, occurrence, number)
    }

    /// A ticket the caller may see; one they may not see does not exist for them.
    func visibleTicket(_ id: Int64, _ caller: CallerIdentity) throws -> TicketRecord {
        guard let ticket = try store.ticket(id: id), caller.access.sees(ticket.category), caller.access.sees(grid: ticket.gridId) else {
            throw ControlError.notFound(.noSuchTicket(id: id))
        }
        return ticket
    }


    /// A ticket with its history; the title and the daemon's notes in `language`.
    func detail(_ id: Int64, _ caller: CallerIdentity, _ language: Language = .bilingual) throws -> TicketDetail {
        let ticket = try visibleTicket(id, caller)
        let events = try store.events(ticketID: id).map {
            TicketEventInfo(id: $0.id ?? 0, at: $0.at, actor: $0.actor, kind: $0.kind, fromState: $0.fromState, toState: $0.toState,
                            note: $0.note(in: language))
        }
        let trajectory = ticket.trajectory.flatMap { try? JSONDecoder().decode([TrajectoryPoint].self, from: Data($0.utf8)) } ?? []
        var detail = TicketDetail(ticket: TicketSummary(ticket, language), events: events, trajectory: trajectory)
        detail.occurrences = try store.occurrences(ticketID: id).map(OccurrenceInfo.init)
        detail.allowedActions = Workflow.allowedActions(from: ticket.state)
        return detail
    }

    /// Request bodies are small: a note and an assignee.
    static let maxBody = 64 * 1024

    static func decodeBody(_ request: Request) async throws -> ActionRequest {
        let body: ActionRequest = try await decodeJSON(
            request, fields: ["note", "assignee"], example: "{\"note\": \"...\", \"assignee\": \"...\"}") ?? ActionRequest()
        try PlainText.check(body.note, field: "note", allowingLines: true)
        try PlainText.check(body.assignee, field: "assignee")
        return body
    }

    /// The body an action takes: a non-blank note for those that need a reason (resolve,
    /// false alarm, reopen, a plain note), an assignee for dispatch; 400 naming what is missing.
    static func decodeBody(_ request: Request, for action: TicketAction?) async throws -> ActionRequest {
        let body = try await decodeBody(request)
        let needsNote = action.map(Workflow.needsReason) ?? true
        if needsNote && PlainText.isBlank(body.note ?? "") {
            throw ControlError.badRequest(.noteRequired(action: action?.rawValue))
        }
        if action == .dispatch && PlainText.isBlank(body.assignee ?? "") {
            throw ControlError.badRequest(.dispatchNeedsAssignee)
        }
        return body
    }

    /// A small JSON object body with only `fields`; nil for an empty body. A body in another
    /// media type is a 415; one without a type is read as JSON.
    static func decodeJSON<T: Decodable>(_ request: Request, fields: Set<String>, example: String) async throws -> T? {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBody)
        } catch is NIOTooManyBytesError {
            throw ControlError.tooLarge(.bodyTooLarge(kib: maxBody / 1024))
        }
        // Any other error (the parser's, for a garbage chunk size) is the request's, not its size.
        if buffer.readableBytes == 0 { return nil }
        try JSONMediaType.check(request.headers[.contentType])
        let data = Data(buffer.readableBytesView)
        // Unknown fields are refused: a misspelt "asignee" must not silently do nothing.
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ControlError.badRequest(.bodyNotObject(example: example))
        }
        if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) {
            throw ControlError.badRequest(.unknownField(example: example, field: unknown))
        }
        if let null = object.keys.sorted().first(where: { object[$0] is NSNull }) {
            throw ControlError.badRequest(.nullField(field: null))
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw ControlError.badRequest(.fieldsAreText(example: example, fields: fields.sorted()))
        }
    }

    /// A refused action: the ticket's state (or its grid's people and levels) does not allow
    /// it, 409; a request that leaves out what the action needs, 400.
    static func refusal(_ error: TicketActionError) -> ControlError {
        switch error {
        case .noSuchTicket: .notFound(error.message)
        case .workflow(.invalidTransition), .workflow(.noHigherLevel), .workflow(.unknownAssignee), .unknownAssignee: .conflict(error.message)
        case .workflow, .emptyNote: .badRequest(error.message)
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

    /// Local time with its offset (`2026-11-30T08:00:00+08:00`): what the table showed,
    /// and unambiguous.
    static func csvTime(_ d: Date?) -> String { d.map { ControlAPI.formatLocal($0) } ?? "" }

    func add(to router: Router<ControlContext>) {
        let routes = ControlRouter(router: router, logger: logger)
        addAdmin(to: routes)
        addNotify(to: routes)
        addCameras(to: routes)
        addTickets(to: routes)
        addEvents(to: routes)
        addConsoleUsers(to: routes)
        addGeometry(to: routes)
        addNodes(to: routes)
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

    /// A person's action on a ticket (nil: a note), from the socket or the console: the
    /// store's rules and history line, the live change, the log line; a refusal becomes the
    /// API's error.
    func act(_ action: TicketAction?, ticketID id: Int64, caller: CallerIdentity, note: String?, assignee: String?) throws -> TicketRecord {
        let now = Date()
        let ticket: TicketRecord
        do {
            if let action {
                ticket = try store.perform(action, ticketID: id, actor: caller.actor, note: note, assignee: assignee, at: now)
            } else {
                ticket = try store.addNote(ticketID: id, actor: caller.actor, note: note ?? "", at: now)
            }
        } catch let error as TicketActionError {
            if let action {
                logger.notice("ticket action refused", metadata: [
                    "ticket.id": "\(id)", "action": "\(action.rawValue)", "actor": "\(caller.actor)", "reason": "\(error)",
                ])
            }
            throw Self.refusal(error)
        }
        if let action {
            logger.notice("ticket action", metadata: [
                "ticket.id": "\(id)", "action": "\(action.rawValue)", "state": "\(ticket.state.rawValue)", "actor": "\(caller.actor)",
            ])
        } else {
            logger.info("ticket note", metadata: ["ticket.id": "\(id)", "actor": "\(caller.actor)"])
        }
        events.publishTicket(ticket, change: action?.rawValue ?? "note", actor: caller.actor, at: now)
        return ticket
    }

    func mayAct(on ticket: TicketRecord, _ caller: CallerIdentity) throws {
        guard caller.access.mayAct(on: ticket.category) else {
            logger.warning("control request refused", metadata: ["actor": "\(caller.actor)", "ticket.id": "\(ticket.id ?? 0)"])
            throw ControlError.forbidden(.mayNotActOnCategory(actor: caller.actor, category: ticket.category.rawValue))
        }
    }
}

extension Request {
    /// The language the caller asked for (`Accept-Language`); bilingual when it did not say.
    var language: Language { Language.negotiate(acceptLanguage: headers[.acceptLanguage]) }
}
