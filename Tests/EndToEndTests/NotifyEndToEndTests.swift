import ControlClient
import ControlProtocol
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Notify
import Testing
import TestSupport

/// Notifications leave the box: a real daemon, a real receiver on 127.0.0.1 that fails,
/// hangs and accepts, kill -9 in the middle, programs that hang, platforms that call back.
@Suite(.serialized) struct NotifyEndToEndTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    func config(clip: String, notify: String, hooks: Int? = nil) -> String {
        loopingWalkerConfig(clip: clip, extra: "notify:\n" + notify)
    }

    struct Received {
        var id: String
        var ticket: Int64
        var sequence: Int64
        var type: String
    }

    /// The webhook requests that reached the receiver with a valid signature, decoded.
    func verified(_ entries: [WebhookReceiver.Entry], path: String = "/hook") throws -> (ok: [Received], badSignatures: Int) {
        let key = try #require(StandardWebhooks.key(fromSecret: Self.secret))
        var ok: [Received] = []
        var bad = 0
        for e in entries where e.path == path && e.delivered && e.answer == "200" {
            let body = Array(e.body.utf8)
            // Checked as a receiver would, with a tolerance wide enough for a slow test machine.
            guard case .success = StandardWebhooks.verify(id: e.headers["webhook-id"], timestamp: e.headers["webhook-timestamp"],
                                                          signature: e.headers["webhook-signature"], body: body, key: key, now: Date(), tolerance: 3600) else {
                bad += 1
                continue
            }
            let message = try ControlAPI.decoder().decode(WebhookMessage.self, from: Data(body))
            #expect(message.data.messageId == e.headers["webhook-id"])
            ok.append(Received(id: message.data.messageId, ticket: message.data.ticket.id, sequence: message.data.sequence, type: message.type))
        }
        return (ok, bad)
    }

    @Test func everyChangeArrivesInOrderThroughFailuresATimeoutAndAKill9() throws {
        let dir = try TemporaryDirectory("gw-notify")
        defer { dir.remove() }
        try Clips.walkingBox(dir.path("walk.mp4"), seconds: 8, start: 1)
        try (Self.secret + "\n").write(toFile: dir.path("whsec"), atomically: true, encoding: .utf8)
        // Three failures, one request left hanging past the daemon's timeout, then every
        // answer a little slow, so that the burst below is still going out when the daemon dies.
        // (0.4 s an answer: about twelve seconds for the burst, so the kill below, a poll after
        // the fifteenth, falls inside it even on a loaded machine; with 0.15 s, make test's
        // load once let the whole burst through before the poll.)
        let receiver = try WebhookReceiver(dir: dir, script: ["500", "500", "500", "hang"], hang: 3, delay: 0.4)
        defer { receiver.stop() }
        let notify = """
              - id: city
                type: webhook
                url: \(receiver.url)/hook
                secret_file: whsec
                timeout: 1s
                concurrency: 2
                retry: {waits: [0.3s, 0.3s, 0.3s], then: 0.5s}
            """
        let body = config(clip: dir.path("walk.mp4"), notify: notify)
        var daemon = try DaemonHarness(dir: dir, body: body)
        defer { daemon.stop() }
        #expect(waitUntil(timeout: 60) { daemon.tickets().total >= 2 }, "no tickets: \(daemon.log)")
        let ids = daemon.tickets().tickets.compactMap { $0.id }.prefix(2)
        // A burst of changes: 60 notes over two tickets.
        for i in 0..<60 {
            _ = try daemon.client.post("/v1/tickets/\(ids[ids.startIndex + i % 2])/notes", body: ActionRequest(note: "burst \(i)"), as: TicketDetail.self)
        }
        #expect(waitUntil(timeout: 60) { receiver.entries().filter { $0.answer == "200" }.count >= 15 }, "nothing delivered: \(daemon.log)")
        daemon.child.signal(SIGKILL)
        _ = daemon.child.wait(timeout: 10)
        let beforeKill = receiver.entries().count
        // The same folder: the outbox is what the killed daemon left.
        daemon = try DaemonHarness(dir: dir, body: body)
        _ = try daemon.client.post("/v1/cameras/walk/disable", body: CameraActionRequest(reason: "test over"), as: CameraActionResponse.self)
        let client = daemon.client
        #expect(waitUntil(timeout: 120) {
            guard let d = try? client.get("/v1/notify", as: NotifyStatusList.self).destinations.first else { return false }
            return d.pending == 0 && d.deadLetters == 0
        }, "still pending: \((try? client.get("/v1/notify", as: NotifyStatusList.self)).map { "\($0)" } ?? "") \(daemon.log)")
        daemon.stop()

        let entries = receiver.entries()
        #expect(entries.count > beforeKill)
        #expect(entries.filter { $0.answer == "500" }.count == 3)
        #expect(entries.filter { $0.answer == "hang" }.count == 1)
        let (received, bad) = try verified(entries)
        #expect(bad == 0)
        // Duplicates only under the same id: one id, one change.
        var byID: [String: (Int64, Int64)] = [:]
        for r in received {
            if let seen = byID[r.id] { #expect(seen == (r.ticket, r.sequence)) }
            byID[r.id] = (r.ticket, r.sequence)
        }
        #expect(Set(received.map { "\($0.ticket)/\($0.sequence)" }).count == byID.count)
        // Every change of every ticket arrived; first arrivals in sequence order.
        let tickets = DaemonHarnessSnapshot.tickets(dir: dir, body: body)
        #expect(!tickets.isEmpty)
        for (ticket, changes) in tickets {
            let firsts = received.filter { $0.ticket == ticket }.reduce(into: [Int64]()) { seen, r in if !seen.contains(r.sequence) { seen.append(r.sequence) } }
            #expect(firsts == Array(1...Int64(changes)), "ticket \(ticket): \(firsts) of \(changes)")
        }
        #expect(Set(received.filter { $0.type == "ticket.note" }.map(\.id)).count == 60)
        let duplicates = received.count - byID.count
        print("notify kill -9: \(received.count) accepted deliveries of \(byID.count) changes (\(duplicates) duplicates under their id), 3 × 500 and 1 hang injected, \(tickets.count) tickets")
    }

    /// 429 pauses the destination, 410 switches it off until an administrator switches it on,
    /// a delivery past its schedule becomes a dead letter that `gridwatchctl notify retry`
    /// sends again; robot keys and secrets appear in no output on the way.
    @Test func aReceiverThatSaysWaitOrGoneAndADeadLetterRetriedByHand() throws {
        let dir = try TemporaryDirectory("gw-notify-410")
        defer { dir.remove() }
        try Clips.walkingBox(dir.path("walk.mp4"), seconds: 8, start: 1)
        try (Self.secret + "\n").write(toFile: dir.path("whsec"), atomically: true, encoding: .utf8)
        let receiver = try WebhookReceiver(dir: dir, script: ["429:1", "410", "500"])
        defer { receiver.stop() }
        let robots = try WebhookReceiver(dir: dir)
        defer { robots.stop() }
        let notify = """
              - id: city
                type: webhook
                url: \(receiver.url)/hook?token=TokenSecret1
                secret_file: whsec
                concurrency: 1
                events: [created]
                retry: {waits: [0.2s], then: 0.2s, give_up_after: 1s}
              - id: group
                type: dingtalk
                url: \(robots.url)/ding/robot?access_token=RobotSecret2
                secret_env: GW_DING_SECRET
                per_minute: 600
            """
        let daemon = try DaemonHarness(dir: dir, body: config(clip: dir.path("walk.mp4"), notify: notify), environment: ["GW_DING_SECRET": "SECDingSecret3"])
        defer { daemon.stop() }
        let client = daemon.client
        func city() -> NotifyDestinationStatus? {
            (try? client.get("/v1/notify", as: NotifyStatusList.self))?.destinations.first { $0.id == "city" }
        }
        let ctl = Paths.executable("gridwatchctl").path
        let socket = ["--socket", daemon.dir.path("control.sock")]
        #expect(waitUntil(timeout: 60) { city()?.disabled == true }, "\(daemon.log)")
        var status = try #require(city())
        #expect(status.disabledReason == "HTTP 410 Gone" && status.pending >= 1 && status.delivered == 0)
        #expect(receiver.entries().filter { $0.path == "/hook" }.map(\.answer).prefix(2) == ["429:1", "410"])
        let listed = try runCommand(ctl, ["notify"] + socket, environment: ["LANG": "zh_CN.UTF-8"])
        #expect(listed.contains("city：已停用（HTTP 410 Gone），修复后执行 gridwatchctl notify enable city"), "\(listed)")
        #expect(try runCommand(ctl, ["notify", "enable", "city"] + socket, environment: ["LANG": "en_US.UTF-8"]).contains("city: switched on"))
        // The next attempt fails past the schedule: a dead letter, listed with its ticket.
        #expect(waitUntil(timeout: 30) { (city()?.deadLetters ?? 0) >= 1 }, "\(receiver.entries().map { "\($0.n) \($0.answer) \($0.body.prefix(120))" }) \(daemon.log)")
        status = try #require(city())
        let dead = try #require(status.dead.first)
        #expect(dead.attempts == 3 && dead.lastError == "HTTP 500" && dead.type == "ticket.created")
        #expect(try runCommand(ctl, ["notify"] + socket, environment: ["LANG": "en_US.UTF-8"]).contains("city dead letter \(dead.eventId): ticket #\(dead.ticketId) change 1 ticket.created, 3 attempts, HTTP 500"))
        #expect(try runCommand(ctl, ["notify", "retry", "city", "--event", "\(dead.eventId)"] + socket, environment: ["LANG": "en_US.UTF-8"]).contains("city: 1 dead letters queued again"))
        #expect(waitUntil(timeout: 30) {
            (try? verified(receiver.entries()).ok.contains { $0.ticket == dead.ticketId && $0.sequence == 1 }) ?? false
        })
        #expect(waitUntil(timeout: 30) { robots.entries().contains { $0.path == "/ding/robot" } })
        // The robot got its signed URL; nothing shows a key or a secret.
        let ding = try #require(robots.entries().first { $0.path == "/ding/robot" })
        #expect(ding.query.hasPrefix("access_token=RobotSecret2&timestamp=") && ding.query.contains("&sign="))
        let outputs = [
            daemon.log, try runCommand(ctl, ["notify", "--json"] + socket), try runCommand(ctl, ["notify"] + socket),
            String(decoding: try client.getBytes("/v1/config"), as: UTF8.self), String(decoding: try client.getBytes("/metrics"), as: UTF8.self),
            try runCommand(Paths.executable("gridwatchd").path, ["check-config", daemon.configPath], environment: ["GW_DING_SECRET": "SECDingSecret3"]),
        ]
        for text in outputs {
            for secret in ["TokenSecret1", "RobotSecret2", "DingSecret3", String(Self.secret.dropFirst(6).prefix(12))] {
                #expect(!text.contains(secret), "\(secret) in \(text.prefix(300))")
            }
        }
        #expect(outputs[2].contains("access_token=***"))
    }

    @Test func aProgramThatHangsIsKilledAtItsTimeoutAndOneThatWorksGetsTheEvent() throws {
        let dir = try TemporaryDirectory("gw-notify-exec")
        defer { dir.remove() }
        try Clips.walkingBox(dir.path("walk.mp4"), seconds: 8, start: 1)
        let hook = dir.path("hook.sh")
        try "#!/bin/sh\ncat > \"\(dir.path("got"))-$GRIDWATCH_TICKET_ID-$GRIDWATCH_SEQUENCE.json\"\n".write(toFile: hook, atomically: true, encoding: .utf8)
        chmod(hook, 0o755)
        // A program that starts a child and waits: both go at the timeout (the process group).
        let hang = dir.path("hang.sh")
        try "#!/bin/sh\nsleep 47.25 &\nwait\n".write(toFile: hang, atomically: true, encoding: .utf8)
        chmod(hang, 0o755)
        // A program that leaves a child behind and exits at once: delivered by its exit, the
        // child ended with its group.
        let leaves = dir.path("leaves.sh")
        try "#!/bin/sh\nsleep 38.75 &\nexit 0\n".write(toFile: leaves, atomically: true, encoding: .utf8)
        chmod(leaves, 0o755)
        let notify = """
              - id: leaves
                type: exec
                command: [\(leaves)]
                timeout: 20s
                events: [created]
              - id: script
                type: exec
                command: [\(hook)]
                events: [created]
              - id: stuck
                type: exec
                command: [\(hang)]
                timeout: 1s
                events: [created]
                retry: {waits: [1h]}
            """
        let daemon = try DaemonHarness(dir: dir, body: config(clip: dir.path("walk.mp4"), notify: notify))
        defer { daemon.stop() }
        let client = daemon.client
        func status(_ id: String) -> NotifyDestinationStatus? {
            (try? client.get("/v1/notify", as: NotifyStatusList.self))?.destinations.first { $0.id == id }
        }
        #expect(waitUntil(timeout: 60) { status("stuck")?.lastError != nil }, "\(daemon.log)")
        let stuck = try #require(status("stuck"))
        #expect(stuck.lastError == "killed after the 1 s timeout")
        #expect(stuck.pending >= 1 && stuck.delivered == 0)
        // Nothing of the program is left running.
        let gone = waitUntil(timeout: 5) { ((try? runProcess("/usr/bin/pgrep", ["-f", "sleep 47.25"]))?.status ?? 0) == 1 }
        #expect(gone)
        #expect(waitUntil(timeout: 30) { (status("script")?.delivered ?? 0) >= 1 })
        // Well before its 20 s timeout, and its child gone.
        #expect(waitUntil(timeout: 10) { (status("leaves")?.delivered ?? 0) >= 1 }, "\(String(describing: status("leaves")))")
        #expect(status("leaves")?.lastError == nil)
        let orphanGone = waitUntil(timeout: 5) { ((try? runProcess("/usr/bin/pgrep", ["-f", "sleep 38.75"]))?.status ?? 0) == 1 }
        #expect(orphanGone)
        let got = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.hasPrefix("got-") }
        let first = try #require(got.first)
        let message = try ControlAPI.decoder().decode(WebhookMessage.self, from: Data(contentsOf: dir.url.appendingPathComponent(first)))
        #expect(message.type == "ticket.created" && message.data.sequence == 1 && first == "got-\(message.data.ticket.id)-1.json")
    }

    /// A daemon whose walker camera raises tickets, with a `city` webhook to a receiver that
    /// accepts everything, its callbacks on `hooks` (the `daemon:` lines), and its first ticket.
    func callbackDaemon(_ dir: TemporaryDirectory, hooks: (Int) -> String) throws -> (daemon: DaemonHarness, receiver: WebhookReceiver, port: Int, ticket: Int64) {
        try Clips.walkingBox(dir.path("walk.mp4"), seconds: 8, start: 1)
        try (Self.secret + "\n").write(toFile: dir.path("whsec"), atomically: true, encoding: .utf8)
        let receiver = try WebhookReceiver(dir: dir)
        let port = freePort()
        let notify = """
              - id: city
                type: webhook
                url: \(receiver.url)/hook
                secret_file: whsec
            """
        let daemon = try DaemonHarness(dir: dir, body: config(clip: dir.path("walk.mp4"), notify: notify), daemonSection: hooks(port))
        #expect(waitUntil(timeout: 60) { daemon.tickets().total >= 1 }, "\(daemon.log)")
        let ticket = try #require(daemon.tickets().tickets.last?.id)
        return (daemon, receiver, port, ticket)
    }

    @Test func aSignedCallbackDispatchesTheTicketAndForgeriesOldAndReplayedOnesAreRefused() throws {
        let dir = try TemporaryDirectory("gw-notify-in")
        defer { dir.remove() }
        let (daemon, receiver, port, ticket) = try callbackDaemon(dir) { "  hooks_listen: 127.0.0.1:\($0)\n" }
        defer { daemon.stop(); receiver.stop() }
        let key = try #require(StandardWebhooks.key(fromSecret: Self.secret))
        func post(_ json: String, id: String, age: Double = 0, key: [UInt8]? = nil) -> (status: Int, body: String)? {
            let body = Array(json.utf8)
            let ts = Int64(Date().timeIntervalSince1970 - age)
            return httpPost("http://127.0.0.1:\(port)/hooks/city", body: body, headers: [
                "content-type": "application/json", "webhook-id": id, "webhook-timestamp": "\(ts)",
                "webhook-signature": StandardWebhooks.signature(id: id, timestamp: ts, body: body, key: key ?? Array(repeating: 7, count: 24)),
            ])
        }
        let dispatch = #"{"type": "case.dispatched", "data": {"ticket_id": \#(ticket), "case_number": "12345-2026-000777", "note": "已转城管中队"}}"#
        #expect(post(dispatch, id: "cb_forged")?.status == 401)
        #expect(post(dispatch, id: "cb_old", age: 600, key: key)?.status == 401)
        let applied = try #require(post(dispatch, id: "cb_1", key: key))
        #expect(applied.status == 200, "\(applied.body)")
        #expect(post(dispatch, id: "cb_1", key: key)?.status == 409)
        #expect(post(#"{"type": "case.bogus", "data": {"ticket_id": 1}}"#, id: "cb_2", key: key)?.status == 400)
        let detail = try daemon.client.get("/v1/tickets/\(ticket)", as: TicketDetail.self)
        #expect(detail.ticket.state == .dispatched && detail.ticket.caseNumber == "12345-2026-000777" && detail.ticket.casePlatform == "city")
        let dispatches = detail.events.filter { $0.kind == "dispatch" }
        #expect(dispatches.count == 1 && dispatches.first?.actor == "platform:city")
        #expect(daemon.log.contains("callback refused: bad_signature") && daemon.log.contains("callback refused: replayed"))
        // What the platform sent is not sent back to it.
        #expect(waitUntil(timeout: 20) { (try? verified(receiver.entries()).ok.contains { $0.ticket == ticket && $0.type == "ticket.created" }) ?? false })
        #expect(try verified(receiver.entries()).ok.allSatisfy { !($0.ticket == ticket && $0.type == "ticket.dispatched") })
    }
}

extension NotifyEndToEndTests {
    /// Off loopback the callback listener speaks TLS only: a signed callback over HTTPS (curl
    /// checking the certificate) is applied; plain HTTP on that port gets nothing.
    @Test func callbacksFromAnotherMachineComeOverTLS() throws {
        let dir = try TemporaryDirectory("gw-notify-tls")
        defer { dir.remove() }
        _ = try runCommand("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=gridwatch-test", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", dir.path("hooks.key"), "-out", dir.path("hooks.crt"),
        ])
        let (daemon, receiver, port, ticket) = try callbackDaemon(dir) { "  hooks_listen: 0.0.0.0:\($0)\n  hooks_tls_cert: hooks.crt\n  hooks_tls_key: hooks.key\n" }
        defer { daemon.stop(); receiver.stop() }
        let key = try #require(StandardWebhooks.key(fromSecret: Self.secret))
        let body = #"{"type": "case.dispatched", "data": {"ticket_id": \#(ticket), "case_number": "TLS-1"}}"#
        let ts = Int64(Date().timeIntervalSince1970)
        let signature = StandardWebhooks.signature(id: "cb_tls", timestamp: ts, body: Array(body.utf8), key: key)
        let answer = try runCommand("/usr/bin/curl", [
            "-sS", "--cacert", dir.path("hooks.crt"), "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
            "-H", "content-type: application/json", "-H", "webhook-id: cb_tls", "-H", "webhook-timestamp: \(ts)",
            "-H", "webhook-signature: \(signature)", "--data-binary", body, "https://127.0.0.1:\(port)/hooks/city",
        ])
        #expect(answer == "200", "\(answer) \(daemon.log)")
        #expect(try daemon.client.get("/v1/tickets/\(ticket)", as: TicketDetail.self).ticket.caseNumber == "TLS-1")
        // Plain HTTP to the TLS port: no HTTP answer at all.
        let plain = try runProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "5", "-X", "POST", "http://127.0.0.1:\(port)/hooks/city"])
        #expect(plain.output.trimmingCharacters(in: .whitespacesAndNewlines) == "000")
    }
}

/// What the store says each ticket's changes were, read back through a daemon started on
/// the same folder (every history line but housekeeping, and every merged alert).
enum DaemonHarnessSnapshot {
    static func tickets(dir: TemporaryDirectory, body: String) -> [(Int64, Int)] {
        guard let daemon = try? DaemonHarness(dir: dir, body: body) else { return [] }
        defer { daemon.stop() }
        _ = try? daemon.client.post("/v1/cameras/walk/disable", body: CameraActionRequest(reason: "count"), as: CameraActionResponse.self)
        return daemon.tickets("limit=1000").tickets.compactMap { t in
            guard let detail = try? daemon.client.get("/v1/tickets/\(t.id)", as: TicketDetail.self) else { return nil }
            let lines = detail.events.filter { !["archived", "evidence_purged"].contains($0.kind) }.count
            return (t.id, lines + (detail.ticket.occurrences ?? 1) - 1)
        }
    }
}
