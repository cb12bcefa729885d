import ControlClient
import ControlProtocol
import Foundation
import Testing
import TestSupport

/// Every gridwatchctl command, its help and its refusals, run in Chinese against a real
/// daemon holding real tickets (a hazard zone entered on a file camera, a dead RTSP camera's
/// offline ticket, a ticket worked round the loop, dispatched, escalated, reopened, a false
/// alarm): any English word on screen that is not a name the user typed or must type fails.
@Suite(.serialized) struct ChineseCLIEndToEndTests {
    /// English words allowed in Chinese output: what the user types (commands, options,
    /// codes shown beside their Chinese), technical names, and this fixture's own ids and paths.
    static let allowed: Set<String> = [
        // Names of programs, formats, protocols and units
        "gridwatchctl", "gridwatchd", "json", "csv", "jpeg", "utf", "rfc", "sqlite", "kib", "rtsp", "ffmpeg", "sudo", "pid", "id", "ids", "fps",
        "http", "api", "yaml", "mp", "h", "x", "s", "m", "p", "ok",
        // Configuration keys the text names
        "daemon", "socket_group", "roles", "gridwatch_socket", "run", "control", "sock",
        // What the user types: subcommands, API codes shown beside their Chinese
        "help", "health", "cameras", "camera", "enable", "disable", "config", "check", "reload", "backup", "tickets", "ticket", "snapshot", "clip",
        "ack", "dispatch", "escalate", "start", "resolve", "verify", "close", "false", "alarm", "reopen", "note", "supervision", "stats",
        "export", "people", "watch", "new", "acknowledged", "dispatched", "in_progress", "resolved", "verified", "closed", "false_alarm",
        "reopened", "intrusion", "corrections", "hazard", "camera_offline", "camera_tamper", "fire_smoke", "grid", "category", "rule", "hour", "day", "week", "month", "year",
        "acknowledge", "subcommand", "occurrence", "notify", "list", "retry", "drop", "event_id", "notify_", "webhook", "wecom", "dingtalk", "exec",
        "console", "user", "add", "passwd", "viewer", "operator", "admin", "zh", "en", "nodes", "node", "drain", "undrain", "forget", "postgresql", "cpu",
        // This fixture's ids, names and files
        "walk", "walk2", "dead", "village", "town", "li", "wang", "zhou", "z1", "root", "uid", "gid", "walk.mp4", "tmp", "gw", "cli", "out", "jpg",
        "backup.db", "db", "partial",
    ]

    /// Words of `text` in Latin letters that are neither allowed nor part of an option
    /// (`--state`), a placeholder (`<id>`), a path, an identifier with digits (`z1`,
    /// `2026-W48`) or a value the user typed, quoted back ('nonsense').
    static func untranslated(_ text: String) -> [String] {
        var found: [String] = []
        // What the user typed, quoted back in a refusal.
        let unquoted = text.replacingOccurrences(of: #"'[^'\n]*'"#, with: " ", options: .regularExpression)
        let opening = CharacterSet(charactersIn: "\"（(：:，、[")
        for line in unquoted.split(whereSeparator: \.isNewline) {
            for token in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "：" }) {
                let t = String(String.UnicodeScalarView(token.unicodeScalars.drop(while: { opening.contains($0) })))
                if t.hasPrefix("-") || t.contains("/") || t.hasPrefix("<") || t.hasPrefix("$") { continue }
                let wordCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_"))
                for word in t.components(separatedBy: wordCharacters.inverted) {
                    let ascii = String(String.UnicodeScalarView(word.unicodeScalars.filter { $0.isASCII }))
                    guard ascii.unicodeScalars.contains(where: { CharacterSet.letters.contains($0) }),
                          !ascii.unicodeScalars.contains(where: { CharacterSet.decimalDigits.contains($0) }) else { continue }
                    if !allowed.contains(ascii.lowercased()) { found.append(ascii) }
                }
            }
        }
        return found
    }

    @Test func everyCommandSpeaksChinese() throws {
        let dir = try TemporaryDirectory("gw-cli")
        defer { dir.remove() }
        try Clips.walkingBox(dir.path("walk.mp4"), seconds: 8, start: 1)
        let deadPort = freePort()
        // Entries and exits of two cameras: four hazard tickets (repeats merge into them).
        let body = loopingWalkerConfig(clip: dir.path("walk.mp4")) + "\n" + walkerCamera(id: "walk2", name: "北门", clip: dir.path("walk.mp4")) + """

              - id: dead
                name: 西门
                grid: village
                source: rtsp://admin:s3cret@127.0.0.1:\(deadPort)/live
                offline_after: 2
                open_timeout: 1
                reconnect_min: 0.3
                reconnect_max: 1
            """
        let daemon = try DaemonHarness(dir: dir, body: body)
        defer { daemon.stop() }
        #expect(waitUntil(timeout: 60) { daemon.tickets("category=hazard").total >= 3 && daemon.tickets("category=camera_offline").total >= 1 },
                "\(daemon.log)")
        let hazards = daemon.tickets("category=hazard").tickets.map(\.id).sorted()
        let offline = try #require(daemon.tickets("category=camera_offline").tickets.first?.id)
        let (a, b, c) = (hazards[0], hazards[1], hazards[2])

        let ctl = Paths.executable("gridwatchctl").path
        let socket = dir.path("control.sock")
        let env = ["LANG": "zh_CN.UTF-8", "GRIDWATCH_SOCKET": socket, "PATH": "/usr/bin:/bin", "COLUMNS": "200"]
        var seen: [String: [String]] = [:]
        func run(_ args: [String], status expected: Int32 = 0) throws -> String {
            let (status, output) = try runProcess(ctl, args, environment: env)
            #expect(status == expected, "\(args.joined(separator: " ")) exited \(status): \(output)")
            let words = Self.untranslated(output)
            if !words.isEmpty { seen[args.joined(separator: " ")] = words }
            #expect(!output.contains("s3cret"), "\(args): \(output)")
            return output
        }

        // Help: the program's, each command's, and `help <command>`.
        let top = try run(["--help"])
        #expect(top.contains("用法") && top.contains("子命令"), "\(top)")
        let commands = ["health", "cameras", "camera", "camera-snapshot", "enable", "disable", "config", "check-config", "reload", "backup",
                        "tickets", "ticket", "snapshot", "ack", "dispatch", "escalate", "start", "resolve", "verify", "close", "false-alarm",
                        "reopen", "note", "supervision", "stats", "export", "people", "watch", "notify"]
        for command in commands {
            _ = try run([command, "--help"])
        }
        for sub in ["list", "retry", "drop", "enable"] {
            _ = try run(["notify", sub, "--help"])
        }
        #expect(try run(["notify"]).contains("没有配置推送目标"))
        _ = try run(["help", "tickets"])

        // The closed loop, each step in Chinese.
        _ = try run(["ack", "\(a)"])
        let dispatched = try run(["dispatch", "\(a)", "--to", "li", "--note", "请到河堤查看"])
        #expect(dispatched.contains("已派单"), "\(dispatched)")
        _ = try run(["start", "\(a)"])
        _ = try run(["resolve", "\(a)", "--note", "已劝离"])
        _ = try run(["verify", "\(a)"])
        _ = try run(["close", "\(a)"])
        _ = try run(["reopen", "\(a)", "--note", "又有人来"])
        _ = try run(["note", "\(a)", "晚上再看一次"])
        _ = try run(["escalate", "\(b)", "--note", "需要镇里协调"])
        _ = try run(["false-alarm", "\(c)", "--note", "树影"])
        for id in [a, b, c, offline] {
            let shown = try run(["ticket", "\(id)"])
            #expect(shown.contains("处理记录"), "\(shown)")
        }
        // The daemon's own notes (who it went to, which grid) read in Chinese too.
        let detail = try run(["ticket", "\(a)"])
        #expect(detail.contains("派给 李娜") && detail.contains("退回重办"), "\(detail)")

        // Lists, statistics, people, cameras, configuration.
        for args in [["health"], ["cameras"], ["camera", "walk"], ["camera", "dead"], ["tickets"], ["tickets", "--open"], ["supervision"],
                     ["people"], ["config"], ["check-config"], ["console-user"], ["console-user", "add", "--help"]] {
            _ = try run(args)
        }
        for by in ["grid", "camera", "category", "rule", "hour", "day", "week", "month"] {
            _ = try run(["stats", "--period", "day", "--by", by])
        }
        let dead = try run(["camera", "dead"])
        #expect(dead.contains("连接被拒绝"), "\(dead)")
        _ = try run(["snapshot", "\(b)", "-o", dir.path("b.jpg")])
        _ = try run(["camera-snapshot", "walk", "-o", dir.path("walk.jpg")])
        _ = try run(["export", "-o", dir.path("out.csv")])
        _ = try run(["backup", dir.path("backup.db")])
        _ = try run(["disable", "walk", "--reason", "检修"])
        _ = try run(["enable", "walk"])

        // Refusals and usage errors.
        _ = try run(["close", "\(b)"], status: 1)
        _ = try run(["ticket", "99999"], status: 1)
        _ = try run(["snapshot", "\(offline)", "-o", dir.path("x.jpg")], status: 1)
        _ = try run(["tickets", "--state", "nonsense"], status: 1)
        _ = try run(["dispatch", "\(b)"], status: 2)
        _ = try run(["ticket"], status: 2)
        _ = try run(["tickets", "--bogus"], status: 2)
        _ = try run(["backup", "/nonexistent/x.db"], status: 1)
        let (status, unreachable) = try runProcess(ctl, ["health", "--socket", dir.path("nothing.sock")], environment: env)
        #expect(status == 3 && unreachable.contains("无法连接"), "\(unreachable)")
        #expect(Self.untranslated(unreachable).isEmpty, "\(unreachable)")

        // watch: the first change it prints, in Chinese.
        let watcher = try ChildProcess(ctl, ["watch"], environment: env, logPath: dir.path("watch.log"))
        defer { watcher.stop() }
        // Noted until the watcher shows it (it may not be subscribed yet the first time).
        var watched: [String] = []
        for _ in 0..<20 where watched.last?.contains("备注") != true {
            _ = try daemon.client.post("/v1/tickets/\(b)/notes", body: ActionRequest(note: "看一下"), as: TicketDetail.self)
            while watched.last?.contains("备注") != true, let line = watcher.readLine(timeout: 1) { watched.append(line) }
        }
        #expect(watched.last?.contains("工单") == true && watched.last?.contains("备注") == true, "\(watched)")
        for line in watched { #expect(Self.untranslated(line).isEmpty, "watch: \(Self.untranslated(line)) in \(line)") }

        #expect(seen.isEmpty, "untranslated words: \(seen.map { "\($0.key): \($0.value)" }.sorted().joined(separator: "\n"))")
    }

    @Test func theCheckerFindsEnglish() {
        #expect(Self.untranslated("状态：ok  工单 3 张") == [])
        #expect(Self.untranslated("事件：zone_enter") == ["zone_enter"])
        #expect(Self.untranslated("超时 acknowledge due") == ["due"])
        #expect(Self.untranslated("  --state <state>  只看此状态（待签收 new）") == [])
        #expect(Self.untranslated("错误：Connection refused") == ["Connection", "refused"])
        #expect(Self.untranslated("没有状态 'nonsense'（可用：待签收 new）  z1  2026-W48") == [])
    }
}
