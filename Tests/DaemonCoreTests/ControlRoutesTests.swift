import ControlProtocol
@testable import DaemonCore
import Foundation
import Hummingbird
import Logging
import Storage
import Testing
import TestSupport
import Tickets

/// The control API in process (`Router.answer`, no socket): the routes as the
/// daemon builds them, with a caller chosen by the test.
struct ControlHarness {
    let dir: TemporaryDirectory
    let store: TicketStore
    let routes: ControlRoutes

    init() throws {
        dir = try TemporaryDirectory("gw-routes")
        let yaml = """
            grids:
              - id: village
                name: 东村
                workers:
                  - {id: li, name: 李娜}
            cameras:
              - id: c
                grid: village
                source: rtsp://127.0.0.1:9/none
                zones:
                  - id: z
                    polygon: [[0, 0], [1, 0], [1, 1]]
            """
        let config = try GridwatchConfig.parse(text: yaml, file: dir.path("gw.yml"))
        store = try TicketStore(directory: dir.url)
        try store.syncTopology(config)
        let (commands, continuation) = AsyncStream.makeStream(of: TicketCommand.self)
        let logger = Logger(label: "test")
        let events = EventHub()
        let cameras = CameraManager(config: config, commands: continuation, events: events, logger: logger)
        let tickets = TicketService(store: store, commands: commands, settings: config.tickets, events: events, logger: logger)
        let reloader = ConfigReloader(config: config, store: store, cameras: cameras, tickets: tickets, roles: RoleHolder(RoleMap(byGroup: [:])), logger: logger)
        let metrics = MetricsCollector(store: store, cameras: cameras, tickets: tickets)
        routes = ControlRoutes(store: store, cameras: cameras, tickets: tickets, events: events, reloader: reloader, metrics: metrics,
                               startedAt: Date(), version: "test", logger: logger)
    }

    /// Groups 5001…5003 are viewers, operators and corrections officers; uid 0 is root.
    func router(uid: UInt32, gid: UInt32) -> Router<ControlContext> {
        let roles = RoleHolder(RoleMap(byGroup: [5001: .viewer, 5002: .operator, 5003: .corrections], daemonUID: 999_999))
        return Daemon.controlRouter(routes, roles: roles, logger: Logger(label: "test")) { _ in
            CallerIdentity(uid: uid, gid: gid, user: nil)
        }
    }

    func status(_ uid: UInt32, _ gid: UInt32, _ method: HTTPRequest.Method, _ uri: String, body: String? = nil,
                language: String? = nil) async throws -> (Int, String, HTTPFields) {
        var headers: HTTPFields = body == nil ? [:] : [.contentType: "application/json"]
        if let language { headers[.acceptLanguage] = language }
        let answer = try await router(uid: uid, gid: gid).answer(method, uri, headers: headers, body: body.map { ByteBuffer(string: $0) })
        return (answer.status, String(buffer: answer.body), answer.headers)
    }
}

@Suite struct ControlRoutesTests {
    @Test func everyRouteDeclaresItsPermission() throws {
        let harness = try ControlHarness()
        defer { harness.dir.remove() }
        let router = harness.router(uid: 0, gid: 0)
        let declared = ControlRouter.declared.withLock { $0 }
        let served = router.routes.map { "\($0.method) \($0.path)".replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: "") }
        #expect(served.count >= 21)
        for route in served { #expect(declared[route] != nil, "\(route) has no permission") }
        for route in ["POST /v1/reload", "GET /v1/backup", "POST /v1/cameras/:id/:switch", "GET /v1/config", "POST /v1/config/check"] {
            #expect(declared[route] == .manage, "\(route)")
        }
        #expect(TicketAction.allCases.allSatisfy { declared["POST /v1/tickets/:id/\($0.rawValue)"] == .actOnTickets })
        #expect(declared["POST /v1/tickets/:id/notes"] == .actOnTickets && declared["GET /v1/tickets"] == .readTickets)
    }

    @Test func eachRoleGetsWhatItsPermissionSays() async throws {
        let h = try ControlHarness()
        defer { h.dir.remove() }
        let alert = Alert(cameraID: "c", zoneID: "z", gridID: "village", category: .intrusion, severity: .medium, title: .plain("t"),
                          occurredAt: Date(), snapshotJPEG: nil)
        let id = try h.store.raise(alert, at: Date()).ticket.id!
        // No role at all: refused on any path, known or not.
        #expect(try await h.status(1000, 100, .get, "/v1/health").0 == 403)
        #expect(try await h.status(1000, 100, .get, "/v1/nothing").0 == 403)
        // A viewer reads, may not act or manage.
        #expect(try await h.status(1000, 5001, .get, "/v1/tickets").0 == 200)
        #expect(try await h.status(1000, 5001, .get, "/v1/tickets/\(id)").0 == 200)
        let refused = try await h.status(1000, 5001, .post, "/v1/tickets/\(id)/acknowledge")
        #expect(refused.0 == 403 && refused.1.contains("may not POST"))
        #expect(try await h.status(1000, 5001, .get, "/v1/config").0 == 403)
        // An operator acts; a corrections officer does not see intrusion tickets at all.
        let acted = try await h.status(1000, 5002, .post, "/v1/tickets/\(id)/acknowledge")
        #expect(acted.0 == 200 && acted.1.contains("\"acknowledged\""))
        #expect(try await h.status(1000, 5003, .get, "/v1/tickets/\(id)").0 == 404)
        // Root manages.
        #expect(try await h.status(0, 0, .get, "/v1/config").0 == 200)
        // Unknown paths and wrong methods, for callers with a role.
        #expect(try await h.status(1000, 5001, .get, "/v1/nothing").0 == 404)
        let wrong = try await h.status(0, 0, .delete, "/v1/tickets/\(id)")
        #expect(wrong.0 == 405 && wrong.2[.allow] == "GET, HEAD")
    }

    /// Refusals, titles and the daemon's notes come in the language the caller asks for, with
    /// a code that does not change; a caller that does not say gets both, Chinese first.
    @Test func answersInTheLanguageAskedFor() async throws {
        let h = try ControlHarness()
        defer { h.dir.remove() }
        let alert = Alert(cameraID: "c", zoneID: "z", gridID: "village", category: .intrusion, severity: .medium,
                          title: .zoneEntry(zone: "河堤", camera: "东门"), occurredAt: Date(), snapshotJPEG: nil)
        let id = try h.store.raise(alert, at: Date()).ticket.id!
        func error(_ body: String) throws -> ErrorResponse.Body { try JSONDecoder().decode(ErrorResponse.self, from: Data(body.utf8)).error }

        let zh = try await h.status(0, 0, .post, "/v1/tickets/\(id)/close", language: "zh-CN,zh;q=0.9,en;q=0.8")
        #expect(zh.0 == 409 && zh.2[.contentLanguage] == "zh-CN" && zh.2[.vary] == "Accept-Language")
        let zhReason = try error(zh.1).reason
        #expect(zhReason == "待签收的工单不能结案（可执行：签收、派单、上报上级、误报）")
        #expect(try error(zh.1).code == "invalid_transition")
        let en = try await h.status(0, 0, .post, "/v1/tickets/\(id)/close", language: "en-US")
        #expect(try error(en.1).reason.hasPrefix("cannot close a ticket that is new") && en.2[.contentLanguage] == "en")
        let both = try await h.status(0, 0, .get, "/v1/tickets/99")
        #expect(try error(both.1) == ErrorResponse(status: 404, reason: "没有工单 99 / no ticket 99", code: "no_such_ticket").error)

        _ = try await h.status(0, 0, .post, "/v1/tickets/\(id)/dispatch", body: #"{"assignee": "li", "note": "去看看"}"#)
        let detailZH = try ControlAPI.decoder().decode(TicketDetail.self, from: Data(try await h.status(0, 0, .get, "/v1/tickets/\(id)", language: "zh").1.utf8))
        #expect(detailZH.ticket.title == "区域闯入：河堤 @ 东门")
        #expect(detailZH.events.last?.note == "派给 李娜（li）：去看看")
        let detailEN = try ControlAPI.decoder().decode(TicketDetail.self, from: Data(try await h.status(0, 0, .get, "/v1/tickets/\(id)", language: "en").1.utf8))
        #expect(detailEN.ticket.title == "Zone entry: 河堤 @ 东门" && detailEN.events.last?.note == "to 李娜 (li): 去看看")
        let csv = try await h.status(0, 0, .get, "/v1/tickets?format=csv", language: "zh")
        #expect(csv.1.contains("区域闯入：河堤 @ 东门") && !csv.1.contains("Zone entry"))
    }

    @Test func repeatTicketsAndOccurrencesThroughTheRoutes() async throws {
        let h = try ControlHarness()
        defer { h.dir.remove() }
        let t0 = Date()
        let alert = Alert(cameraID: "c", zoneID: "z", trackID: 3, gridID: "village", category: .intrusion, severity: .high, title: .plain("t"),
                          occurredAt: t0, snapshotJPEG: [0xFF, 0xD8, 0xFF, 0xD9])
        let id = try h.store.raise(alert, at: t0).ticket.id!
        var again = alert
        again.snapshotJPEG = nil
        again.trackID = 4
        _ = try h.store.raise(again, at: t0.addingTimeInterval(2))
        let list = try await h.status(0, 0, .get, "/v1/tickets/\(id)/occurrences")
        #expect(list.0 == 200 && list.1.contains("\"ticket_id\":\(id)") && list.1.contains("\"has_snapshot\":false"))
        #expect(try await h.status(0, 0, .get, "/v1/tickets/\(id)/snapshot").0 == 200)
    }
}

@Suite struct ControlParametersTests {
    @Test(arguments: [
        ("2026-11-30", true), ("2026-02-29", false), ("2024-02-29", true), ("2026-13-01", false), ("2026-00-10", false),
        ("2026-11-30T08:00:00Z", true), ("2026-11-30t08:00:00z", true), ("2026-11-30T08:00:00.125+08:00", true),
        ("2026-11-30T23:59:60Z", true), ("2026-11-30T24:00:00Z", false), ("2026-11-30T08:00:00", false),
        ("2026-11-30T08:00:00+8:00", false), ("yesterday", false), ("2026-11-30 08:00:00-05:30", false), ("2026-11-30T08:00:00-05:30", true), ("２０２６-11-30", false),
    ])
    func rfc3339TimesAndDates(text: String, valid: Bool) {
        #expect((TimeText.parse(text) != nil) == valid, "\(text)")
    }

    @Test func offsetsAndDatesMeanWhatTheySay() throws {
        let utc = try #require(TimeText.parse("2026-11-30T00:00:00Z"))
        #expect(TimeText.parse("2026-11-30T08:00:00+08:00") == utc)
        #expect(TimeText.parse("2026-11-30T08:00:00.5+08:00") == utc.addingTimeInterval(0.5))
        let shanghai = try #require(TimeZone(identifier: "Asia/Shanghai"))
        #expect(TimeText.parse("2026-11-30", timeZone: shanghai) == utc.addingTimeInterval(-8 * 3600))
    }

    @Test func parametersAndBodiesAreCheckedAsTheSchemaSays() async throws {
        let h = try ControlHarness()
        defer { h.dir.remove() }
        // Empty bounds are no bounds; a window that ends before it starts is empty, not an error.
        #expect(try await h.status(0, 0, .get, "/v1/tickets?since=&until=&camera=").0 == 200)
        #expect(try await h.status(0, 0, .get, "/v1/stats?since=&format=json").0 == 200)
        #expect(try await h.status(0, 0, .get, "/v1/stats?until=2000-01-01").0 == 200)
        // Unknown parameters and formats are refused, naming them.
        let xml = try await h.status(0, 0, .get, "/v1/stats?format=xml")
        #expect(xml.0 == 400 && xml.1.contains("format"))
        for path in ["/v1/stats?bogus=1", "/v1/people?grid=village&x=1", "/v1/supervision?limit=5", "/v1/tickets?colour=red"] {
            let r = try await h.status(0, 0, .get, path)
            #expect(r.0 == 400 && r.1.contains("unknown parameter"), "\(path): \(r.1)")
        }
        // A camera that is not streaming has no current picture: the camera's state, a 409.
        #expect(try await h.status(0, 0, .get, "/v1/cameras/c/snapshot").0 == 409)
        let alert = Alert(cameraID: "c", zoneID: "z", gridID: "village", category: .intrusion, severity: .medium, title: .plain("t"),
                          occurredAt: Date(), snapshotJPEG: nil)
        let id = try h.store.raise(alert, at: Date()).ticket.id!
        // null is not text; a blank reason is no reason; an unknown person is the grid's answer.
        #expect(try await h.status(0, 0, .post, "/v1/tickets/\(id)/acknowledge", body: "{\"note\": null}").0 == 400)
        #expect(try await h.status(0, 0, .post, "/v1/tickets/\(id)/false_alarm", body: "{\"note\": \" \\t\"}").0 == 400)
        #expect(try await h.status(0, 0, .post, "/v1/tickets/\(id)/notes", body: "{\"note\": \"\"}").0 == 400)
        #expect(try await h.status(0, 0, .post, "/v1/tickets/\(id)/dispatch", body: "{\"assignee\": \"nobody\"}").0 == 409)
        #expect(try await h.status(0, 0, .post, "/v1/tickets/\(id)/escalate").0 == 409)
        #expect(try await h.status(0, 0, .post, "/v1/tickets/\(id)/dispatch", body: "{\"assignee\": \"li\"}").0 == 200)
        #expect(try await h.status(0, 0, .post, "/v1/tickets/\(id)/bogus").0 == 404)
    }
}

@Suite struct ByteRangeTests {
    @Test func readsOneRangeAndAnswersTheWholeFileForAnythingElse() {
        #expect(ByteRange(header: nil, size: 1_000) == .whole)
        #expect(ByteRange(header: "bytes=0-99", size: 1_000) == .part(lower: 0, upper: 99))
        #expect(ByteRange(header: "bytes=900-", size: 1_000) == .part(lower: 900, upper: 999))
        #expect(ByteRange(header: "bytes=900-5000", size: 1_000) == .part(lower: 900, upper: 999))
        #expect(ByteRange(header: "bytes=-100", size: 1_000) == .part(lower: 900, upper: 999))
        #expect(ByteRange(header: "bytes=-5000", size: 1_000) == .part(lower: 0, upper: 999))
        #expect(ByteRange(header: "bytes=1000-", size: 1_000) == .unsatisfiable)
        #expect(ByteRange(header: "bytes=-0", size: 1_000) == .unsatisfiable)
        // Not one range of bytes: ignored (RFC 9110 lets a server send the whole).
        for header in ["bytes=5-1", "bytes=0-1,5-9", "items=0-1", "bytes=a-b", "bytes=-", "bytes=1-2-3", "bytes= 0x10-20", "bytes=99999999999999999999999-"] {
            #expect(ByteRange(header: header, size: 1_000) == .whole, "\(header)")
        }
    }
}
