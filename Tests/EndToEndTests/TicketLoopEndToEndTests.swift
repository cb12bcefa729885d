import ControlClient
import ControlProtocol
import Foundation
import Synchronization
import Testing
import TestSupport

/// A file camera (looping, at real time) in which a box walks into a zone every loop.
func loopingWalkerConfig(clip: String, extra: String = "", purpose: String = "hazard") -> String {
    """
    grids:
      - id: town
        name: 镇
        level: town
        leader: {id: zhou, name: 周敏}
      - id: village
        name: 东村
        parent: town
        leader: {id: wang, name: 王伟}
        workers:
          - {id: li, name: 李娜, phone: "13800000002"}
    tickets:
      check_every: 1s
    \(extra)
    cameras:
    \(walkerCamera(id: "walk", name: "东门", clip: clip, purpose: purpose))
    """
}

/// One entry of `cameras:`: a file camera in grid `village` looping `clip` at real time,
/// with a hazard zone the box walks into (entries and exits alert).
func walkerCamera(id: String, name: String, clip: String, purpose: String = "hazard") -> String {
    """
      - id: \(id)
        name: \(name)
        grid: village
        source: \(clip)
        loop: true
        realtime: true
        zones:
          - id: z1
            name: 河堤
            purpose: \(purpose)
            polygon: [[0.3, 0.5], [0.9, 0.5], [0.9, 0.95], [0.3, 0.95]]
            alert_on: [enter, exit]
            # Every walk-in an alert (the default cooldown, 10 s, would merge several loops).
            cooldown: 0
    """
}

@Suite(.serialized) struct TicketLoopEndToEndTests {
    @Test func operatorsWorkATicketThroughTheSocketAndEveryStepNamesThem() throws {
        let dir = try TemporaryDirectory("gw-loop")
        defer { dir.remove() }
        try Clips.walkingBox(dir.path("walk.mp4"), seconds: 8, start: 1)
        let daemon = try DaemonHarness(dir: dir, body: loopingWalkerConfig(clip: dir.path("walk.mp4")))
        defer { daemon.stop() }
        #expect(waitUntil(timeout: 60) { daemon.tickets().total >= 1 }, "no ticket: \(daemon.log)")
        let id = try #require(daemon.tickets().tickets.last?.id)
        let client = daemon.client

        // The workflow through the API, each step answered with the ticket's new state.
        func act(_ action: String, _ body: ActionRequest = ActionRequest()) throws(ClientError) -> TicketDetail {
            try client.post("/v1/tickets/\(id)/\(action)", body: body, as: TicketDetail.self)
        }
        #expect(try act("acknowledge").ticket.state == .acknowledged)
        let dispatched = try act("dispatch", ActionRequest(note: "去河堤看看", assignee: "li"))
        #expect(dispatched.ticket.state == .dispatched && dispatched.ticket.assignee == "li")
        #expect(try act("start").ticket.state == .inProgress)
        #expect(try act("resolve", ActionRequest(note: "劝离 sent away")).ticket.state == .resolved)
        #expect(try act("verify").ticket.state == .verified)
        let closed = try act("close")
        #expect(closed.ticket.state == .closed && closed.allowedActions == [.reopen])
        _ = try client.post("/v1/tickets/\(id)/notes", body: ActionRequest(note: "月底复查"), as: TicketDetail.self)

        // The caller's identity from the socket is the actor of every step.
        let me = "uid \(getuid())"
        let history = try client.get("/v1/tickets/\(id)", as: TicketDetail.self).events
        #expect(history.map(\.kind) == ["created", "acknowledge", "dispatch", "start", "resolve", "verify", "close", "note"])
        #expect(history.dropFirst().allSatisfy { $0.actor.contains(me) }, "\(history.map(\.actor))")
        #expect(history[0].actor == "gridwatchd")

        // Refusals: the status says why, the reason says what to do.
        func status(_ method: String, _ path: String, _ body: String? = nil) throws -> (Int, String) {
            let answer = try client.request(method, path, body: body.map { Array($0.utf8) }, headers: ["Content-Type": "application/json"])
            return (answer.status, String(decoding: answer.body, as: UTF8.self))
        }
        let (conflict, why) = try status("POST", "/v1/tickets/\(id)/acknowledge")
        #expect(conflict == 409 && why.contains("allowed: reopen"), "\(why)")
        #expect(try status("POST", "/v1/tickets/\(id)/reopen").0 == 400)
        #expect(try status("POST", "/v1/tickets/\(id)/reopen", "{not json").0 == 400)
        #expect(try status("POST", "/v1/tickets/\(id)/explode").0 == 404)
        #expect(try status("POST", "/v1/tickets/999999/acknowledge").0 == 404)
        #expect(try status("GET", "/v1/tickets?overdue=maybe").0 == 400)
        #expect(try status("GET", "/v1/tickets?colour=red").0 == 400)
        #expect(try status("GET", "/v1/stats?by=planet").0 == 400)
        #expect(try client.get("/v1/tickets/\(id)", as: TicketDetail.self).events.count == 8)

        // The CLI: a refused action exits 1 with the daemon's reason.
        let ctl = Paths.executable("gridwatchctl").path
        let env = ["GRIDWATCH_SOCKET": dir.path("control.sock")]
        let refused = Process()
        refused.executableURL = URL(fileURLWithPath: ctl)
        refused.arguments = ["close", "\(id)"]
        refused.environment = env
        let errPipe = Pipe()
        refused.standardError = errPipe
        refused.standardOutput = FileHandle.nullDevice
        try refused.run()
        refused.waitUntilExit()
        let stderr = String(decoding: errPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(refused.terminationStatus == 1 && stderr.contains("409"), "\(stderr)")
        let reopened = try runCommand(ctl, ["reopen", "\(id)", "--note", "又来了"], environment: env)
        #expect(reopened.contains("reopened"), "\(reopened)")

        // Reports: statistics and the CSV export.
        let stats = try client.get("/v1/stats?period=day&by=rule", as: StatsResponse.self)
        #expect(stats.total.raised >= 1 && stats.groups.contains { $0.key == "walk/z1/zone_enter" })
        let csv = try client.getBytes("/v1/tickets?format=csv")
        #expect(Array(csv.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let lines = String(decoding: csv.dropFirst(3), as: UTF8.self).split(separator: "\r\n")
        #expect(lines.first?.hasPrefix("id,occurred_at,created_at,state") == true)
        #expect(lines.count == daemon.tickets().total + 1)
        let table = try runCommand(ctl, ["stats", "--period", "day", "--by", "grid"], environment: env.merging(["LANG": "zh_CN.UTF-8"]) { $1 })
        #expect(table.contains("village") && table.contains("合计") && table.contains("按时办结"), "\(table)")
    }

    /// A live screen that loses its connection and resumes with Last-Event-ID receives
    /// exactly the changes it missed: the same ids, in the same order, as a screen that
    /// stayed connected.
    @Test func repeatAlertsKeepTheirTimesAndAPictureOnlyWhenItAddsSomething() throws {
        let dir = try TemporaryDirectory("gw-evidence")
        defer { dir.remove() }
        // A box walks in every 4 s: a busy rule, repeats merged into one open ticket.
        try Clips.walkingBox(dir.path("walk.mp4"), seconds: 4, start: 0)
        // An intrusion zone: its tracks merge into one ticket (a hazard zone's would each
        // have their own).
        let body = loopingWalkerConfig(clip: dir.path("walk.mp4"), purpose: "intrusion")
        func enterTicket(_ daemon: DaemonHarness) -> TicketSummary? {
            daemon.tickets("limit=100").tickets.first { $0.kind == "zone_enter" }
        }
        func jpegFiles() -> Int {
            let files = FileManager.default.enumerator(atPath: dir.path("data/snapshots"))?.allObjects as? [String] ?? []
            return files.filter { $0.hasSuffix(".jpg") }.count
        }
        var daemon = try DaemonHarness(dir: dir, body: body)
        #expect(waitUntil(timeout: 60) { (enterTicket(daemon)?.occurrences ?? 0) >= 4 }, "no repeats: \(daemon.log)")
        let ticket = try #require(enterTicket(daemon))
        let list = try daemon.client.get("/v1/tickets/\(ticket.id)/occurrences", as: OccurrenceList.self)
        #expect(list.ticketId == ticket.id && list.occurrences.count >= 3)
        // Repeats seconds apart add nothing: times and tracks kept, no picture each.
        #expect(list.occurrences.allSatisfy { !$0.hasSnapshot }, "\(list.occurrences)")
        #expect(Set(list.occurrences.compactMap(\.trackId)).count >= 2)
        #expect(ticket.hasSnapshot)
        let tickets = daemon.tickets("limit=100").tickets
        #expect(jpegFiles() == tickets.filter(\.hasSnapshot).count, "one picture per ticket, not per repeat")
        let none = try daemon.client.request("GET", "/v1/tickets/\(ticket.id)/occurrences/\(list.occurrences[0].id)/snapshot")
        #expect(none.status == 404 && String(decoding: none.body, as: UTF8.self).contains("kept no snapshot"))
        let missing = try daemon.client.request("GET", "/v1/tickets/\(ticket.id)/occurrences/999999/snapshot")
        #expect(missing.status == 404)
        let bad = try daemon.client.request("GET", "/v1/tickets/\(ticket.id)/occurrences/x1/snapshot")
        #expect(bad.status == 400)

        // After a restart the daemon does not know what the open ticket holds: its first
        // repeat keeps a picture, served as that occurrence's snapshot.
        daemon.stop()
        daemon = try DaemonHarness(dir: dir, body: body)
        defer { daemon.stop() }
        var pictured: OccurrenceInfo?
        #expect(waitUntil(timeout: 60) {
            pictured = (try? daemon.client.get("/v1/tickets/\(ticket.id)/occurrences", as: OccurrenceList.self))?.occurrences.first(where: \.hasSnapshot)
            return pictured != nil
        }, "no pictured repeat after the restart: \(daemon.log)")
        let jpeg = try daemon.client.getBytes("/v1/tickets/\(ticket.id)/occurrences/\(try #require(pictured).id)/snapshot")
        #expect(jpeg.prefix(2) == [0xFF, 0xD8])
    }

    @Test func aResumingEventClientMissesNothing() throws {
        let dir = try TemporaryDirectory("gw-sse")
        defer { dir.remove() }
        try Clips.walkingBox(dir.path("walk.mp4"), seconds: 6, start: 1)
        let daemon = try DaemonHarness(dir: dir, body: loopingWalkerConfig(clip: dir.path("walk.mp4")))
        defer { daemon.stop() }
        #expect(waitUntil(timeout: 60) { daemon.tickets().total >= 1 }, "no ticket: \(daemon.log)")
        let id = try #require(daemon.tickets().tickets.last?.id)
        let socket = dir.path("control.sock")
        @Sendable func live(_ e: ServerSentEvent) -> LiveEvent? { try? ControlAPI.decoder().decode(LiveEvent.self, from: Data(e.data.utf8)) }
        let isTheNote: @Sendable (LiveEvent) -> Bool = { e in e.change == "note" && e.ticket?.id == id }

        // Screen A stays connected until it has seen the note below.
        let seenByA = Mutex<[Int64]>([])
        let aDone = DispatchSemaphore(value: 0)
        let aConnected = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var first = true
            try? ControlClient(socketPath: socket).follow("/v1/events") { event in
                if first { first = false; aConnected.signal() }
                guard let e = live(event) else { return true }
                seenByA.withLock { $0.append(e.id) }
                return !isTheNote(e)
            }
            aDone.signal()
        }
        // Screen B takes one change and drops the connection.
        var lastB: Int64?
        try ControlClient(socketPath: socket).follow("/v1/events") { event in
            guard let e = live(event) else { return true }
            lastB = e.id
            return false
        }
        #expect(aConnected.wait(timeout: .now() + 30) == .success)
        let since = try #require(lastB)
        // While B is away: people act on the ticket (and the camera keeps reporting).
        let client = daemon.client
        _ = try client.post("/v1/tickets/\(id)/acknowledge", body: ActionRequest(), as: TicketDetail.self)
        _ = try client.post("/v1/tickets/\(id)/dispatch", body: ActionRequest(assignee: "li"), as: TicketDetail.self)
        _ = try client.post("/v1/tickets/\(id)/notes", body: ActionRequest(note: "回来看看"), as: TicketDetail.self)
        // B comes back with its last id.
        var resumed: [LiveEvent] = []
        try ControlClient(socketPath: socket).follow("/v1/events", lastEventID: String(since)) { event in
            #expect(event.event != "reset")
            guard let e = live(event) else { return true }
            resumed.append(e)
            return !isTheNote(e)
        }
        #expect(aDone.wait(timeout: .now() + 30) == .success)
        let a = seenByA.withLock { $0 }.filter { $0 > since }
        #expect(resumed.map(\.id) == a, "resumed \(resumed.map(\.id)) vs stayed \(a)")
        #expect(resumed.map(\.id) == resumed.map(\.id).sorted() && Set(resumed.map(\.id)).count == resumed.count)
        let changes = resumed.filter { $0.ticket?.id == id }.compactMap(\.change).filter { $0 != "occurrence" }
        #expect(changes == ["acknowledge", "dispatch", "note"], "\(changes)")
        #expect(resumed.first { $0.change == "dispatch" }?.actor?.contains("uid \(getuid())") == true)
    }

    /// A full disk: ticket writing fails loudly, health says degraded, analysis goes on,
    /// and when space is back the kept alerts are written; nothing stored is damaged.
    @Test func aFullDiskDegradesAndRecoversWithoutLosingAlerts() throws {
        let dir = try TemporaryDirectory("gw-full")
        defer { dir.remove() }
        try Clips.walkingBox(dir.path("walk.mp4"), seconds: 6, start: 1)
        try FileManager.default.createDirectory(atPath: dir.path("data"), withIntermediateDirectories: true)
        // A small file system of its own for the data folder.
        _ = try runCommand("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", dir.path("data")])
        defer { _ = try? runCommand("/usr/bin/umount", ["-l", dir.path("data")]) }
        let daemon = try DaemonHarness(dir: dir, body: loopingWalkerConfig(clip: dir.path("walk.mp4")))
        defer { daemon.stop() }
        let client = daemon.client
        func health() -> HealthResponse? { try? client.get("/v1/health", as: HealthResponse.self) }
        func occurrences() -> Int { daemon.tickets().tickets.reduce(0) { $0 + ($1.occurrences ?? 1) } }
        #expect(waitUntil(timeout: 60) { daemon.tickets().total >= 1 }, "no ticket: \(daemon.log)")

        // Fill the disk.
        let filler = dir.path("data/filler")
        _ = try? runCommand("/usr/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=64k"])
        let before = occurrences()
        #expect(waitUntil(timeout: 60) { health()?.store == "failing" && (health()?.storePending ?? 0) >= 2 }, "never failed: \(daemon.log)")
        let failing = try #require(health())
        #expect(failing.status == "degraded")
        #expect(failing.storeError?.isEmpty == false)
        #expect(daemon.log.contains("ticket writes failing"))
        // Analysis goes on while the store cannot write.
        let analysed = daemon.camera("walk")?.framesAnalysed ?? 0
        #expect(waitUntil(timeout: 20) { (daemon.camera("walk")?.framesAnalysed ?? 0) > analysed + 20 })
        let pending = failing.storePending ?? 0

        // Space again: the kept alerts are written, health is ok again.
        try FileManager.default.removeItem(atPath: filler)
        #expect(waitUntil(timeout: 30) { health()?.store == "ok" && health()?.storePending == 0 }, "never recovered: \(daemon.log)")
        #expect(occurrences() >= before + pending)
        #expect(daemon.log.contains("ticket writes recovered"))
        daemon.stop()
        let check = try runCommand("/usr/bin/sqlite3", [dir.path("data/gridwatch.sqlite"), "PRAGMA integrity_check"])
        #expect(check.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
    }

    /// `gridwatchctl backup` while the daemon runs and writes tickets: a complete, consistent
    /// SQLite file arrives, and nothing is left in the data folder.
    @Test func aBackupWhileTicketsAreWrittenIsAConsistentCopy() throws {
        let dir = try TemporaryDirectory("gw-backup")
        defer { dir.remove() }
        try Clips.walkingBox(dir.path("walk.mp4"), seconds: 6, start: 1)
        let daemon = try DaemonHarness(dir: dir, body: loopingWalkerConfig(clip: dir.path("walk.mp4")))
        defer { daemon.stop() }
        #expect(waitUntil(timeout: 60) { daemon.tickets().total >= 1 }, "no ticket: \(daemon.log)")
        let out = try runCommand(Paths.executable("gridwatchctl").path, ["backup", dir.path("copy.sqlite"), "--socket", dir.path("control.sock")],
                                 environment: ["LANG": "C.UTF-8"])
        #expect(out.contains("backed up to"), "\(out)")
        let check = try runCommand("/usr/bin/sqlite3", [dir.path("copy.sqlite"), "PRAGMA integrity_check"])
        #expect(check.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
        let copied = Int(try runCommand("/usr/bin/sqlite3", [dir.path("copy.sqlite"), "SELECT count(*) FROM tickets"])
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        #expect(copied >= 1 && copied <= daemon.tickets().total)
        let events = try runCommand("/usr/bin/sqlite3", [dir.path("copy.sqlite"), "SELECT count(*) FROM ticket_events"])
        #expect((Int(events.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= copied)
        #expect(!FileManager.default.fileExists(atPath: dir.path("copy.sqlite.partial")))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path("data")).filter { $0.hasPrefix("backup-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        #expect(daemon.log.contains("backup"))
    }
}
