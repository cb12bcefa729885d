import ControlClient
import ControlProtocol
import Foundation
import Testing
import TestSupport

/// The control socket answers as HTTP says (RFC 9110, RFC 9112), on the real daemon, with raw
/// bytes where a polite client would not send them (issue 12, point 4).
@Suite(.serialized) struct HTTPConformanceTests {
    /// A daemon without cameras: enough for everything that needs no ticket.
    static func quietDaemon(_ dir: TemporaryDirectory) throws -> DaemonHarness {
        try DaemonHarness(dir: dir, body: "grids:\n  - id: g\n    name: 网格\n    workers:\n      - {id: li, name: 李娜}\ncameras: []\n")
    }

    /// One request on a fresh connection, `Connection: close`.
    static func exchange(_ daemon: DaemonHarness, _ request: String, bodyless: Bool = false) throws -> RawResponse {
        let socket = try RawSocket(path: daemon.dir.path("control.sock"))
        try socket.send(request)
        return try socket.readResponse(bodyless: bodyless)
    }

    static func request(_ method: String, _ path: String, headers: [String] = [], body: String? = nil) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        for h in headers { text += h + "\r\n" }
        if let body { text += "Content-Length: \(body.utf8.count)\r\n" }
        return text + "\r\n" + (body ?? "")
    }

    static func reason(_ response: RawResponse) -> String {
        (try? ControlAPI.decoder().decode(ErrorResponse.self, from: Data(response.body)).error.reason) ?? "<no reason: \(response.text)>"
    }

    // MARK: Request bodies, ticket ids, chunked framing (need a ticket)

    @Test func textFieldsBodiesAndTicketIDsAreCheckedAsHTTPSays() throws {
        let dir = try TemporaryDirectory("gw-http")
        defer { dir.remove() }
        try Clips.walkingBox(dir.path("walk.mp4"), seconds: 6, start: 1)
        let daemon = try DaemonHarness(dir: dir, body: loopingWalkerConfig(clip: dir.path("walk.mp4")))
        defer { daemon.stop() }
        #expect(waitUntil(timeout: 60) { daemon.tickets().total >= 1 }, "no ticket: \(daemon.log)")
        let id = try #require(daemon.tickets().tickets.first?.id)
        let json = "Content-Type: application/json"
        func notes() throws -> [String] {
            try daemon.client.get("/v1/tickets/\(id)", as: TicketDetail.self).events.filter { $0.kind == "note" }.compactMap(\.note)
        }

        // Control characters (C0, DEL, C1) in free text: 400 naming the field; nothing stored.
        for bad in [#"a\u0000b"#, #"\u001b[2J"#, #"x\ry"#, #"del\u007f"#, #"csi\u009b"#, #"x\u000by"#] {
            let r = try Self.exchange(daemon, Self.request("POST", "/v1/tickets/\(id)/notes", headers: [json], body: #"{"note": "\#(bad)"}"#))
            #expect(r.status == 400, "note \(bad): \(r.status) \(r.text)")
            #expect(Self.reason(r).contains("note"), "note \(bad): \(Self.reason(r))")
        }
        let assignee = try Self.exchange(daemon, Self.request("POST", "/v1/tickets/\(id)/dispatch", headers: [json], body: #"{"assignee": "li\u0007"}"#))
        #expect(assignee.status == 400 && Self.reason(assignee).contains("assignee"), "\(assignee.status) \(Self.reason(assignee))")
        let reason = try Self.exchange(daemon, Self.request("POST", "/v1/cameras/walk/disable", headers: [json], body: #"{"reason": "\u001b]0;owned\u0007"}"#))
        #expect(reason.status == 400 && Self.reason(reason).contains("reason"), "\(reason.status) \(Self.reason(reason))")
        #expect(daemon.camera("walk")?.enabled == true)
        #expect(try notes().isEmpty)

        // Bodies that are not JSON: 415. No Content-Type is read as JSON; parameters are fine.
        for type in ["text/plain", "application/x-www-form-urlencoded", "application/xml", "application/json; charset=latin1", "application/jsonx"] {
            let r = try Self.exchange(daemon, Self.request("POST", "/v1/tickets/\(id)/notes", headers: ["Content-Type: \(type)"], body: #"{"note": "x"}"#))
            #expect(r.status == 415, "\(type): \(r.status) \(r.text)")
            #expect(Self.reason(r).contains("application/json"), "\(type): \(Self.reason(r))")
        }
        for (type, text) in [("application/json; charset=utf-8", "一"), ("Application/JSON", "二"), (nil, "三")] {
            let r = try Self.exchange(daemon, Self.request("POST", "/v1/tickets/\(id)/notes", headers: type.map { ["Content-Type: \($0)"] } ?? [], body: #"{"note": "\#(text)"}"#))
            #expect(r.status == 201, "\(type ?? "no type"): \(r.status) \(r.text)")
        }
        #expect(try notes() == ["一", "二", "三"])
        // A handling report may run over several lines: line feeds and tabs are kept in a note.
        let lines = try Self.exchange(daemon, Self.request("POST", "/v1/tickets/\(id)/notes", headers: [json], body: #"{"note": "已到现场\n\t人员已离开"}"#))
        #expect(lines.status == 201, "\(lines.status) \(lines.text)")
        #expect(try notes().last == "已到现场\n\t人员已离开")
        // gridwatchctl keeps working: it sends application/json.
        _ = try daemon.client.post("/v1/tickets/\(id)/notes", body: ActionRequest(note: "四 four"), as: TicketDetail.self)

        // Ticket ids are plain decimal digits: anything else is a 400, never another ticket.
        for odd in ["+\(id)", "%2B\(id)", "0\(id)", "\(id).0", "0x\(id)", "-\(id)", "0", "99999999999999999999"] {
            let get = try Self.exchange(daemon, Self.request("GET", "/v1/tickets/\(odd)"))
            #expect(get.status == 400, "GET /v1/tickets/\(odd): \(get.status)")
            #expect(Self.reason(get).contains("ticket id"), "\(odd): \(Self.reason(get))")
            let post = try Self.exchange(daemon, Self.request("POST", "/v1/tickets/\(odd)/notes", headers: [json], body: #"{"note": "x"}"#))
            #expect(post.status == 400, "POST /v1/tickets/\(odd)/notes: \(post.status)")
        }
        #expect(try Self.exchange(daemon, Self.request("GET", "/v1/tickets/\(id)")).status == 200)
        #expect(try Self.exchange(daemon, Self.request("GET", "/v1/tickets?limit=+5")).status == 400)
        #expect(try notes().count == 5)

        // A garbage chunk size is a malformed request (400), not a body too large (413);
        // the answer is the only one and the connection ends after it.
        for size in ["zz", "-1", "1x", "ffffffffffffffffffff"] {
            let socket = try RawSocket(path: dir.path("control.sock"))
            try socket.send("POST /v1/tickets/\(id)/notes HTTP/1.1\r\nHost: localhost\r\n\(json)\r\nTransfer-Encoding: chunked\r\n\r\n\(size)\r\n{\"note\": \"x\"}\r\n0\r\n\r\n")
            let r = try socket.readResponse()
            #expect(r.status == 400, "chunk size \(size): \(r.status) \(r.text)")
            #expect(r.header("connection")?.lowercased() == "close", "chunk size \(size): \(r.headers)")
            #expect(try socket.waitForClose(timeout: 10), "chunk size \(size): connection left open")
            #expect(socket.pending.isEmpty, "chunk size \(size): a second answer: \(String(decoding: socket.pending, as: UTF8.self))")
        }
        // A well-formed chunked body is read as JSON.
        let chunked = try RawSocket(path: dir.path("control.sock"))
        let body = #"{"note": "五"}"#
        try chunked.send("POST /v1/tickets/\(id)/notes HTTP/1.1\r\nHost: localhost\r\n\(json)\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\(String(body.utf8.count, radix: 16))\r\n\(body)\r\n0\r\n\r\n")
        #expect(try chunked.readResponse().status == 201)
        #expect(try notes().count == 6)
        #expect(daemon.child.process.isRunning)
    }

    // MARK: Methods

    @Test func headAnswersLikeGetWithoutABody() throws {
        let dir = try TemporaryDirectory("gw-http")
        defer { dir.remove() }
        let daemon = try Self.quietDaemon(dir)
        defer { daemon.stop() }
        for path in ["/v1/people", "/v1/cameras", "/v1/tickets", "/v1/stats", "/metrics"] {
            let get = try Self.exchange(daemon, Self.request("GET", path))
            let socket = try RawSocket(path: dir.path("control.sock"))
            try socket.send(Self.request("HEAD", path))
            let head = try socket.readResponse(bodyless: true)
            #expect(head.status == 200, "HEAD \(path): \(head.status)")
            #expect(head.header("content-length") == String(get.body.count), "HEAD \(path): \(head.headers) vs GET body of \(get.body.count)")
            #expect(head.header("content-type") == get.header("content-type"), "HEAD \(path)")
            #expect(try socket.waitForClose(timeout: 10))
            #expect(socket.pending.isEmpty, "HEAD \(path) sent a body: \(socket.pending.count) bytes")
        }
        // A stream: the head only, nothing held open for it.
        let events = try RawSocket(path: dir.path("control.sock"))
        try events.send(Self.request("HEAD", "/v1/events"))
        let head = try events.readResponse(bodyless: true)
        #expect(head.status == 200 && head.header("content-type")?.hasPrefix("text/event-stream") == true, "\(head.status) \(head.headers)")
        #expect(try events.waitForClose(timeout: 10) && events.pending.isEmpty)
        // HEAD on a path that has no GET is a wrong method; on no path at all, not found.
        let post = try Self.exchange(daemon, Self.request("HEAD", "/v1/reload"), bodyless: true)
        #expect(post.status == 405 && post.header("allow") == "POST", "\(post.status) \(post.headers)")
        #expect(try Self.exchange(daemon, Self.request("HEAD", "/v1/nothing"), bodyless: true).status == 404)
        // And HEAD keeps a persistent connection usable: the next answer follows on it.
        let kept = try RawSocket(path: dir.path("control.sock"))
        try kept.send("HEAD /v1/people HTTP/1.1\r\nHost: localhost\r\n\r\nGET /v1/people HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        #expect(try kept.readResponse(bodyless: true).status == 200)
        let after = try kept.readResponse()
        #expect(after.status == 200 && after.text.contains("\"people\""), "\(after.status) \(after.text)")
    }

    @Test func wrongMethodsOnKnownPathsAre405WithAllow() throws {
        let dir = try TemporaryDirectory("gw-http")
        defer { dir.remove() }
        let daemon = try Self.quietDaemon(dir)
        defer { daemon.stop() }
        let cases: [(String, String, String)] = [
            ("DELETE", "/v1/tickets/5", "GET, HEAD"),
            ("PUT", "/v1/health", "GET, HEAD"),
            ("POST", "/v1/cameras", "GET, HEAD"),
            ("GET", "/v1/tickets/5/acknowledge", "POST"),
            ("PATCH", "/v1/tickets/5/notes", "POST"),
            ("POST", "/v1/tickets/5/snapshot", "GET, HEAD"),
            ("GET", "/v1/reload", "POST"),
            ("DELETE", "/metrics", "GET, HEAD"),
        ]
        for (method, path, allow) in cases {
            let r = try Self.exchange(daemon, Self.request(method, path))
            #expect(r.status == 405, "\(method) \(path): \(r.status) \(r.text)")
            #expect(r.header("allow") == allow, "\(method) \(path): \(r.headers)")
            #expect(Self.reason(r).contains(allow), "\(method) \(path): \(Self.reason(r))")
        }
        for path in ["/v1/nothing", "/v2/tickets", "/v1/tickets/5/snapshot/extra"] {
            #expect(try Self.exchange(daemon, Self.request("DELETE", path)).status == 404, "DELETE \(path)")
        }
    }

    // MARK: Query strings

    @Test func invalidPercentEncodingInTheQueryIs400() throws {
        let dir = try TemporaryDirectory("gw-http")
        defer { dir.remove() }
        let daemon = try Self.quietDaemon(dir)
        defer { daemon.stop() }
        let cases: [(String, String)] = [
            ("/v1/tickets?q=%ZZ", "q"), ("/v1/tickets?q=%E4", "q"), ("/v1/tickets?q=ab%", "q"), ("/v1/tickets?q=%4", "q"),
            ("/v1/tickets?q=%00", "q"), ("/v1/tickets?q=%1B%5B2J", "q"), ("/v1/people?grid=%G1", "grid"), ("/v1/stats?by=%zz", "by"),
            ("/v1/tickets?q%ZZ=1", "q%ZZ"), ("/v1/tickets?q=%ff%fe", "q"),
        ]
        for (path, name) in cases {
            let r = try Self.exchange(daemon, Self.request("GET", path))
            #expect(r.status == 400, "\(path): \(r.status) \(r.text)")
            #expect(Self.reason(r).contains("'\(name)'"), "\(path): \(Self.reason(r))")
        }
        // Well-formed encodings still work.
        for path in ["/v1/tickets?q=%E4%B8%AD", "/v1/tickets?q=a%20b", "/v1/tickets?q=", "/v1/people?grid=g"] {
            let r = try Self.exchange(daemon, Self.request("GET", path))
            #expect(r.status == 200, "\(path): \(r.status) \(r.text)")
        }
    }

    // MARK: Persistence

    @Test func connectionsCloseWhenTheClientAsksOrSpeaksHTTP10() throws {
        let dir = try TemporaryDirectory("gw-http")
        defer { dir.remove() }
        let daemon = try Self.quietDaemon(dir)
        defer { daemon.stop() }
        // The idle timeout is 30 s: a close within 10 s is the server acting on the request.
        let closing = [
            "GET /v1/health HTTP/1.0\r\n\r\n",
            "GET /v1/health HTTP/1.0\r\nHost: localhost\r\n\r\n",
            "GET /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            "GET /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: Close\r\n\r\n",
            "GET /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive, close\r\n\r\n",
            "POST /v1/tickets/1/notes HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"note\": \"x\"}",
        ]
        for request in closing {
            let socket = try RawSocket(path: dir.path("control.sock"))
            try socket.send(request)
            let r = try socket.readResponse()
            let line = request.prefix(while: { $0 != "\r" })
            #expect(r.status == 200 || r.status == 404, "\(line): \(r.status)")
            #expect(r.header("connection")?.lowercased() == "close", "\(line): \(r.headers)")
            #expect(try socket.waitForClose(timeout: 10), "\(line): still open")
        }
        // An HTTP/1.0 answer is never chunked (1.0 clients do not know chunking): the event
        // stream is delimited by the connection's end instead.
        let stream = try RawSocket(path: dir.path("control.sock"))
        try stream.send("GET /v1/events HTTP/1.0\r\n\r\n")
        #expect(try stream.waitFor(": gridwatch events", timeout: 10))
        let text = String(decoding: stream.pending, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.0 200") || text.hasPrefix("HTTP/1.1 200"), "\(text)")
        #expect(!text.lowercased().contains("transfer-encoding: chunked"), "\(text)")
        #expect(text.contains("\r\n\r\n: gridwatch events"), "\(text)")

        // Persistent connections stay usable: HTTP/1.1 by default, HTTP/1.0 when it asks.
        for (version, keep, last) in [("HTTP/1.1", "", "Connection: close\r\n"), ("HTTP/1.0", "Connection: keep-alive\r\n", "")] {
            let socket = try RawSocket(path: dir.path("control.sock"))
            try socket.send("GET /v1/health \(version)\r\nHost: localhost\r\n\(keep)\r\n")
            let first = try socket.readResponse()
            #expect(first.status == 200 && first.header("connection")?.lowercased() != "close", "\(version): \(first.headers)")
            try socket.send("GET /v1/people \(version)\r\nHost: localhost\r\n\(last)\r\n")
            let second = try socket.readResponse()
            #expect(second.status == 200 && second.text.contains("\"people\""), "\(version) second: \(second.status)")
            #expect(try socket.waitForClose(timeout: 10))
        }
    }
}
