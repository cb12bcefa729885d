import ArgumentParser
import ControlClient
import ControlProtocol
import Foundation

/// Exit codes: 0 ok, 1 refused or invalid, 2 usage, 3 daemon unreachable.
enum Exit {
    static let refused = ExitCode(1)
    static let unreachable = ExitCode(3)
}

struct Connection: ParsableArguments {
    @Option(name: .long, help: "Control socket of gridwatchd (default: $GRIDWATCH_SOCKET or /run/gridwatch/control.sock).")
    var socket: String?

    @Flag(name: .long, help: "Print the daemon's JSON answer instead of a table.")
    var json = false

    var client: ControlClient {
        ControlClient(socketPath: socket ?? ProcessInfo.processInfo.environment["GRIDWATCH_SOCKET"] ?? ControlAPI.defaultSocketPath)
    }

    /// Run `body`, turning client errors into a message and the documented exit code.
    func call<T>(_ body: (ControlClient) throws(ClientError) -> T) throws -> T {
        do {
            return try body(client)
        } catch let error {
            switch error {
            case let .unreachable(path, reason):
                printError("无法连接 gridwatchd / cannot reach gridwatchd at \(path): \(reason). Is the daemon running? 守护进程是否在运行？")
                throw Exit.unreachable
            case let .refused(status, reason):
                printError("请求被拒绝 / refused (\(status)): \(reason)")
                throw Exit.refused
            case let .badResponse(why):
                printError("应答无法读取 / unreadable answer: \(why)")
                throw Exit.refused
            }
        }
    }

    func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = ControlAPI.encoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("gridwatchctl: \(message)\n".utf8))
}

func shortTime(_ date: Date?) -> String {
    guard let date else { return "-" }
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.dateFormat = "yyyy-MM-dd HH:mm:ss"
    return f.string(from: date)
}

@main
struct GridwatchCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gridwatchctl",
        abstract: "Talk to gridwatchd over its control socket. 网格视频巡查控制工具。",
        version: "0.1.0",
        subcommands: [
            Health.self, Cameras.self, Tickets.self, ShowTicket.self, Snapshot.self,
            Acknowledge.self, Dispatch.self, Escalate.self, Start.self, Resolve.self, Verify.self, Close.self,
            FalseAlarm.self, Reopen.self, Note.self, Supervision.self, Stats.self, Export.self, People.self, Watch.self,
        ])

    /// As ArgumentParser's own entry point, except that usage errors exit 2 (the documented
    /// code) instead of 64.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Daemon health. 守护进程状态。")
    @OptionGroup var connection: Connection

    func run() throws {
        let health = try connection.call { c throws(ClientError) in try c.get("/v1/health", as: HealthResponse.self) }
        if connection.json { return try connection.printJSON(health) }
        print("状态 status:      \(health.status)")
        print("版本 version:     \(health.version)")
        print("启动 started:     \(shortTime(health.startedAt))")
        print("摄像头 cameras:   \(health.camerasStreaming)/\(health.camerasTotal) streaming")
        print("工单 tickets:     \(health.ticketsTotal)\(health.ticketsOverdue.map { ", \($0) 超时督办 overdue" } ?? "")")
        if let store = health.store {
            print("存储 store:       \(store)\(health.storeError.map { " (\($0); \(health.storePending ?? 0) 待写入 pending)" } ?? "")")
        }
    }
}

struct Cameras: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cameras and their state. 摄像头及其状态。")
    @OptionGroup var connection: Connection

    func run() throws {
        let list = try connection.call { c throws(ClientError) in try c.get("/v1/cameras", as: CameraList.self) }
        if connection.json { return try connection.printJSON(list) }
        var table = Table(headers: ["ID", "名称 NAME", "网格 GRID", "状态 STATE", "SIZE", "CODEC", "IN FPS", "ANA FPS", "DECODED", "ANALYSED", "DROPPED", "ERRORS", "RECONN", "LAST FRAME", "SOURCE"])
        for c in list.cameras {
            let size = c.width.map { "\($0)x\(c.height ?? 0)" } ?? "-"
            table.rows.append([
                c.id, c.name, c.gridId, c.state, size, c.codec ?? "-", String(format: "%.1f", c.inputFps), String(format: "%.1f", c.analysedFps),
                "\(c.framesDecoded)", "\(c.framesAnalysed)", "\(c.framesDropped)", "\(c.decodeErrors)", "\(c.reconnects)", shortTime(c.lastFrameAt), c.source,
            ])
        }
        print(table.render())
        for c in list.cameras {
            if let r = c.record {
                print("\(c.id) 录像流 record: \(r.state) \(r.codec ?? "-") \(r.width.map { "\($0)x\(r.height ?? 0)" } ?? "-"), \(String(format: "%.1f", r.bufferedSeconds)) s buffered (\(r.bufferedBytes / 1024) KiB), \(r.source)\(r.lastError.map { ", last error: \($0)" } ?? "")")
            }
            if let since = c.offlineSince { print("\(c.id) 离线 offline since \(shortTime(since))") }
            if let e = c.lastError { print("\(c.id) 最近错误 last error: \(e)") }
        }
    }
}

/// Filters shared by `tickets` and `export`.
struct TicketFilters: ParsableArguments {
    @Option(help: "Only tickets in this state (new, acknowledged, dispatched, in_progress, resolved, verified, closed, false_alarm, reopened).") var state: String?
    @Flag(help: "Only open tickets (not closed, not false alarms).") var open = false
    @Option(help: "Only tickets of this camera.") var camera: String?
    @Option(help: "Only tickets of this zone.") var zone: String?
    @Option(help: "Only tickets of this grid.") var grid: String?
    @Option(help: "Only this category (intrusion, corrections, hazard, camera_offline).") var category: String?
    @Flag(help: "Only tickets past a deadline.") var overdue = false
    @Flag(name: .customLong("repeat"), help: "Only tickets flagged as repeat problems.") var repeatProblem = false
    @Option(help: "Occurred at or after (YYYY-MM-DD or ISO 8601).") var since: String?
    @Option(help: "Occurred before (YYYY-MM-DD or ISO 8601).") var until: String?
    @Option(name: .customLong("text"), help: "Words in the title.") var text: String?
    @Flag(help: "Include archived tickets.") var archived = false

    var items: [URLQueryItem] {
        var items: [URLQueryItem] = []
        func add(_ name: String, _ value: String?) { if let value { items.append(URLQueryItem(name: name, value: value)) } }
        add("state", state)
        add("camera", camera)
        add("zone", zone)
        add("grid", grid)
        add("category", category)
        add("since", since)
        add("until", until)
        add("q", text)
        if open { add("open", "1") }
        if overdue { add("overdue", "1") }
        if repeatProblem { add("repeat", "1") }
        if archived { add("archived", "1") }
        return items
    }
}

func path(_ base: String, _ items: [URLQueryItem]) -> String {
    var components = URLComponents()
    components.path = base
    components.queryItems = items.isEmpty ? nil : items
    // '+' in a time zone offset must not read as a space.
    return (components.string ?? base).replacingOccurrences(of: "+", with: "%2B")
}

func printTicketTable(_ list: TicketList) {
    var table = Table(headers: ["ID", "时间 TIME", "状态 STATE", "级别 SEV", "类别 CATEGORY", "摄像头 CAMERA", "区域/线 ZONE/LINE", "网格 GRID", "次数 N", "督办 DUE", "处理人 ASSIGNEE", "标题 TITLE"])
    for t in list.tickets {
        let due = (t.overdue ?? []).isEmpty ? "-" : "超时 " + (t.overdue ?? []).joined(separator: "+")
        table.rows.append([
            "\(t.id)", shortTime(t.occurredAt), t.state.rawValue, t.severity.rawValue, t.category.rawValue, t.cameraId,
            t.zoneId ?? t.tripwireId ?? "-", t.gridId, "\(t.occurrences ?? 1)", due, t.assignee ?? "-", t.title,
        ])
    }
    print(table.render())
    print("\(list.tickets.count) / \(list.total) 张工单 tickets")
}

struct Tickets: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List tickets, newest first. 列出工单。")
    @OptionGroup var connection: Connection
    @OptionGroup var filters: TicketFilters
    @Option(help: "At most this many (1-1000).") var limit = 50
    @Option(help: "Skip this many (for the next page).") var offset = 0

    func run() throws {
        let p = path("/v1/tickets", filters.items + [URLQueryItem(name: "limit", value: "\(limit)"), URLQueryItem(name: "offset", value: "\(offset)")])
        let list = try connection.call { c throws(ClientError) in try c.get(p, as: TicketList.self) }
        if connection.json { return try connection.printJSON(list) }
        printTicketTable(list)
    }
}

struct Supervision: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Open tickets past a deadline (督办 supervision list). 超时督办清单。")
    @OptionGroup var connection: Connection

    func run() throws {
        let list = try connection.call { c throws(ClientError) in try c.get("/v1/supervision", as: TicketList.self) }
        if connection.json { return try connection.printJSON(list) }
        printTicketTable(list)
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tickets as CSV (UTF-8), for reports. 导出工单 CSV。")
    @OptionGroup var connection: Connection
    @OptionGroup var filters: TicketFilters
    @Option(name: .shortAndLong, help: "Write here instead of standard output.") var output: String?

    func run() throws {
        let p = path("/v1/tickets", filters.items + [URLQueryItem(name: "format", value: "csv")])
        let bytes = try connection.call { c throws(ClientError) in try c.getBytes(p) }
        try writeOut(bytes, to: output)
    }
}

func writeOut(_ bytes: [UInt8], to output: String?) throws {
    guard let output else {
        FileHandle.standardOutput.write(Data(bytes))
        return
    }
    do {
        try Data(bytes).write(to: URL(fileURLWithPath: output))
    } catch {
        printError("无法写入 / cannot write \(output): \(error.localizedDescription)")
        throw Exit.refused
    }
    print(output)
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Ticket statistics the towns report. 工单统计。")
    @OptionGroup var connection: Connection
    @Option(help: "day, week, month or year, ending now.") var period = "week"
    @Option(help: "Group by grid, camera, category, rule, hour, day, week or month.") var by = "category"
    @Option(help: "From (YYYY-MM-DD or ISO 8601), instead of the period.") var since: String?
    @Option(help: "Until (YYYY-MM-DD or ISO 8601).") var until: String?
    @Flag(help: "CSV instead of a table.") var csv = false
    @Option(name: .shortAndLong, help: "With --csv: write here.") var output: String?

    func run() throws {
        var items = [URLQueryItem(name: "period", value: period), URLQueryItem(name: "by", value: by)]
        if let since { items.append(URLQueryItem(name: "since", value: since)) }
        if let until { items.append(URLQueryItem(name: "until", value: until)) }
        if csv {
            let p = path("/v1/stats", items + [URLQueryItem(name: "format", value: "csv")])
            let bytes = try connection.call { c throws(ClientError) in try c.getBytes(p) }
            return try writeOut(bytes, to: output)
        }
        let p = path("/v1/stats", items)
        let stats = try connection.call { c throws(ClientError) in try c.get(p, as: StatsResponse.self) }
        if connection.json { return try connection.printJSON(stats) }
        print("统计 Statistics \(shortTime(stats.since)) — \(shortTime(stats.until)), by \(stats.by.rawValue)")
        func pct(_ n: Int, _ of: Int) -> String { of == 0 ? "-" : String(format: "%.0f%%", 100 * Double(n) / Double(of)) }
        func dur(_ s: Double?) -> String {
            guard let s else { return "-" }
            return s < 120 ? String(format: "%.0fs", s) : s < 7200 ? String(format: "%.0fm", s / 60) : String(format: "%.1fh", s / 3600)
        }
        var table = Table(headers: [stats.by.rawValue.uppercased(), "上报 RAISED", "按时签收 ACK ON TIME", "按时办结 CLOSED ON TIME", "办结率 DONE",
                                    "误报率 FALSE", "重复 REPEAT", "超时 OVERDUE", "签收 ACK mean/p90", "办结 CLOSE mean/p90"])
        for g in stats.groups + [stats.total] {
            table.rows.append([
                g.key == "total" ? "合计 total" : g.key, "\(g.raised)", "\(g.acknowledgedOnTime) (\(pct(g.acknowledgedOnTime, g.raised)))",
                "\(g.closedOnTime) (\(pct(g.closedOnTime, g.raised)))", String(format: "%.0f%%", g.completionRate * 100),
                String(format: "%.0f%%", g.falseAlarmRate * 100), "\(g.repeatTickets)", "\(g.overdue)",
                "\(dur(g.meanAcknowledgeSeconds))/\(dur(g.p90AcknowledgeSeconds))", "\(dur(g.meanCloseSeconds))/\(dur(g.p90CloseSeconds))",
            ])
        }
        print(table.render())
    }
}

struct People: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Grid leaders and workers, who tickets go to. 网格长与网格员。")
    @OptionGroup var connection: Connection
    @Option(help: "Only this grid.") var grid: String?

    func run() throws {
        let p = path("/v1/people", grid.map { [URLQueryItem(name: "grid", value: $0)] } ?? [])
        let list = try connection.call { c throws(ClientError) in try c.get(p, as: PeopleList.self) }
        if connection.json { return try connection.printJSON(list) }
        var table = Table(headers: ["ID", "姓名 NAME", "网格 GRID", "角色 ROLE", "电话 PHONE"])
        for person in list.people {
            table.rows.append([person.id, person.name, person.gridId, person.role == "leader" ? "网格长 leader" : "网格员 worker", person.phone ?? "-"])
        }
        print(table.render())
    }
}

/// One workflow action on a ticket: POST /v1/tickets/{id}/{action}, then the ticket's new state.
protocol TicketVerb: ParsableCommand {
    static var action: String { get }
    var connection: Connection { get }
    var id: Int64 { get }
    var note: String? { get }
}

extension TicketVerb {
    var assignee: String? { nil }

    func perform(assignee: String? = nil) throws {
        let body = ActionRequest(note: note, assignee: assignee)
        let detail = try connection.call { c throws(ClientError) in
            try c.post("/v1/tickets/\(id)/\(Self.action)", body: body, as: TicketDetail.self)
        }
        if connection.json { return try connection.printJSON(detail) }
        let t = detail.ticket
        print("工单 #\(t.id) → \(t.state.rawValue)\(t.assignee.map { ", 处理人 assignee \($0)" } ?? "") (网格 grid \(t.gridId))")
    }
}

struct Acknowledge: TicketVerb {
    static let configuration = CommandConfiguration(commandName: "ack", abstract: "Acknowledge a new ticket. 签收。")
    static let action = "acknowledge"
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(help: "A note for the history.") var note: String?
    func run() throws { try perform() }
}

struct Dispatch: TicketVerb {
    static let configuration = CommandConfiguration(abstract: "Dispatch to a grid worker. 派单给网格员。")
    static let action = "dispatch"
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(name: .customLong("to"), help: "Id of a leader or worker of the ticket's grid (see: gridwatchctl people).") var to: String
    @Option(help: "A note for the history.") var note: String?
    func run() throws { try perform(assignee: to) }
}

struct Escalate: TicketVerb {
    static let configuration = CommandConfiguration(abstract: "Hand the ticket to the grid one level up. 上报上级网格。")
    static let action = "escalate"
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(help: "Why.") var note: String?
    func run() throws { try perform() }
}

struct Start: TicketVerb {
    static let configuration = CommandConfiguration(abstract: "Handling has started. 开始处置。")
    static let action = "start"
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(help: "A note for the history.") var note: String?
    func run() throws { try perform() }
}

struct Resolve: TicketVerb {
    static let configuration = CommandConfiguration(abstract: "Handled, with what was done. 处置完成（需填写处理情况）。")
    static let action = "resolve"
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(help: "What was done (required).") var note: String?
    func run() throws { try perform() }
}

struct Verify: TicketVerb {
    static let configuration = CommandConfiguration(abstract: "Checked that it was handled. 核查。")
    static let action = "verify"
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(help: "A note for the history.") var note: String?
    func run() throws { try perform() }
}

struct Close: TicketVerb {
    static let configuration = CommandConfiguration(abstract: "Close a verified ticket. 结案。")
    static let action = "close"
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(help: "A note for the history.") var note: String?
    func run() throws { try perform() }
}

struct FalseAlarm: TicketVerb {
    static let configuration = CommandConfiguration(commandName: "false-alarm", abstract: "Mark a new or acknowledged ticket a false alarm, with the reason. 标记误报。")
    static let action = "false_alarm"
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(help: "Why it is a false alarm (required).") var note: String?
    func run() throws { try perform() }
}

struct Reopen: TicketVerb {
    static let configuration = CommandConfiguration(abstract: "Reopen a resolved, verified or closed ticket, with the reason. 重新打开。")
    static let action = "reopen"
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(help: "Why (required).") var note: String?
    func run() throws { try perform() }
}

struct Note: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add a note to a ticket's history. 添加备注。")
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Argument(help: "The note.") var text: String

    func run() throws {
        let detail = try connection.call { c throws(ClientError) in
            try c.post("/v1/tickets/\(id)/notes", body: ActionRequest(note: text), as: TicketDetail.self)
        }
        if connection.json { return try connection.printJSON(detail) }
        print("工单 #\(id): 已添加备注 note added")
    }
}

struct ShowTicket: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ticket", abstract: "One ticket with its history. 查看工单及其处理记录。")
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64

    func run() throws {
        let detail = try connection.call { c throws(ClientError) in try c.get("/v1/tickets/\(id)", as: TicketDetail.self) }
        if connection.json { return try connection.printJSON(detail) }
        let t = detail.ticket
        print("工单 Ticket #\(t.id)  \(t.title)")
        print("  状态 state:     \(t.state.rawValue)")
        print("  级别 severity:  \(t.severity.rawValue)")
        print("  类别 category:  \(t.category.rawValue)")
        print("  摄像头 camera:  \(t.cameraId)")
        print("  区域 zone:      \(t.zoneId ?? "-")")
        if let line = t.tripwireId { print("  警戒线 tripwire: \(line)") }
        print("  事件 event:     \(t.kind)\(t.trackId.map { " (track \($0))" } ?? "")")
        if !detail.trajectory.isEmpty {
            let path = detail.trajectory.suffix(6).map { String(format: "(%.2f,%.2f)", $0.x, $0.y) }.joined(separator: " → ")
            print("  轨迹 trajectory: \(detail.trajectory.count) points, last: \(path)")
        }
        print("  网格 grid:      \(t.gridId)\(t.assignee.map { ", 处理人 assignee \($0)" } ?? "")")
        print("  发生 occurred:  \(shortTime(t.occurredAt))\((t.occurrences ?? 1) > 1 ? ", \(t.occurrences!) 次 occurrences, last \(shortTime(t.lastSeenAt))" : "")")
        print("  时限 deadlines: 签收 ack by \(shortTime(t.ackDueAt)), 办结 close by \(shortTime(t.closeDueAt))\((t.overdue ?? []).isEmpty ? "" : "  超时督办 OVERDUE: " + t.overdue!.joined(separator: ", "))")
        if t.repeatProblem == true { print("  重复问题 REPEAT PROBLEM: reopened \(t.reopenCount ?? 0) times") }
        if t.evidencePurged == true { print("  证据 evidence:  purged by retention / 已按保存期限删除") }
        if let next = detail.allowedActions { print("  可执行 next:    \(next.isEmpty ? "-" : next.map(\.rawValue).joined(separator: ", "))") }
        print("  快照 snapshot:  \(t.hasSnapshot ? "yes (gridwatchctl snapshot \(t.id) -o FILE)" : "no")")
        print("  记录 history:")
        var table = Table(headers: ["    时间 TIME", "操作人 ACTOR", "事件 EVENT", "FROM", "TO", "备注 NOTE"])
        for e in detail.events {
            table.rows.append(["    " + shortTime(e.at), e.actor, e.kind, e.fromState?.rawValue ?? "-", e.toState?.rawValue ?? "-", e.note ?? ""])
        }
        print(table.render())
    }
}

struct Snapshot: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Save a ticket's snapshot (JPEG). 保存工单快照。")
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(name: .shortAndLong, help: "Where to write the JPEG.") var output: String

    func run() throws {
        let bytes = try connection.call { c throws(ClientError) in try c.getBytes("/v1/tickets/\(id)/snapshot") }
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: output))
        } catch {
            printError("无法写入 / cannot write \(output): \(error.localizedDescription)")
            throw Exit.refused
        }
        print(output)
    }
}

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Follow ticket and camera changes as they happen, one line each. 实时查看工单和摄像头变化。")
    @OptionGroup var connection: Connection
    @Option(help: "Resume after this event id (as printed with --json).") var after: String?

    func run() throws {
        var last = after
        var announcedDown = false
        while true {
            do {
                try connection.client.follow("/v1/events", lastEventID: last) { event in
                    if let id = event.id { last = id }
                    announcedDown = false
                    // Straight to the descriptor: a watcher piped into another program sees each line at once.
                    FileHandle.standardOutput.write(Data((Self.line(event, json: connection.json) + "\n").utf8))
                    return true
                }
                printError("事件流已结束，重新连接 / the stream ended; reconnecting")
            } catch {
                switch error {
                case .refused(let status, let reason):
                    printError("请求被拒绝 / refused (\(status)): \(reason)")
                    throw Exit.refused
                case .unreachable, .badResponse:
                    if !announcedDown {
                        printError("无法连接 gridwatchd / cannot reach gridwatchd: \(error); retrying every 2 s")
                        announcedDown = true
                    }
                }
            }
            Thread.sleep(forTimeInterval: 2)
        }
    }

    static func line(_ event: ServerSentEvent, json: Bool) -> String {
        if json { return event.data }
        if event.event == "reset" { return "-- 有变化未能送达，请刷新 / changes were missed: reload the lists" }
        guard let live = try? ControlAPI.decoder().decode(LiveEvent.self, from: Data(event.data.utf8)) else { return event.data }
        let time = shortTime(live.at)
        if live.type == "camera" {
            return "\(time)  摄像头 camera \(live.cameraId ?? "-"): \(live.previousState ?? "-") → \(live.state ?? "-")"
        }
        guard let t = live.ticket else { return "\(time)  \(live.type) \(live.change ?? "")" }
        let place = [t.cameraId, t.zoneId ?? t.tripwireId].compactMap { $0 }.joined(separator: "/")
        return "\(time)  工单 #\(t.id)  \(live.change ?? "-")  \(t.state.rawValue)  \(t.severity.rawValue)  \(place)  \(t.title)  (\(live.actor ?? "-"))"
    }
}
