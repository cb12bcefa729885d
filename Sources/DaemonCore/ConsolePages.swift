import Analysis
import Catalog
import ControlProtocol
import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import Storage
import Tickets

/// The console's pages (Docs/guide/operator.md §8): the queue, a ticket, the camera wall, a
/// camera, its zone editor and the statistics. Each reads what the control API reads, limited
/// the same way to what the user's role and grids may see.
struct ConsoleSite: Sendable {
    let routes: ControlRoutes
    let accounts: ConsoleAccounts

    var store: TicketStore { routes.store }

    func page(_ context: ControlContext) throws -> PageContext {
        let caller = try context.who
        return PageContext(session: context.session, language: context.session?.user.language ?? .zh, access: caller.access)
    }

    // MARK: Queue

    static let queueFilters: Set<String> = ["grid", "category", "state", "camera"]

    /// Open tickets, most urgent first: past a deadline (督办), then hazards and fire, then by
    /// severity, then the nearest deadline, then the newest.
    static func urgencyOrder(_ a: TicketRecord, _ b: TicketRecord) -> Bool {
        func key(_ t: TicketRecord) -> (Int, Int, Int, Double, Double) {
            let hazard = t.category == .hazard || t.category == .fireSmoke
            let due = (t.acknowledgedAt == nil ? t.ackDueAt : t.closeDueAt) ?? t.closeDueAt
            return (t.overdue > 0 ? 0 : 1, hazard ? 0 : 1, -Severity.allCases.firstIndex(of: t.severity)!,
                    due?.timeIntervalSince1970 ?? .infinity, -t.occurredAt.timeIntervalSince1970)
        }
        return key(a) < key(b)
    }

    func queueTickets(_ request: Request, access: Access) throws -> (tickets: [TicketRecord], filters: [String: String]) {
        let params = try ControlRoutes.parameters(request, allowed: Self.queueFilters)
        var query = TicketQuery(limit: 500)
        query.openOnly = true
        query.restrict(to: access)
        if let grid = params["grid"], !grid.isEmpty { query.gridID = grid }
        if let camera = params["camera"], !camera.isEmpty { query.cameraID = camera }
        if let text = params["category"], !text.isEmpty {
            guard let category = TicketCategory(rawValue: text) else {
                throw ControlError.badRequest(.unknownCategory(text: text, known: TicketCategory.allCases.map(\.rawValue)))
            }
            query.category = category
        }
        if let text = params["state"], !text.isEmpty {
            guard let state = TicketState(rawValue: text), Workflow.isOpen(state) else {
                throw ControlError.badRequest(.unknownState(text: text, known: TicketState.allCases.filter(Workflow.isOpen).map(\.rawValue)))
            }
            query.state = state
        }
        return (try store.tickets(query).sorted(by: Self.urgencyOrder), params)
    }

    func queue(_ request: Request, _ context: ControlContext) throws -> Response {
        let page = try page(context)
        let (tickets, filters) = try queueTickets(request, access: page.access)
        let cameras = routes.cameras.list().filter { page.access.sees(grid: $0.config.grid) }
        let grids = try store.gridNames().filter { page.access.sees(grid: $0.id) }
        func select(_ name: String, _ label: ConsoleText, _ options: [(String, String)]) -> HTML {
            let chosen = filters[name] ?? ""
            let items: [HTML] = [("", page.t(.all))] .map { v, l in "<option value=\"\(v)\">\(l)</option>" }
                + options.map { v, l in "<option value=\"\(v)\"\(HTML(raw: v == chosen ? " selected" : ""))>\(l)</option>" }
            return "<label>\(page.t(label)) <select name=\"\(name)\">\(items)</select></label>"
        }
        let categories = TicketCategory.allCases.filter(page.access.sees).map { ($0.rawValue, page.term($0.rawValue)) }
        let states = TicketState.allCases.filter(Workflow.isOpen).map { ($0.rawValue, page.term($0.rawValue)) }
        let body: HTML = """
            <section class="queue">
            <div class="bar"><h1>\(page.t(.queueTitle)) <span class="count" id="queue-count">\(tickets.count)</span></h1>
            <span id="live" class="live" data-live="\(page.t(.live))" data-lost="\(page.t(.reconnecting))">\(page.t(.live))</span>
            <button type="button" id="mute" data-mute="\(page.t(.silence))" data-unmute="\(page.t(.unsilence))">\(page.t(.silence))</button></div>
            <div id="alarm" class="alarm" hidden>\(page.t(.newHazard)) <a id="alarm-link" href="#"></a></div>
            <form method="get" action="/" class="filters" id="filters">
            \(select("grid", .filterGrid, grids.map { ($0.id, $0.name) }))
            \(select("category", .filterCategory, categories))
            \(select("state", .filterState, states))
            \(select("camera", .filterCamera, cameras.map { ($0.config.id, $0.config.name) }))
            <button type="submit">\(page.t(.applyFilters))</button>
            </form>
            <div id="queue-rows" data-due="\(page.t(.dueIn))" data-overdue="\(page.t(.overdueBy))">\(try queueRows(tickets, page))</div>
            </section>
            """
        return ConsolePage.layout(page, title: page.t(.queueTitle), active: "queue", body: body, script: "queue.js")
    }

    /// The queue's table alone: what the page fetches again when a change arrives.
    func queueRows(_ request: Request, _ context: ControlContext) throws -> Response {
        let page = try page(context)
        let (tickets, _) = try queueTickets(request, access: page.access)
        return ConsolePage.response(try queueRows(tickets, page), headers: [.cacheControl: "no-store"])
    }

    func queueRows(_ tickets: [TicketRecord], _ page: PageContext) throws -> HTML {
        guard !tickets.isEmpty else { return "<p class=\"empty\">\(page.t(.emptyQueue))</p>" }
        let names = Dictionary(routes.cameras.list().map { ($0.config.id, $0.config.name) }, uniquingKeysWith: { a, _ in a })
        let grids = Dictionary(try store.gridNames().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let now = Date()
        let rows: [HTML] = tickets.map { t in
            let id = t.id ?? 0
            let due = (t.acknowledgedAt == nil ? t.ackDueAt : t.closeDueAt) ?? t.closeDueAt
            let hazard = t.category == .hazard || t.category == .fireSmoke
            let thumb: HTML = t.snapshotPath != nil && !t.evidencePurged
                ? "<img loading=\"lazy\" src=\"/v1/tickets/\(id)/snapshot\" alt=\"\">" : ""
            let badge: HTML = t.overdue > 0 ? "<span class=\"badge supervised\">\(page.t(.supervised))</span>" : ""
            let deadline: HTML = due.map { "<span class=\"countdown\" data-due=\"\(Int($0.timeIntervalSince1970))\">\(page.time($0))</span>" } ?? ""
            return """
                <tr class="ticket\(HTML(raw: hazard ? " hazard" : ""))\(HTML(raw: t.overdue > 0 ? " overdue" : ""))" data-id="\(id)" data-category="\(t.category.rawValue)">
                <td class="thumb"><a href="/tickets/\(id)">\(thumb)</a></td>
                <td><a href="/tickets/\(id)" class="title">#\(id) \(t.title(in: page.language))</a> \(badge)<div class="sev sev-\(t.severity.rawValue)">\(page.term(t.severity.rawValue))</div></td>
                <td>\(names[t.cameraId] ?? t.cameraId)</td>
                <td>\(grids[t.gridId] ?? t.gridId)</td>
                <td><span class="cat cat-\(t.category.rawValue)">\(page.term(t.category.rawValue))</span></td>
                <td><span class="state state-\(t.state.rawValue)">\(page.term(t.state.rawValue))</span></td>
                <td class="age" title="\(page.time(t.occurredAt))">\(page.span(now.timeIntervalSince(t.occurredAt)))</td>
                <td>\(deadline)</td>
                </tr>
                """
        }
        return """
            <table class="tickets"><thead><tr><th>\(page.t(.colSnapshot))</th><th>\(page.t(.colTicket))</th><th>\(page.t(.colCamera))</th><th>\(page.t(.colGrid))</th>
            <th>\(page.t(.colCategory))</th><th>\(page.t(.colState))</th><th>\(page.t(.colAge))</th><th>\(page.t(.colDeadline))</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            """
    }

    // MARK: Ticket

    func ticket(_ request: Request, _ context: ControlContext) throws -> Response {
        let page = try page(context)
        let caller = try context.who
        let id = try routes.ticketID(context)
        let record = try routes.visibleTicket(id, caller)
        let detail = try routes.detail(id, caller, page.language)
        let t = detail.ticket
        let camera = routes.cameras.camera(t.cameraId)?.config
        let grids = Dictionary(try store.gridNames().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let people = try store.people(gridID: t.gridId)
        let assignee = t.assignee.map { who in people.first { $0.id == who }.map { "\($0.name) (\(who))" } ?? who }
        let flash: HTML = request.uri.queryParameters["done"].map { "<p class=\"flash\" id=\"flash\">\(page.t(.actionDone(action: String($0))))</p>" } ?? ""
        func field(_ label: ConsoleText, _ value: String?) -> HTML {
            guard let value, !value.isEmpty else { return "" }
            return "<dt>\(page.t(label))</dt><dd>\(value)</dd>"
        }
        let overdue: HTML = record.overdue > 0 ? " <span class=\"badge supervised\">\(page.t(.supervised))</span>" : ""
        let facts: HTML = """
            <dl class="facts">
            <dt>\(page.t(.fieldState))</dt><dd><span class="state state-\(t.state.rawValue)" id="ticket-state">\(page.term(t.state.rawValue))</span>\(overdue)</dd>
            \(field(.fieldSeverity, page.term(t.severity.rawValue)))
            \(field(.fieldCategory, page.term(t.category.rawValue)))
            \(field(.fieldCamera, camera?.name ?? t.cameraId))
            \(field(.fieldGrid, grids[t.gridId] ?? t.gridId))
            \(field(.fieldAssignee, assignee))
            \(field(.fieldOccurred, page.time(t.occurredAt)))
            \(field(.fieldAckDue, t.acknowledgedAt == nil ? page.time(t.ackDueAt) : nil))
            \(field(.fieldCloseDue, page.time(t.closeDueAt)))
            \(field(.fieldOccurrences, t.occurrences.map(String.init)))
            \(field(.fieldCase, t.caseNumber))
            </dl>
            """
        let picture: HTML = t.hasSnapshot
            ? """
              <figure class="picture"><img src="/v1/tickets/\(id)/snapshot" alt="\(page.t(.snapshotHeading))" id="ticket-snapshot">
              \(Self.overlay(camera: camera, zone: t.zoneId, tripwire: t.tripwireId, trajectory: detail.trajectory, masks: false))</figure>
              \(Self.legend(page, trajectory: !detail.trajectory.isEmpty))
              """
            : "<p class=\"muted\">\(page.t(.noSnapshot))</p>"
        let clip: HTML = t.clip != nil
            ? "<video controls preload=\"metadata\" src=\"/v1/tickets/\(id)/clip\" id=\"ticket-clip\"></video>"
            : "<p class=\"muted\">\(page.t(.noClip))</p>"
        let occurrences: [HTML] = (detail.occurrences ?? []).enumerated().map { i, o in
            let shot: HTML = o.hasSnapshot ? "<a href=\"/v1/tickets/\(id)/occurrences/\(o.id)/snapshot\"><img loading=\"lazy\" src=\"/v1/tickets/\(id)/occurrences/\(o.id)/snapshot\" alt=\"\"></a>" : ""
            let video: HTML = o.clip != nil ? "<a href=\"/v1/tickets/\(id)/occurrences/\(o.id)/clip\">\(page.t(.clipHeading))</a>" : ""
            return "<li>\(page.t(.occurrenceLine(n: i + 1))) \(page.time(o.at)) \(video) \(shot)</li>"
        }
        let history: [HTML] = detail.events.map { e in
            let change = [e.fromState, e.toState].compactMap { $0 }.map { page.term($0.rawValue) }.joined(separator: " → ")
            return "<tr><td>\(page.time(e.at))</td><td class=\"actor\">\(e.actor)</td><td>\(page.term(e.kind))\(change.isEmpty ? "" : "：" + change)</td><td>\(e.note)</td></tr>"
        }
        let body: HTML = """
            <section class="ticket-page" data-ticket="\(id)">
            <p><a href="/">← \(page.t(.backToQueue))</a></p>
            <h1>\(page.t(.ticketHeading(id: id))) <span class="title">\(t.title)</span></h1>
            \(flash)<p class="changed" id="changed" hidden><button type="button" class="link">\(page.t(.ticketChanged))</button></p>
            <div class="columns">
            <div class="main">
            <h2>\(page.t(.snapshotHeading))</h2>\(picture)
            <h2>\(page.t(.clipHeading))</h2>\(clip)
            </div>
            <aside>
            \(facts)
            <h2>\(page.t(.actionsHeading))</h2>
            \(try actions(record, detail, page, caller))
            </aside>
            </div>
            <h2>\(page.t(.occurrencesHeading))</h2><ol class="occurrences">\(occurrences)</ol>
            <h2>\(page.t(.historyHeading))</h2>
            <table class="history" id="history"><thead><tr><th>\(page.t(.colTime))</th><th>\(page.t(.colActor))</th><th>\(page.t(.colChange))</th><th>\(page.t(.colNote))</th></tr></thead>
            <tbody>\(history)</tbody></table>
            </section>
            """
        return ConsolePage.layout(page, title: page.t(.ticketHeading(id: id)), active: "queue", body: body, script: "ticket.js")
    }

    /// One form per action the ticket's state and the user's role allow, each posting to
    /// `/tickets/{id}/{action}` with the session's CSRF token; a note where the action needs
    /// one, the grid's people for a dispatch.
    func actions(_ record: TicketRecord, _ detail: TicketDetail, _ page: PageContext, _ caller: CallerIdentity) throws -> HTML {
        guard caller.access.allows(.actOnTickets), caller.access.mayAct(on: record.category) else {
            return "<p class=\"muted\" id=\"read-only\">\(page.t(.readOnly))</p>"
        }
        let id = record.id ?? 0
        let allowed = detail.allowedActions ?? []
        let people = try store.people(gridID: record.gridId)
        let forms: [HTML] = allowed.map { action in
            let needsNote = Workflow.needsReason(action)
            var extra: HTML = ""
            if action == .dispatch {
                let options: [HTML] = people.map { "<option value=\"\($0.id)\">\($0.name) · \(page.term($0.role))</option>" }
                extra = "<label>\(page.t(.assigneeLabel)) <select name=\"assignee\" required>\(options)</select></label>"
            }
            let note: HTML = "<label>\(page.t(.noteLabel))\(needsNote ? page.t(.noteRequired) : "") <input type=\"text\" name=\"note\" maxlength=\"2000\"\(HTML(raw: needsNote ? " required" : ""))></label>"
            return """
                <form method="post" action="/tickets/\(id)/\(action.rawValue)" class="action action-\(action.rawValue)">\(page.csrfField)\(extra)\(note)
                <button type="submit" name="action" value="\(action.rawValue)">\(page.term(action.rawValue))</button></form>
                """
        }
        let none: HTML = allowed.isEmpty ? "<p class=\"muted\">\(page.t(.noActionsAllowed))</p>" : ""
        return """
            \(none)\(forms)
            <form method="post" action="/tickets/\(id)/notes" class="action action-note">\(page.csrfField)
            <label>\(page.t(.noteLabel)) <input type="text" name="note" maxlength="2000" required></label><button type="submit">\(page.t(.addNote))</button></form>
            """
    }

    /// A workflow action from a form: the same store call, rules and history as
    /// `POST /v1/tickets/{id}/{action}`, with the console user as the actor; back to the
    /// ticket afterwards (a refusal is a page saying why).
    func act(_ request: Request, _ context: ControlContext, action: TicketAction?) async throws -> Response {
        var request = request
        let caller = try context.who
        guard caller.access.allows(.actOnTickets) else {
            throw ControlError.forbidden(.notPermitted(actor: caller.actor, roles: caller.access.roles.map(\.rawValue).sorted(),
                                                       method: request.method.rawValue, path: request.uri.path))
        }
        let id = try routes.ticketID(context)
        try routes.mayAct(on: try routes.visibleTicket(id, caller), caller)
        guard FormData.isForm(request) else { throw ControlError.unsupportedMediaType(.notJSON(contentType: request.headers[.contentType] ?? "")) }
        let form = FormData.parse(String(buffer: try await request.collectBody(upTo: ControlRoutes.maxBody)))
        let note = form["note"].flatMap { PlainText.isBlank($0) ? nil : $0 }
        let assignee = form["assignee"].flatMap { $0.isEmpty ? nil : $0 }
        try PlainText.check(note, field: "note", allowingLines: true)
        try PlainText.check(assignee, field: "assignee")
        if let action {
            if Workflow.needsReason(action) && note == nil { throw ControlError.badRequest(.noteRequired(action: action.rawValue)) }
            if action == .dispatch && assignee == nil { throw ControlError.badRequest(.dispatchNeedsAssignee) }
        } else if note == nil {
            throw ControlError.badRequest(.noteRequired(action: nil))
        }
        _ = try routes.act(action, ticketID: id, caller: caller, note: note, assignee: assignee)
        return ConsolePage.redirect("/tickets/\(id)?done=\(action?.rawValue ?? "note")")
    }

    // MARK: Cameras

    func cameraWall(_ request: Request, _ context: ControlContext) throws -> Response {
        let page = try page(context)
        _ = try ControlRoutes.parameters(request, allowed: [])
        let statuses = routes.cameraStatuses(page.language, access: page.access)
        var query = TicketQuery(limit: 10_000)
        query.openOnly = true
        query.restrict(to: page.access)
        var open: [String: Int] = [:]
        try store.eachTicket(matching: query, limit: 10_000) { open[$0.cameraId, default: 0] += 1 }
        let tiles: [HTML] = statuses.map { s in
            let state = Self.displayState(s)
            let picture: HTML = s.state == "streaming"
                ? "<img class=\"live-picture\" data-src=\"/v1/cameras/\(s.id)/snapshot\" alt=\"\">"
                : "<div class=\"no-picture\">\(page.t(.noPicture))</div>"
            let count = open[s.id] ?? 0
            return """
                <article class="tile state-\(state)" data-camera="\(s.id)">
                <a href="/cameras/\(s.id)" class="frame">\(picture)</a>
                <h3><a href="/cameras/\(s.id)">\(s.name)</a></h3>
                <p><span class="state state-\(state)">\(page.term(state))</span> · \(page.t(.fps)) \(String(format: "%.1f", s.analysedFps))/\(String(format: "%.1f", s.inputFps))</p>
                <p><a href="/?camera=\(s.id)" class="\(count > 0 ? "open-tickets" : "muted")">\(page.t(.openCount(count)))</a></p>
                </article>
                """
        }
        let body: HTML = "<section class=\"wall\"><h1>\(page.t(.camerasTitle))</h1><div class=\"tiles\">\(tiles)</div></section>"
        return ConsolePage.layout(page, title: page.t(.camerasTitle), active: "cameras", body: body, script: "cameras.js")
    }

    /// streaming, stalled, offline, tampered or disabled: what a tile shows.
    static func displayState(_ s: CameraStatus) -> String {
        if !s.enabled { return "disabled" }
        if !(s.tampered ?? []).isEmpty { return "camera_tamper" }
        switch s.state {
        case "streaming", "stalled", "disabled": return s.state
        case "connecting", "backoff": return s.offlineSince == nil ? "connecting" : "offline"
        default: return "offline"
        }
    }

    func camera(_ request: Request, _ context: ControlContext) throws -> Response {
        let page = try page(context)
        let camera = try routes.camera(context)
        let s = ControlRoutes.status(camera, page.language)
        let edit: HTML = page.access.isAdmin ? "<p><a class=\"button\" href=\"/cameras/\(s.id)/geometry\" id=\"edit-geometry\">\(page.t(.editGeometry))</a></p>" : ""
        let picture: HTML = s.state == "streaming"
            ? "<img class=\"live-picture\" data-src=\"/v1/cameras/\(s.id)/snapshot\" alt=\"\">"
            : "<div class=\"no-picture\">\(page.t(.noPicture))</div>"
        let body: HTML = """
            <section class="camera-page">
            <h1>\(page.t(.cameraHeading(name: s.name)))</h1>
            <p><span class="state state-\(Self.displayState(s))">\(page.term(Self.displayState(s)))</span> · \(page.t(.fps)) \(String(format: "%.1f", s.analysedFps)) · <a href="/?camera=\(s.id)">\(page.t(.navQueue))</a></p>
            \(edit)
            <figure class="picture">\(picture)\(Self.overlay(camera: camera.config, zone: nil, tripwire: nil, trajectory: [], masks: true))</figure>
            \(Self.legend(page, trajectory: false))
            </section>
            """
        return ConsolePage.layout(page, title: s.name, active: "cameras", body: body, script: "cameras.js")
    }

    /// The zone editor (admins): the camera's current picture with its shapes, tools to draw
    /// and move them; saved through `PUT /v1/cameras/{id}/geometry`.
    func editor(_ request: Request, _ context: ControlContext) throws -> Response {
        let page = try page(context)
        let camera = try routes.camera(context)
        let caller = try context.who
        guard page.access.isAdmin else {
            throw ControlError.forbidden(.notPermitted(actor: caller.actor, roles: caller.access.roles.map(\.rawValue).sorted(), method: "GET", path: request.uri.path))
        }
        let id = camera.config.id
        let tools: [HTML] = [("zone", ConsoleText.addZone), ("tripwire", .addTripwire), ("motion", .addMotionMask), ("privacy", .addPrivacyMask)].map { kind, text in
            "<button type=\"button\" data-tool=\"\(kind)\" id=\"tool-\(kind)\">\(page.t(text))</button>"
        }
        let body: HTML = """
            <section class="editor-page">
            <p><a href="/cameras/\(id)">← \(camera.config.name)</a></p>
            <h1>\(page.t(.editorTitle(name: camera.config.name)))</h1>
            <p class="muted">\(page.t(.editorHelp))</p>
            <div class="editor" id="editor" data-camera="\(id)" data-saved="\(page.t(.saved))" data-flip="\(page.t(.flipDirection))"
              data-delete="\(page.t(.deleteShape))" data-name="\(page.t(.shapeName))" data-zone="\(page.t(.legendZone))" data-tripwire="\(page.t(.legendTripwire))"
              data-motion="\(page.t(.addMotionMask))" data-privacy="\(page.t(.addPrivacyMask))">
            <figure class="picture"><img class="live-picture" data-src="/v1/cameras/\(id)/snapshot" alt="">
            <svg class="overlay" viewBox="0 0 1 1" preserveAspectRatio="none" id="canvas"></svg></figure>
            <div><div class="tools">\(tools)</div>
            <ul class="shapes" id="shapes"></ul>
            <button type="button" id="save">\(page.t(.save))</button> <span id="editor-status" role="status"></span></div>
            </div>
            </section>
            """
        return ConsolePage.layout(page, title: page.t(.editorTitle(name: camera.config.name)), active: "cameras", body: body, script: "editor.js")
    }

    /// The camera's zones and tripwires (the event's own highlighted), its masks, and the
    /// object's trajectory, as SVG in normalized coordinates over the picture.
    static func overlay(camera: CameraConfig?, zone: String?, tripwire: String?, trajectory: [TrajectoryPoint], masks: Bool) -> HTML {
        guard let camera else { return "" }
        func points(_ p: [Point]) -> String { p.map { "\($0.x),\($0.y)" }.joined(separator: " ") }
        var shapes: [HTML] = []
        if masks {
            for m in camera.motionMasks { shapes.append("<polygon class=\"mask\" points=\"\(points(m.vertices))\"/>") }
            for m in camera.privacyMasks { shapes.append("<polygon class=\"privacy\" points=\"\(points(m.vertices))\"/>") }
        }
        for z in camera.zones {
            let hit = z.id == zone
            shapes.append("<polygon class=\"zone\(HTML(raw: hit ? " hit" : ""))\" points=\"\(points(z.polygon.vertices))\"><title>\(z.name)</title></polygon>")
        }
        for w in camera.tripwires {
            let hit = w.id == tripwire
            shapes.append("<line class=\"tripwire\(HTML(raw: hit ? " hit" : ""))\" x1=\"\(w.a.x)\" y1=\"\(w.a.y)\" x2=\"\(w.b.x)\" y2=\"\(w.b.y)\"><title>\(w.name)</title></line>")
        }
        if trajectory.count > 1 {
            shapes.append("<polyline class=\"trajectory\" points=\"\(trajectory.map { "\($0.x),\($0.y)" }.joined(separator: " "))\"/>")
            if let last = trajectory.last { shapes.append("<circle class=\"trajectory-end\" cx=\"\(last.x)\" cy=\"\(last.y)\" r=\"0.008\"/>") }
        }
        return "<svg class=\"overlay\" viewBox=\"0 0 1 1\" preserveAspectRatio=\"none\">\(shapes)</svg>"
    }

    static func legend(_ page: PageContext, trajectory: Bool) -> HTML {
        let t: HTML = trajectory ? "<span class=\"key trajectory\">\(page.t(.legendTrajectory))</span>" : ""
        return "<p class=\"legend\"><span class=\"key zone\">\(page.t(.legendZone))</span><span class=\"key tripwire\">\(page.t(.legendTripwire))</span><span class=\"key mask\">\(page.t(.legendMask))</span>\(t)</p>"
    }

    // MARK: Statistics

    func statistics(_ request: Request, _ context: ControlContext) throws -> Response {
        let page = try page(context)
        let params = try ControlRoutes.parameters(request, allowed: ["period"])
        let period = params["period"] ?? "week"
        let now = Date()
        let since: Date
        switch period {
        case "day": since = Calendar.current.startOfDay(for: now)
        case "week": since = now.addingTimeInterval(-7 * 86_400)
        case "month": since = now.addingTimeInterval(-30 * 86_400)
        default: throw ControlError.badRequest(.unknownPeriod(text: period, known: ["day", "week", "month"]))
        }
        let access = page.access
        func stats(_ by: StatsGrouping) throws -> (groups: [TicketStats], total: TicketStats) {
            try store.statistics(since: since, until: now, grouping: by, visibleCategories: access.visibleCategories, visibleGrids: access.grids)
        }
        let grids = Dictionary(try store.gridNames().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let names = Dictionary(routes.cameras.list().map { ($0.config.id, $0.config.name) }, uniquingKeysWith: { a, _ in a })
        let byGrid = try stats(.grid), byCategory = try stats(.category), byHour = try stats(.hour), byRule = try stats(.rule), byCamera = try stats(.camera)
        func percent(_ x: Double) -> String { String(format: "%.0f%%", x * 100) }
        func minutes(_ s: Double?) -> String { s.map { page.span($0) } ?? "—" }
        func table(_ id: String, _ title: ConsoleText, _ rows: [TicketStats], total: TicketStats, label: (String) -> String, by: String) -> HTML {
            func row(_ name: String, _ g: TicketStats) -> HTML {
                """
                <tr><td>\(name)</td><td>\(g.raised)</td><td>\(percent(Double(g.acknowledgedOnTime) / Double(max(1, g.raised))))</td>
                <td>\(percent(g.completionRate))</td><td>\(percent(Double(g.closedOnTime) / Double(max(1, g.closed))))</td>
                <td>\(minutes(g.meanCloseSeconds))</td><td>\(minutes(g.p90CloseSeconds))</td><td>\(g.repeatTickets)</td>
                <td>\(percent(g.falseAlarmRate))</td></tr>
                """
            }
            let body: [HTML] = rows.map { row(label($0.key), $0) } + [row(page.t(.total), total)]
            return """
                <section class="stats-table" id="\(id)"><h2>\(page.t(title)) <a class="csv" href="/v1/stats?by=\(by)&amp;period=\(period == "day" ? "day" : period)&amp;since=\(ISO8601DateFormatter().string(from: since))&amp;format=csv">\(page.t(.exportCSV))</a></h2>
                \(Self.barChart(rows.map { (label($0.key), Double($0.raised)) }))
                <table><thead><tr><th></th><th>\(page.t(.colRaised))</th><th>\(page.t(.colAckOnTime))</th><th>\(page.t(.colCompletion))</th><th>\(page.t(.colCloseOnTime))</th><th>\(page.t(.colMeanClose))</th>
                <th>\(page.t(.colP90Close))</th><th>\(page.t(.colRepeats))</th><th>\(page.t(.colFalseAlarms))</th></tr></thead><tbody>\(body)</tbody></table></section>
                """
        }
        let hours = (0..<24).map { h -> (String, Double) in
            let key = String(format: "%02d", h)
            return (key, Double(byHour.groups.first { $0.key == key }?.raised ?? 0))
        }
        let periods: [HTML] = [("day", ConsoleText.periodDay), ("week", .periodWeek), ("month", .periodMonth)].map { key, text in
            "<a href=\"/stats?period=\(key)\" class=\"\(key == period ? "active" : "")\">\(page.t(text))</a>"
        }
        let falseAlarms: [HTML] = byRule.groups.sorted { $0.falseAlarmRate > $1.falseAlarmRate }.map { g in
            let parts = g.key.split(separator: "/").map(String.init)
            let label = parts.count == 3 ? "\(names[parts[0]] ?? parts[0]) / \(parts[1]) / \(page.term(parts[2]))" : g.key
            return "<tr><td>\(label)</td><td>\(g.raised)</td><td>\(g.falseAlarms)</td><td>\(percent(g.falseAlarmRate))</td></tr>"
        }
        let byCameraRows: [HTML] = byCamera.groups.sorted { $0.falseAlarmRate > $1.falseAlarmRate }.map { g in
            "<tr><td>\(names[g.key] ?? g.key)</td><td>\(g.raised)</td><td>\(g.falseAlarms)</td><td>\(percent(g.falseAlarmRate))</td></tr>"
        }
        let body: HTML = """
            <section class="stats"><h1>\(page.t(.statsTitle))</h1><nav class="periods">\(periods)</nav>
            \(table("by-grid", .statsByGrid, byGrid.groups, total: byGrid.total, label: { grids[$0] ?? $0 }, by: "grid"))
            \(table("by-category", .statsByCategory, byCategory.groups, total: byCategory.total, label: { page.term($0) }, by: "category"))
            <section class="stats-table" id="by-hour"><h2>\(page.t(.statsByHour)) <a class="csv" href="/v1/stats?by=hour&amp;period=\(period)&amp;format=csv">\(page.t(.exportCSV))</a></h2>\(Self.barChart(hours, compact: true))</section>
            <section class="stats-table" id="by-rule"><h2>\(page.t(.statsByRule)) <a class="csv" href="/v1/stats?by=rule&amp;period=\(period)&amp;format=csv">\(page.t(.exportCSV))</a></h2>
            <table><thead><tr><th></th><th>\(page.t(.colRaised))</th><th>\(page.term("false_alarm"))</th><th>\(page.t(.colFalseAlarms))</th></tr></thead><tbody>\(falseAlarms)</tbody></table></section>
            <section class="stats-table" id="by-camera"><h2>\(page.t(.statsByCamera)) <a class="csv" href="/v1/stats?by=camera&amp;period=\(period)&amp;format=csv">\(page.t(.exportCSV))</a></h2>
            <table><thead><tr><th></th><th>\(page.t(.colRaised))</th><th>\(page.term("false_alarm"))</th><th>\(page.t(.colFalseAlarms))</th></tr></thead><tbody>\(byCameraRows)</tbody></table></section>
            </section>
            """
        return ConsolePage.layout(page, title: page.t(.statsTitle), active: "stats", body: body)
    }

    /// Horizontal bars (or columns, `compact`) drawn as SVG on the server: no script, no
    /// chart library, readable in a screenshot.
    static func barChart(_ values: [(String, Double)], compact: Bool = false) -> HTML {
        guard !values.isEmpty else { return "" }
        let top = max(1, values.map(\.1).max() ?? 1)
        if compact {
            let w = 1000.0 / Double(values.count)
            let bars: [HTML] = values.enumerated().map { i, v in
                let h = 100 * v.1 / top
                return """
                    <rect x="\(Double(i) * w + 2)" y="\(110 - h)" width="\(w - 4)" height="\(h)"><title>\(v.0): \(Int(v.1))</title></rect>
                    <text x="\(Double(i) * w + w / 2)" y="126" text-anchor="middle">\(v.0)</text>
                    """
            }
            return "<svg class=\"chart columns\" viewBox=\"0 0 1000 130\" role=\"img\">\(bars)</svg>"
        }
        let rowHeight = 22.0
        let bars: [HTML] = values.enumerated().map { i, v in
            let y = Double(i) * rowHeight
            let w = 600 * v.1 / top
            return """
                <text x="0" y="\(y + 15)">\(String(v.0.prefix(24)))</text><rect x="260" y="\(y + 3)" width="\(max(w, 1))" height="\(rowHeight - 6)"><title>\(v.0): \(Int(v.1))</title></rect>
                <text x="\(266 + w)" y="\(y + 15)">\(Int(v.1))</text>
                """
        }
        return "<svg class=\"chart bars\" viewBox=\"0 0 960 \(Double(values.count) * rowHeight)\" role=\"img\">\(bars)</svg>"
    }
}
