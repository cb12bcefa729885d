import ControlClient
import ControlProtocol
import Foundation
import Testing
import TestSupport

/// Random and mutated requests against the control socket: every one gets a defined status
/// and the daemon stays healthy.
@Suite(.serialized) struct FuzzTests {
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
        mutating func chance(_ percent: UInt64) -> Bool { next() % 100 < percent }
        mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
    }

    @Test func randomAndMutatedRequestsAllGetADefinedAnswer() throws {
        let dir = try TemporaryDirectory("gw-fuzz")
        defer { dir.remove() }
        try Clips.walkingBox(dir.path("walk.mp4"), seconds: 6, start: 1)
        let daemon = try DaemonHarness(dir: dir, body: loopingWalkerConfig(clip: dir.path("walk.mp4")))
        defer { daemon.stop() }
        #expect(waitUntil(timeout: 60) { daemon.tickets().total >= 1 }, "no ticket: \(daemon.log)")
        let id = daemon.tickets().tickets.first?.id ?? 1
        var g = Generator(state: 0x2545_F491_4F6C_DD1D)
        let paths = [
            "/v1/health", "/v1/cameras", "/v1/people", "/v1/tickets", "/v1/supervision", "/v1/stats", "/v1/tickets/\(id)",
            "/v1/tickets/\(id)/snapshot", "/v1/tickets/\(id)/notes", "/v1/tickets/\(id)/acknowledge", "/v1/tickets/\(id)/dispatch",
            "/v1/tickets/\(id)/reopen", "/v1/tickets/\(id)/false_alarm", "/v1/tickets/0/close", "/v2/tickets", "/", "/v1/tickets/%00",
            "/v1/cameras/walk", "/v1/cameras/walk/snapshot", "/v1/cameras/walk/disable", "/v1/cameras/walk/enable", "/v1/cameras/nope/enable",
            "/v1/cameras/walk/%2e%2e", "/v1/config", "/v1/config/check", "/v1/reload",
        ]
        let params = ["state", "open", "camera", "grid", "category", "overdue", "since", "until", "q", "limit", "offset", "format", "by", "period", "zzz"]
        let values = ["1", "0", "-1", "new", "csv", "json", "2026-11-23", "9999999999999999999999", "%ff%fe", "'; DROP TABLE tickets;--", "", "grid", "month", "ü中文"]
        let bodies: [String] = [
            "{}", #"{"note": "x"}"#, #"{"assignee": "li"}"#, #"{"note": 1}"#, "[]", "null", "{", #"{"note": "\u0000"}"#,
            #"{"note": "a", "assignee": {"x": [1, 2]}}"#, String(repeating: "[", count: 5000), #"{"reason": "检修"}"#, #"{"reason": null}"#,
        ]
        var statuses: [Int: Int] = [:]
        let defined: Set<Int> = [200, 201, 400, 403, 404, 405, 409, 413, 422, 503]
        let total = 2000
        for i in 0..<total {
            let method = g.pick(["GET", "GET", "POST", "POST", "PUT", "DELETE", "PATCH"])
            var path = g.pick(paths)
            // Most queries are encoded as a client would; some are sent raw (spaces, quotes,
            // non-ASCII in the request line), which the HTTP parser itself refuses with a bare 400.
            let raw = g.chance(10)
            if g.chance(40) {
                let query = (0..<Int(g.next() % 4)).map { _ -> String in
                    let value = g.pick(values)
                    return "\(g.pick(params))=" + (raw ? value : value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
                }.joined(separator: "&")
                path += "?" + query
            }
            if g.chance(10) { path += String(decoding: g.bytes(3).map { 0x21 + $0 % 90 }, as: UTF8.self).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }
            var body: [UInt8]?
            if method != "GET" {
                if g.chance(15) {
                    body = g.bytes(Int(g.next() % 300))
                } else {
                    var text = Array(g.pick(bodies).utf8)
                    if g.chance(30), !text.isEmpty { text[Int(g.next() % UInt64(text.count))] = UInt8(truncatingIfNeeded: g.next()) }
                    body = text
                }
            }
            do {
                let answer = try daemon.client.request(method, path, body: body, headers: ["Content-Type": "application/json"])
                statuses[answer.status, default: 0] += 1
                #expect(defined.contains(answer.status), "#\(i) \(method) \(path): \(answer.status)")
                if answer.status >= 400 && !raw {
                    // Every refusal says why.
                    let text = String(decoding: answer.body, as: UTF8.self)
                    #expect(text.contains("reason") || (answer.status == 422 && text.contains("message")), "#\(i) \(method) \(path) -> \(answer.status)")
                }
            } catch {
                Issue.record("#\(i) \(method) \(path): \(error)")
                statuses[-1, default: 0] += 1
            }
        }
        print("fuzz: \(total) requests, statuses \(statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))")
        // The camera may have been switched off by the fuzz; on again, it streams.
        _ = try daemon.client.request("POST", "/v1/cameras/walk/enable")
        #expect(daemon.waitForCamera("walk", timeout: 30) { $0.state == "streaming" }, "\(daemon.log)")
        let health = try daemon.client.get("/v1/health", as: HealthResponse.self)
        #expect(health.camerasStreaming == 1 && health.store == "ok")
        #expect(daemon.child.process.isRunning)
    }
}
