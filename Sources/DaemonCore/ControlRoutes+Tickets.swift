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

/// Routes of tickets: lists, export, supervision, statistics, detail, evidence, actions.
extension ControlRoutes {
    /// With a shared store, evidence stays on the node that took it: a file missing here
    /// because another node raised the alert is said so, with that node.
    func elsewhere(_ node: String?, _ ticket: Int64) -> APIMessage? {
        guard let node, let cluster, node != cluster.nodeID else { return nil }
        return .evidenceOnNode(ticket: ticket, node: node)
    }

    func addTickets(to routes: ControlRouter) {
        routes.get("/v1/tickets", .readTickets) { request, context in
            var query = try query(request)
            query.restrict(to: try context.who.access)
            let format = request.uri.queryParameters["format"].map(String.init) ?? "json"
            switch format {
            case "json":
                let rows = try store.tickets(query)
                let total = try store.ticketCount(matching: query)
                return try JSONResponse.ok(TicketList(tickets: rows.map { TicketSummary($0, request.language) }, total: total), language: request.language)
            case "csv":
                // The whole filtered set (not one page), for the monthly report.
                var all: [TicketRecord] = []
                try store.eachTicket(matching: query, limit: Self.csvLimit) { all.append($0) }
                if all.count == Self.csvLimit {
                    throw ControlError.badRequest(.exportTooLarge(limit: Self.csvLimit))
                }
                return Self.csv(
                    ["id", "occurred_at", "created_at", "state", "severity", "category", "kind", "grid_id", "camera_id", "zone_id", "tripwire_id",
                     "title", "assignee", "acknowledged_at", "closed_at", "ack_due_at", "close_due_at", "overdue", "escalations", "occurrences",
                     "reopen_count", "repeat_problem", "repeat_of"],
                    all.map { t in
                        [String(t.id ?? 0), Self.csvTime(t.occurredAt), Self.csvTime(t.createdAt), t.state.rawValue, t.severity.rawValue,
                         t.category.rawValue, t.kind, t.gridId, t.cameraId, t.zoneId ?? "", t.tripwireId ?? "", t.title(in: request.language), t.assignee ?? "",
                         Self.csvTime(t.acknowledgedAt), Self.csvTime(t.closedAt), Self.csvTime(t.ackDueAt), Self.csvTime(t.closeDueAt),
                         String(t.overdue), String(t.escalations), String(t.occurrences), String(t.reopenCount), t.repeatProblem ? "1" : "0", t.repeatOf.map(String.init) ?? ""]
                    })
            default:
                throw ControlError.badRequest(.badFormat(text: format))
            }
        }
        routes.get("/v1/supervision", .readTickets) { request, context in
            _ = try Self.parameters(request, allowed: [])
            var query = TicketQuery.supervision(visibleCategories: nil)
            query.restrict(to: try context.who.access)
            query.limit = 1000
            let rows = try store.tickets(query)
            return try JSONResponse.ok(TicketList(tickets: rows.map { TicketSummary($0, request.language) }, total: try store.ticketCount(matching: query)),
                                       language: request.language)
        }
        routes.get("/v1/stats", .readTickets) { request, context in
            let params = try Self.parameters(request, allowed: ["by", "period", "since", "until", "format"])
            let byText = params["by"] ?? "category"
            guard let by = StatsGrouping(rawValue: byText) else {
                throw ControlError.badRequest(.unknownGrouping(text: byText, known: StatsGrouping.allCases.map(\.rawValue)))
            }
            // The period ends at `until` (now by default); `since` overrides its start. A
            // window that ends before it starts is empty, not an error.
            let length: TimeInterval
            switch params["period"] ?? "week" {
            case "day": length = 86_400
            case "week": length = 7 * 86_400
            case "month": length = 30 * 86_400
            case "year": length = 365 * 86_400
            case let other: throw ControlError.badRequest(.unknownPeriod(text: other, known: ["day", "week", "month", "year"]))
            }
            let until = try Self.optionalTime(params["until"], name: "until") ?? Date()
            let since = try Self.optionalTime(params["since"], name: "since") ?? until.addingTimeInterval(-length)
            let format = params["format"] ?? "json"
            guard format == "json" || format == "csv" else { throw ControlError.badRequest(.badFormat(text: format)) }
            var (groups, total) = try store.statistics(since: since, until: until, grouping: by, visibleCategories: try context.who.access.visibleCategories,
                                                       visibleGrids: try context.who.access.grids)
            if by == .rule {
                // camera/rule/kind → the rule's cooldown now, to read beside its false-alarm rate.
                let configs = Dictionary(cameras.list().map { ($0.config.id, $0.config) }, uniquingKeysWith: { a, _ in a })
                for i in groups.indices {
                    let parts = groups[i].key.split(separator: "/", maxSplits: 2).map(String.init)
                    guard parts.count == 3, let camera = configs[parts[0]] else { continue }
                    groups[i].cooldownSeconds = camera.zones.first { $0.id == parts[1] }?.options.cooldown
                        ?? camera.tripwires.first { $0.id == parts[1] }?.options.cooldown
                }
            }
            if format == "csv" {
                func n(_ d: Double?) -> String { d.map { String(format: "%.1f", $0) } ?? "" }
                return Self.csv(
                    [by.rawValue, "raised", "acknowledged", "acknowledged_on_time", "closed", "closed_on_time", "completion_rate", "false_alarms",
                     "false_alarm_rate", "repeat_tickets", "overdue", "mean_ack_s", "p90_ack_s", "mean_close_s", "p90_close_s", "cooldown_s"],
                    (groups + [total]).map { g in
                        [g.key, String(g.raised), String(g.acknowledged), String(g.acknowledgedOnTime), String(g.closed), String(g.closedOnTime),
                         String(format: "%.3f", g.completionRate), String(g.falseAlarms), String(format: "%.3f", g.falseAlarmRate),
                         String(g.repeatTickets), String(g.overdue), n(g.meanAcknowledgeSeconds), n(g.p90AcknowledgeSeconds),
                         n(g.meanCloseSeconds), n(g.p90CloseSeconds), n(g.cooldownSeconds)]
                    })
            }
            return try JSONResponse.ok(StatsResponse(since: since, until: until, by: by, groups: groups, total: total))
        }
        routes.get("/v1/tickets/:id", .readTickets) { request, context in
            try JSONResponse.ok(try detail(try ticketID(context), try context.who, request.language), language: request.language)
        }
        routes.get("/v1/tickets/:id/snapshot", .readTickets) { _, context in
            let id = try ticketID(context)
            let ticket = try visibleTicket(id, try context.who)
            guard let url = store.snapshotURL(of: ticket) else {
                throw ControlError.notFound(ticket.evidencePurged ? .evidencePurged(ticket: id) : .noSnapshot(ticket: id))
            }
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw ControlError.notFound(elsewhere(ticket.nodeId, id) ?? .snapshotMissing(ticket: id))
            }
            return Response(
                status: .ok,
                headers: [.contentType: "image/jpeg"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
        routes.get("/v1/tickets/:id/clip", .readTickets) { request, context in
            let id = try ticketID(context)
            let ticket = try visibleTicket(id, try context.who)
            guard let path = ticket.clipPath else {
                throw ControlError.notFound(ticket.evidencePurged && ticket.clipName != nil ? .evidencePurged(ticket: id) : .noClip(ticket: id))
            }
            return try Self.serveClip(store.evidenceURL(path), request: request, missing: elsewhere(ticket.nodeId, id) ?? .clipMissing(ticket: id))
        }
        routes.get("/v1/tickets/:id/occurrences/:occurrence/clip", .readTickets) { request, context in
            let (ticket, occurrence, number) = try visibleOccurrence(context)
            let id = ticket.id ?? 0
            guard let path = occurrence.clipPath else {
                throw ControlError.notFound(ticket.evidencePurged && occurrence.clipName != nil ? .evidencePurged(ticket: id) : .occurrenceWithoutClip(ticket: id, occurrence: number))
            }
            return try Self.serveClip(store.evidenceURL(path), request: request, missing: elsewhere(occurrence.nodeId, id) ?? .clipMissing(ticket: id))
        }
        routes.get("/v1/tickets/:id/occurrences", .readTickets) { _, context in
            let id = try ticketID(context)
            _ = try visibleTicket(id, try context.who)
            return try JSONResponse.ok(OccurrenceList(ticketId: id, occurrences: try store.occurrences(ticketID: id).map(OccurrenceInfo.init)))
        }
        routes.get("/v1/tickets/:id/occurrences/:occurrence/snapshot", .readTickets) { _, context in
            let (ticket, occurrence, number) = try visibleOccurrence(context)
            let id = ticket.id ?? 0
            guard let path = occurrence.snapshotPath else {
                throw ControlError.notFound(ticket.evidencePurged ? .evidencePurged(ticket: id) : .occurrenceWithoutSnapshot(ticket: id, occurrence: number))
            }
            guard let data = FileManager.default.contents(atPath: store.evidenceURL(path).path) else {
                throw ControlError.notFound(elsewhere(occurrence.nodeId, id) ?? .occurrenceSnapshotMissing(ticket: id, occurrence: number))
            }
            return Response(status: .ok, headers: [.contentType: "image/jpeg"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
        routes.post("/v1/tickets/:id/notes", .actOnTickets) { request, context in
            let id = try ticketID(context)
            let caller = try context.who
            try mayAct(on: try visibleTicket(id, caller), caller)
            let body = try await Self.decodeBody(request, for: nil)
            _ = try act(nil, ticketID: id, caller: caller, note: body.note, assignee: nil)
            return try JSONResponse.ok(try detail(id, caller, request.language), status: .created, language: request.language)
        }
        // One path per action, so each says what it needs (OpenAPI: a note, an assignee).
        for action in TicketAction.allCases {
            routes.post("/v1/tickets/:id/\(action.rawValue)", .actOnTickets) { request, context in
                let id = try ticketID(context)
                let caller = try context.who
                try mayAct(on: try visibleTicket(id, caller), caller)
                let body = try await Self.decodeBody(request, for: action)
                _ = try act(action, ticketID: id, caller: caller, note: body.note, assignee: body.assignee)
                return try JSONResponse.ok(try detail(id, caller, request.language), language: request.language)
            }
        }
    }
}

/// One byte range of an HTTP `Range` header (RFC 9110 §14.1.2), resolved against a file's size.
enum ByteRange: Equatable {
    /// No usable range (none asked, another unit, several ranges, bad syntax): the whole file.
    case whole
    /// Bytes `lower...upper` (inclusive).
    case part(lower: Int, upper: Int)
    /// A range that starts beyond the end of the file.
    case unsatisfiable

    init(header: String?, size: Int) {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { self = .whole; return }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { self = .whole; return }
        let first = PlainText.digits(String(parts[0])), last = PlainText.digits(String(parts[1]))
        switch (parts[0].isEmpty, parts[1].isEmpty) {
        case (true, false):
            // The last n bytes.
            guard let n = last else { self = .whole; return }
            guard n > 0, size > 0 else { self = .unsatisfiable; return }
            self = .part(lower: max(0, size - Int(clamping: n)), upper: size - 1)
        case (false, _):
            guard let a = first, parts[1].isEmpty || last != nil else { self = .whole; return }
            if let b = last, b < a { self = .whole; return }
            guard a < size else { self = .unsatisfiable; return }
            self = .part(lower: Int(a), upper: min(size - 1, last.map { Int(clamping: $0) } ?? size - 1))
        default:
            self = .whole
        }
    }
}

extension ControlRoutes {
    /// A clip as `video/mp4`, whole or the byte range asked (206 with `Content-Range`), so a
    /// browser's player can seek; `Accept-Ranges: bytes` either way.
    static func serveClip(_ url: URL, request: Request, missing: APIMessage) throws -> Response {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { throw ControlError.notFound(missing) }
        defer { try? handle.close() }
        let size = Int((try? handle.seekToEnd()) ?? 0)
        let header = request.headers[.range]
        switch ByteRange(header: header, size: size) {
        case .unsatisfiable:
            throw ControlError.rangeNotSatisfiable(.rangeNotSatisfiable(range: String(header?.prefix(64) ?? ""), size: size), size: size)
        case .whole:
            try handle.seek(toOffset: 0)
            let data = try handle.readToEnd() ?? Data()
            return Response(status: .ok, headers: [.contentType: "video/mp4", .acceptRanges: "bytes"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        case let .part(lower, upper):
            try handle.seek(toOffset: UInt64(lower))
            let data = try handle.read(upToCount: upper - lower + 1) ?? Data()
            return Response(status: .partialContent,
                            headers: [.contentType: "video/mp4", .acceptRanges: "bytes", .contentRange: "bytes \(lower)-\(upper)/\(size)"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
