import ControlClient
import ControlProtocol
import Foundation
import Synchronization
import Testing
import TestSupport

@Suite(.serialized) struct HostileClientTests {
    /// Bad requests get a defined 4xx with a reason, and hundreds of clients at once are all
    /// answered while tickets are being written.
    @Test func badRequestsAreRefusedClearlyAnd500ClientsAtOnceAreAllAnswered() throws {
        let dir = try TemporaryDirectory("gw-hostile")
        defer { dir.remove() }
        try Clips.walkingBox(dir.path("walk.mp4"), seconds: 6, start: 1)
        let daemon = try DaemonHarness(dir: dir, body: loopingWalkerConfig(clip: dir.path("walk.mp4")))
        defer { daemon.stop() }
        #expect(waitUntil(timeout: 60) { daemon.tickets().total >= 1 }, "no ticket: \(daemon.log)")
        let id = try #require(daemon.tickets().tickets.first?.id)
        let client = daemon.client
        func send(_ method: String, _ path: String, _ body: [UInt8]? = nil) throws -> (Int, String) {
            let a = try client.request(method, path, body: body, headers: ["Content-Type": "application/json"])
            return (a.status, String(decoding: a.body, as: UTF8.self))
        }
        let cases: [(String, String, [UInt8]?, Int)] = [
            ("POST", "/v1/tickets/\(id)/acknowledge", Array(repeating: UInt8(ascii: "a"), count: 200_000), 413),
            ("POST", "/v1/tickets/\(id)/acknowledge", Array("{\"note\": ".utf8), 400),
            ("POST", "/v1/tickets/\(id)/acknowledge", Array("[1, 2]".utf8), 400),
            ("POST", "/v1/tickets/\(id)/acknowledge", Array("{\"note\": 5}".utf8), 400),
            ("POST", "/v1/tickets/\(id)/dispatch", Array("{\"asignee\": \"li\"}".utf8), 400),
            // Well formed, but nobody of that name in the ticket's grid: the ticket cannot take it.
            ("POST", "/v1/tickets/\(id)/dispatch", Array("{\"assignee\": \"nobody-here\"}".utf8), 409),
            ("POST", "/v1/tickets/\(id)/dispatch", Array("{\"assignee\": null}".utf8), 400),
            ("POST", "/v1/tickets/\(id)/false_alarm", Array("{\"note\": \" \u{3000}\"}".utf8), 400),
            ("POST", "/v1/tickets/99999999/acknowledge", nil, 404),
            ("POST", "/v1/tickets/-3/acknowledge", nil, 400),
            ("GET", "/v1/tickets/\(id)/../../../etc/passwd", nil, 404),
            ("GET", "/v1/tickets?limit=100000", nil, 400),
            ("GET", "/v1/tickets?since=yesterday", nil, 400),
            ("DELETE", "/v1/tickets/\(id)", nil, 405),
        ]
        for (method, path, body, expected) in cases {
            let (status, reason) = try send(method, path, body)
            #expect(status == expected, "\(method) \(path): \(status) \(reason)")
            #expect(reason.contains("\"reason\""), "\(method) \(path): \(reason)")
        }
        // A client that connects and says nothing holds nothing up.
        let silent = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in dir.path("control.sock").utf8.enumerated() { raw[i] = b }
        }
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(silent, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }

        // 500 clients at once, listing tickets while the camera keeps raising them.
        let answered = Atomic<Int>(0), failed = Mutex<[String]>([])
        let group = DispatchGroup()
        let start = Date()
        for i in 0..<500 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                let c = ControlClient(socketPath: dir.path("control.sock"), timeout: 60)
                do {
                    if i % 2 == 0 {
                        _ = try c.get("/v1/tickets?limit=20", as: TicketList.self)
                    } else {
                        _ = try c.get("/v1/health", as: HealthResponse.self)
                    }
                    answered.add(1, ordering: .relaxed)
                } catch {
                    failed.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(group.wait(timeout: .now() + 120) == .success)
        let seconds = Date().timeIntervalSince(start)
        let failures = failed.withLock { $0 }
        #expect(answered.load(ordering: .relaxed) == 500, "\(failures.prefix(3))")
        print("concurrency: 500 clients, \(answered.load(ordering: .relaxed)) answered, \(failures.count) failed, in \(String(format: "%.2f", seconds)) s")
        // And the daemon is still well.
        #expect((try client.get("/v1/health", as: HealthResponse.self)).camerasStreaming == 1)
    }
}

@Suite struct CtlExitCodeTests {
    /// The documented exit codes: 2 for usage, 3 when the daemon cannot be reached.
    @Test func usageErrorsExit2AndAnUnreachableDaemonExits3() throws {
        func status(_ args: [String]) throws -> Int32 {
            let p = Process()
            p.executableURL = Paths.executable("gridwatchctl")
            p.arguments = args
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            return p.terminationStatus
        }
        #expect(try status(["frobnicate"]) == 2)
        #expect(try status(["dispatch", "7"]) == 2)
        #expect(try status(["--help"]) == 0)
        #expect(try status(["health", "--socket", "/nonexistent/control.sock"]) == 3)
    }
}

/// gridwatchctl says whose fault a failure is, and takes its connection options anywhere.
@Suite(.serialized) struct CtlMessagesTests {
    func ctl(_ args: [String], as user: String? = nil) throws -> (status: Int32, output: String) {
        let exe = Paths.executable("gridwatchctl").path
        guard let user else { return try runProcess(exe, args) }
        // The checkout may sit in a directory only its owner can enter (`mktemp -d` makes
        // them 0700): the other user runs a copy from a directory anyone may enter.
        var template = Array("/tmp/gw-ctl-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        let dir = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        chmod(dir, 0o755)
        // Copied by cp, not in this process: a test forking meanwhile would inherit the
        // copy's open descriptor and running it would fail with "text file busy".
        _ = try runProcess("/bin/cp", [exe, dir + "/gridwatchctl"])
        return try runProcess("/usr/sbin/runuser", ["-u", user, "--", dir + "/gridwatchctl"] + args)
    }

    @Test func socketBeforeTheCommandJSONExportLocalWritesAndPermissions() throws {
        let dir = try TemporaryDirectory("gw-ctl")
        defer { dir.remove() }
        let daemon = try DaemonHarness(dir: dir, body: "grids:\n  - id: g\ncameras: []\n")
        defer { daemon.stop() }
        let sock = dir.path("control.sock")
        // The connection options work before the command as after it.
        let before = try ctl(["--socket", sock, "--json", "health"])
        #expect(before.status == 0 && before.output.contains("\"status\""), "\(before.output)")
        #expect(try ctl(["--socket=\(sock)", "health"]).status == 0)
        #expect(try ctl(["health", "--socket", sock]).status == 0)
        // export --json is JSON (an array of tickets), not CSV.
        let exported = try ctl(["export", "--json", "--socket", sock])
        #expect(exported.status == 0 && exported.output.hasPrefix("["), "\(exported.output)")
        // A backup this machine cannot write is this machine's problem, said before the daemon works.
        let backup = try ctl(["backup", "/nonexistent/x.sqlite", "--socket", sock])
        #expect(backup.status == 1 && backup.output.contains("/nonexistent") && !backup.output.contains("reach"), "\(backup.output)")
        // A user the socket does not admit is told so, not asked whether the daemon runs.
        let denied = try ctl(["health", "--socket", sock], as: "nobody")
        #expect(denied.status == 1 && denied.output.contains("permission denied") && !denied.output.contains("running"), "\(denied.output)")
    }
}

@Suite struct CtlTableWidthTests {
    /// Display cells of `s` (two for a wide character), as a terminal counts them.
    static func cells(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { $0 + ((0x2E80...0xA4CF).contains($1.value) || (0xFF00...0xFF60).contains($1.value) ? 2 : 1) }
    }

    @Test func ticketsFitEightyColumnsWithTheTimeWholeInBothLanguages() throws {
        let dir = try TemporaryDirectory("gw-table")
        defer { dir.remove() }
        _ = try runCommand(Paths.executable("gridwatch-tools").path, ["load-tickets", "--data-dir", dir.path("data"), "--count", "3"])
        let daemon = try DaemonHarness(dir: dir, body: "grids:\n  - id: load-village\n    name: 村\ncameras: []\n")
        defer { daemon.stop() }
        for lang in ["C", "zh_CN.UTF-8"] {
            // A terminal 80 columns wide (script gives it a pty; COLUMNS gives the width).
            let out = try runCommand("/usr/bin/script", ["-qc", "\(Paths.executable("gridwatchctl").path) tickets --socket \(dir.path("control.sock"))", "/dev/null"],
                                     environment: ["LANG": lang, "COLUMNS": "80", "PATH": "/usr/bin:/bin"])
            let lines = out.replacingOccurrences(of: "\r", with: "").split(separator: "\n").map(String.init).filter { !$0.isEmpty }
            #expect(lines.count >= 4, "\(out)")
            for line in lines { #expect(Self.cells(line) <= 80, "\(lang): \(line)") }
            let rows = lines.dropFirst().dropLast()
            #expect(rows.allSatisfy { $0.contains(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/) }, "\(lang): \(out)")
            #expect(rows.allSatisfy { $0.contains("Load test #") }, "\(lang): \(out)")
        }
    }
}

@Suite struct LocalTimeTests {
    /// A daemon in Beijing time on a machine in UTC: tables, filters and CSV all in +08:00.
    @Test func timesAreShownAndReadInTheDaemonsZone() throws {
        let dir = try TemporaryDirectory("gw-tz")
        defer { dir.remove() }
        _ = try runCommand(Paths.executable("gridwatch-tools").path, ["load-tickets", "--data-dir", dir.path("data"), "--count", "4", "--spread-days", "2"])
        let daemon = try DaemonHarness(dir: dir, body: "grids:\n  - id: load-village\n    name: 村\ncameras: []\n",
                                       daemonSection: "  timezone: Asia/Shanghai\n", environment: ["TZ": "UTC", "PATH": "/usr/bin:/bin"])
        defer { daemon.stop() }
        let ctl = Paths.executable("gridwatchctl").path
        let sock = dir.path("control.sock")
        let health = try daemon.client.get("/v1/health", as: HealthResponse.self)
        #expect(health.timezone == "Asia/Shanghai")
        let tickets = daemon.tickets("limit=10").tickets
        let oldest = try #require(tickets.last)
        // The table shows Beijing time.
        let shown = DateFormatter()
        shown.locale = Locale(identifier: "en_US_POSIX")
        shown.timeZone = TimeZone(identifier: "Asia/Shanghai")
        shown.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let text = shown.string(from: oldest.occurredAt)
        let table = try runCommand(ctl, ["tickets", "--socket", sock], environment: ["TZ": "UTC"])
        #expect(table.contains(text), "\(text) not in\n\(table)")
        // Typing back the time the table showed finds that ticket and the newer ones.
        let since = try runCommand(ctl, ["tickets", "--socket", sock, "--since", text, "--json"], environment: ["TZ": "UTC"])
        let list = try ControlAPI.decoder().decode(TicketList.self, from: Data(since.utf8))
        #expect(list.total == tickets.count, "\(since)")
        // CSV carries the offset.
        let csv = try runCommand(ctl, ["export", "--socket", sock], environment: ["TZ": "UTC"])
        #expect(csv.contains("+08:00") && !csv.contains("Z,"), "\(csv.prefix(400))")
    }

    @Test func anUnknownZoneIsAConfigErrorNamingTheLine() throws {
        let yaml = "daemon:\n  timezone: Mars/Olympus\ngrids:\n  - id: g\ncameras: []\n"
        let dir = try TemporaryDirectory("gw-tz-bad")
        defer { dir.remove() }
        try yaml.write(toFile: dir.path("gw.yml"), atomically: true, encoding: .utf8)
        let (status, output) = try runProcess(Paths.executable("gridwatchd").path, ["check-config", dir.path("gw.yml")])
        #expect(status == 78 && output.contains("gw.yml:2") && output.contains("daemon.timezone") && output.contains("Mars/Olympus"), "\(output)")
    }
}
