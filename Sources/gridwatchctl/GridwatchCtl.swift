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
            let answer = try body(client)
            // Tables show the daemon's local time.
            if !json { DisplayZone.learn(from: client) }
            return answer
        } catch let error {
            switch error {
            case let .unreachable(path, reason):
                printError(L("无法连接 gridwatchd（\(path)）：\(reason)。守护进程是否在运行？", "cannot reach gridwatchd at \(path): \(reason). Is the daemon running?"))
                throw Exit.unreachable
            case let .refused(status, reason):
                printError(L("请求被拒绝（\(status)）：\(reason)", "refused (\(status)): \(reason)"))
                throw Exit.refused
            case let .badResponse(why):
                printError(L("应答无法读取：\(why)", "unreadable answer: \(why)"))
                throw Exit.refused
            case let .permissionDenied(path):
                printError(L("没有权限打开控制套接字 \(path)：请管理员把当前用户加入套接字所属的组（daemon.socket_group），或用 sudo 运行",
                             "permission denied on the control socket \(path): ask an administrator to add this user to the socket's group (daemon.socket_group), or run with sudo"))
                throw Exit.refused
            case let .localWrite(path, reason):
                printError(L("无法写入本机文件 \(path)：\(reason)", "cannot write \(path) on this machine: \(reason)"))
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

/// "label:  value" lines with the values lined up.
func printFields(_ fields: [(String, String)], indent: String = "") {
    let width = fields.map { Table.displayWidth($0.0) }.max() ?? 0
    for (label, value) in fields { print(indent + Table.pad(label + L("：", ":"), to: width + 2) + " " + value) }
}

/// A state, severity, category, history event or grouping in the user's language. Filters
/// and commands take the English codes, which `--json` and English output show.
func term(_ code: String) -> String {
    guard Language.chinese else { return code }
    return chineseTerms[code] ?? code
}

let chineseTerms = [
    // Camera states
    "connecting": "连接中", "streaming": "在线", "stalled": "卡顿", "backoff": "等待重连", "offline": "离线", "auth_failed": "认证失败",
    "stopped": "已停止", "disabled": "已停用",
    // Ticket states
    "new": "待签收", "acknowledged": "已签收", "dispatched": "已派单", "in_progress": "处置中", "resolved": "已处置", "verified": "已核查",
    "closed": "已结案", "false_alarm": "误报", "reopened": "退回重办",
    // Severities and categories
    "low": "低", "medium": "中", "high": "高", "critical": "紧急",
    "intrusion": "闯入", "corrections": "社区矫正", "hazard": "隐患", "camera_offline": "摄像头离线",
    // History events and live changes
    "created": "上报", "occurrence": "再次告警", "acknowledge": "签收", "dispatch": "派单", "escalate": "上报上级", "start": "开始处置",
    "resolve": "处置完成", "verify": "核查", "close": "结案", "reopen": "退回重办", "note": "备注", "escalation": "超期升级",
    "offline_again": "再次离线", "recovered": "已恢复", "evidence_purged": "证据已删除", "repeat_problem": "重复问题",
    // Statistics groupings
    "grid": "网格", "camera": "摄像头", "category": "类别", "rule": "规则", "hour": "小时", "day": "日", "week": "周", "month": "月",
]

func printError(_ message: String) {
    FileHandle.standardError.write(Data("gridwatchctl: \(message)\n".utf8))
}

/// The zone human-facing times are shown and read in: the daemon's (`daemon.timezone`, or
/// its machine's), asked once per run; this machine's if the daemon does not say.
enum DisplayZone {
    nonisolated(unsafe) static var zone: TimeZone?
    static var current: TimeZone { zone ?? .current }

    static func learn(from client: ControlClient) {
        guard zone == nil else { return }
        zone = (try? client.get("/v1/health", as: HealthResponse.self))?.timezone.flatMap(TimeZone.init(identifier:)) ?? .current
    }

    static func formatter(_ format: String) -> DateFormatter {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = current
        f.dateFormat = format
        return f
    }

    /// A time as typed, in the forms tables show (`2026-11-24 01:25:36`, `2026-11-24 01:25`)
    /// or a date (`2026-11-24`, sent as is: the daemon's local midnight), as the API takes it:
    /// RFC 3339 with this zone's offset. Anything else goes as typed, for the daemon to judge.
    static func parameter(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for format in ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm"] {
            let f = formatter(format)
            f.isLenient = false
            if let date = f.date(from: trimmed) { return ControlAPI.formatLocal(date, zone: current) }
        }
        return trimmed
    }
}

func shortTime(_ date: Date?) -> String {
    guard let date else { return "-" }
    return DisplayZone.formatter("yyyy-MM-dd HH:mm:ss").string(from: date)
}

@main
struct GridwatchCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gridwatchctl",
        abstract: L("通过控制套接字操作 gridwatchd（网格视频巡查）。", "Talk to gridwatchd over its control socket."),
        version: "0.1.0",
        subcommands: [
            Health.self, Cameras.self, ShowCamera.self, CameraSnapshot.self, Enable.self, Disable.self,
            ShowConfig.self, CheckConfig.self, Reload.self, Backup.self, Tickets.self, ShowTicket.self, Snapshot.self,
            Acknowledge.self, Dispatch.self, Escalate.self, Start.self, Resolve.self, Verify.self, Close.self,
            FalseAlarm.self, Reopen.self, Note.self, Supervision.self, Stats.self, Export.self, People.self, Watch.self,
        ])

    /// As ArgumentParser's own entry point, except that usage errors exit 2 (the documented
    /// code) instead of 64.
    static func main() {
        do {
            var command = try parseAsRoot(connectionOptionsAfterCommand(Array(CommandLine.arguments.dropFirst())))
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

/// `gridwatchctl --socket P health` as well as `gridwatchctl health --socket P`: the
/// connection options (`--socket`, `--json`) given before the command move after it, where
/// the command's own parser takes them.
func connectionOptionsAfterCommand(_ args: [String]) -> [String] {
    var moved: [String] = [], rest = args[...]
    while let first = rest.first, first.hasPrefix("--") {
        if first == "--socket", rest.count >= 2 {
            moved += rest.prefix(2)
            rest = rest.dropFirst(2)
        } else if first.hasPrefix("--socket=") || first == "--json" {
            moved.append(first)
            rest = rest.dropFirst()
        } else {
            break
        }
    }
    guard !moved.isEmpty, let command = rest.first, !command.hasPrefix("-") else { return args }
    return [command] + moved + rest.dropFirst()
}

struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: L("守护进程状态。", "Daemon health."))
    @OptionGroup var connection: Connection

    func run() throws {
        let health = try connection.call { c throws(ClientError) in try c.get("/v1/health", as: HealthResponse.self) }
        if connection.json { return try connection.printJSON(health) }
        var lines: [(String, String)] = [
            (L("状态", "status"), health.status == "ok" ? L("正常", "ok") : L("降级", "degraded")),
            (L("版本", "version"), health.version),
            (L("启动", "started"), shortTime(health.startedAt)),
            (L("摄像头", "cameras"), L("\(health.camerasStreaming)/\(health.camerasTotal) 在线", "\(health.camerasStreaming)/\(health.camerasTotal) streaming")
                + ((health.camerasDisabled ?? 0) > 0 ? L("，\(health.camerasDisabled!) 已停用", ", \(health.camerasDisabled!) disabled") : "")),
            (L("工单", "tickets"), L("\(health.ticketsTotal) 张", "\(health.ticketsTotal)") + (health.ticketsOverdue.map { L("，超期 \($0) 张", ", \($0) overdue") } ?? "")),
        ]
        if let store = health.store {
            lines.append((L("存储", "store"), (store == "ok" ? L("正常", "ok") : L("写入失败", store)) + (health.storeError.map { L("（\($0)；\(health.storePending ?? 0) 条待写入）", " (\($0); \(health.storePending ?? 0) pending)") } ?? "")))
        }
        printFields(lines)
    }
}

struct Cameras: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: L("摄像头及其状态。", "Cameras and their state."))
    @OptionGroup var connection: Connection

    func run() throws {
        let list = try connection.call { c throws(ClientError) in try c.get("/v1/cameras", as: CameraList.self) }
        if connection.json { return try connection.printJSON(list) }
        var table = Table(headers: [
            "ID", L("名称", "NAME"), L("网格", "GRID"), L("状态", "STATE"), L("分辨率", "SIZE"), L("编码", "CODEC"), L("输入帧率", "IN FPS"),
            L("分析帧率", "ANA FPS"), L("已解码", "DECODED"), L("已分析", "ANALYSED"), L("丢帧", "DROPPED"), L("错误", "ERRORS"),
            L("重连", "RECONN"), L("最近一帧", "LAST FRAME"), L("来源", "SOURCE"),
        ])
        for c in list.cameras {
            let size = c.width.map { "\($0)x\(c.height ?? 0)" } ?? "-"
            table.rows.append([
                c.id, c.name, c.gridId, term(c.state), size, c.codec ?? "-", String(format: "%.1f", c.inputFps), String(format: "%.1f", c.analysedFps),
                "\(c.framesDecoded)", "\(c.framesAnalysed)", "\(c.framesDropped)", "\(c.decodeErrors)", "\(c.reconnects)", shortTime(c.lastFrameAt), c.source,
            ])
        }
        print(table.render())
        for c in list.cameras {
            if let r = c.record {
                let size = r.width.map { "\($0)x\(r.height ?? 0)" } ?? "-"
                let seconds = String(format: "%.1f", r.bufferedSeconds)
                print(L("\(c.id) 录像流：\(term(r.state)) \(r.codec ?? "-") \(size)，已缓存 \(seconds) 秒（\(r.bufferedBytes / 1024) KiB），\(r.source)",
                        "\(c.id) record stream: \(r.state) \(r.codec ?? "-") \(size), \(seconds) s buffered (\(r.bufferedBytes / 1024) KiB), \(r.source)")
                      + (r.lastError.map { L("，最近错误：\($0)", ", last error: \($0)") } ?? ""))
            }
            if let since = c.offlineSince { print(L("\(c.id) 自 \(shortTime(since)) 起离线", "\(c.id) offline since \(shortTime(since))")) }
            if !c.enabled {
                print(L("\(c.id) 已停用：\(c.disabledBy ?? "-")，\(shortTime(c.disabledAt))\(c.disabledReason.map { "，原因：\($0)" } ?? "")",
                        "\(c.id) disabled by \(c.disabledBy ?? "-") at \(shortTime(c.disabledAt))\(c.disabledReason.map { ": \($0)" } ?? "")"))
            }
            if let e = c.lastError { print(L("\(c.id) 最近错误：\(e)", "\(c.id) last error: \(e)")) }
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
    @Option(help: "Occurred at or after: a date or a time as tables show them (2026-11-24, 2026-11-24 08:30), local to the daemon; or RFC 3339.") var since: String?
    @Option(help: "Occurred before: as --since.") var until: String?
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
        add("since", since.map(DisplayZone.parameter))
        add("until", until.map(DisplayZone.parameter))
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
    var table = Table(headers: [
        "ID", L("时间", "TIME"), L("状态", "STATE"), L("级别", "SEV"), L("类别", "CATEGORY"), L("摄像头", "CAMERA"), L("区域/线", "ZONE/LINE"),
        L("网格", "GRID"), L("次数", "N"), L("督办", "DUE"), L("处理人", "ASSIGNEE"), L("标题", "TITLE"),
    ])
    // At 80 columns the time and the title stay whole enough to read: grid, category, the
    // repeat count, severity, deadlines, assignee and the rule go first, in that order.
    table.dropFirst = [7, 4, 8, 3, 9, 10, 6]
    table.neverCut = [0, 1]
    table.minimum = [11: 24]
    for t in list.tickets {
        let due = (t.overdue ?? []).isEmpty ? "-" : L("超期 ", "overdue ") + (t.overdue ?? []).map { L($0 == "acknowledge" ? "签收" : "办结", $0) }.joined(separator: "+")
        table.rows.append([
            "\(t.id)", shortTime(t.occurredAt), term(t.state.rawValue), term(t.severity.rawValue), term(t.category.rawValue), t.cameraId,
            t.zoneId ?? t.tripwireId ?? "-", t.gridId, "\(t.occurrences ?? 1)", due, t.assignee ?? "-", t.title,
        ])
    }
    print(table.render())
    print(L("\(list.tickets.count) / \(list.total) 张工单", "\(list.tickets.count) of \(list.total) tickets"))
}

struct Tickets: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: L("列出工单（最新的在前）。", "List tickets, newest first."))
    @OptionGroup var connection: Connection
    @OptionGroup var filters: TicketFilters
    @Option(help: "At most this many (1-1000).") var limit = 50
    @Option(help: "Skip this many (for the next page).") var offset = 0

    func run() throws {
        if filters.since != nil || filters.until != nil { DisplayZone.learn(from: connection.client) }
        let p = path("/v1/tickets", filters.items + [URLQueryItem(name: "limit", value: "\(limit)"), URLQueryItem(name: "offset", value: "\(offset)")])
        let list = try connection.call { c throws(ClientError) in try c.get(p, as: TicketList.self) }
        if connection.json { return try connection.printJSON(list) }
        printTicketTable(list)
    }
}

struct Supervision: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: L("超期督办清单：超过时限的未结工单。", "Open tickets past a deadline (the supervision list)."))
    @OptionGroup var connection: Connection

    func run() throws {
        let list = try connection.call { c throws(ClientError) in try c.get("/v1/supervision", as: TicketList.self) }
        if connection.json { return try connection.printJSON(list) }
        printTicketTable(list)
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: L("导出工单为 CSV（UTF-8），用于报表；加 --json 导出为 JSON。", "Tickets as CSV (UTF-8), for reports; --json for JSON."))
    @OptionGroup var connection: Connection
    @OptionGroup var filters: TicketFilters
    @Option(name: .shortAndLong, help: "Write here instead of standard output.") var output: String?

    func run() throws {
        if filters.since != nil || filters.until != nil { DisplayZone.learn(from: connection.client) }
        if connection.json {
            // The whole filtered set as a JSON array, a page of 1000 at a time.
            var all: [TicketSummary] = []
            // Tickets raised while the export runs would shift the pages: the set is the one
            // that existed when it started.
            var items = filters.items
            if filters.until == nil { items.append(URLQueryItem(name: "until", value: ControlAPI.formatLocal(Date()))) }
            while true {
                let p = path("/v1/tickets", items + [URLQueryItem(name: "limit", value: "1000"), URLQueryItem(name: "offset", value: "\(all.count)")])
                let page = try connection.call { c throws(ClientError) in try c.get(p, as: TicketList.self) }
                all += page.tickets
                if page.tickets.isEmpty || all.count >= page.total { break }
            }
            let encoder = ControlAPI.encoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return try writeOut(Array(try encoder.encode(all)) + [10], to: output)
        }
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
        printError(L("无法写入 \(output)：\(error.localizedDescription)", "cannot write \(output): \(error.localizedDescription)"))
        throw Exit.refused
    }
    print(output)
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: L("工单统计（乡镇上报口径）。", "Ticket statistics the towns report."))
    @OptionGroup var connection: Connection
    @Option(help: "day, week, month or year, ending now.") var period = "week"
    @Option(help: "Group by grid, camera, category, rule, hour, day, week or month.") var by = "category"
    @Option(help: "From (a date or a time as tables show them, local to the daemon; or RFC 3339), instead of the period.") var since: String?
    @Option(help: "Until (as --since); the period ends here.") var until: String?
    @Flag(help: "CSV instead of a table.") var csv = false
    @Option(name: .shortAndLong, help: "With --csv: write here.") var output: String?

    func run() throws {
        if since != nil || until != nil { DisplayZone.learn(from: connection.client) }
        var items = [URLQueryItem(name: "period", value: period), URLQueryItem(name: "by", value: by)]
        if let since { items.append(URLQueryItem(name: "since", value: DisplayZone.parameter(since))) }
        if let until { items.append(URLQueryItem(name: "until", value: DisplayZone.parameter(until))) }
        if csv {
            let p = path("/v1/stats", items + [URLQueryItem(name: "format", value: "csv")])
            let bytes = try connection.call { c throws(ClientError) in try c.getBytes(p) }
            return try writeOut(bytes, to: output)
        }
        let p = path("/v1/stats", items)
        let stats = try connection.call { c throws(ClientError) in try c.get(p, as: StatsResponse.self) }
        if connection.json { return try connection.printJSON(stats) }
        print(L("统计 \(shortTime(stats.since)) — \(shortTime(stats.until))，按\(term(stats.by.rawValue))", "Statistics \(shortTime(stats.since)) — \(shortTime(stats.until)), by \(stats.by.rawValue)"))
        func pct(_ n: Int, _ of: Int) -> String { of == 0 ? "-" : String(format: "%.0f%%", 100 * Double(n) / Double(of)) }
        func dur(_ s: Double?) -> String {
            guard let s else { return "-" }
            return s < 120 ? String(format: "%.0fs", s) : s < 7200 ? String(format: "%.0fm", s / 60) : String(format: "%.1fh", s / 3600)
        }
        let byRule = stats.by == .rule
        var table = Table(headers: [
            L(term(stats.by.rawValue), stats.by.rawValue.uppercased()), L("上报", "RAISED"), L("按时签收", "ACK ON TIME"), L("按时办结", "CLOSED ON TIME"), L("办结率", "DONE"),
            L("误报率", "FALSE"), L("重复", "REPEAT"), L("超期", "OVERDUE"), L("签收 均值/p90", "ACK mean/p90"), L("办结 均值/p90", "CLOSE mean/p90"),
        ] + (byRule ? [L("冷却", "COOLDOWN")] : []))
        for g in stats.groups + [stats.total] {
            table.rows.append([
                g.key == "total" ? L("合计", "total") : g.key, "\(g.raised)", "\(g.acknowledgedOnTime) (\(pct(g.acknowledgedOnTime, g.raised)))",
                "\(g.closedOnTime) (\(pct(g.closedOnTime, g.raised - g.falseAlarms)))", String(format: "%.0f%%", g.completionRate * 100),
                String(format: "%.0f%%", g.falseAlarmRate * 100), "\(g.repeatTickets)", "\(g.overdue)",
                "\(dur(g.meanAcknowledgeSeconds))/\(dur(g.p90AcknowledgeSeconds))", "\(dur(g.meanCloseSeconds))/\(dur(g.p90CloseSeconds))",
            ] + (byRule ? [g.key == "total" ? "" : dur(g.cooldownSeconds)] : []))
        }
        print(table.render())
    }
}

struct People: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: L("网格长与网格员（派单对象）。", "Grid leaders and workers, who tickets go to."))
    @OptionGroup var connection: Connection
    @Option(help: "Only this grid.") var grid: String?

    func run() throws {
        let p = path("/v1/people", grid.map { [URLQueryItem(name: "grid", value: $0)] } ?? [])
        let list = try connection.call { c throws(ClientError) in try c.get(p, as: PeopleList.self) }
        if connection.json { return try connection.printJSON(list) }
        var table = Table(headers: ["ID", L("姓名", "NAME"), L("网格", "GRID"), L("角色", "ROLE"), L("电话", "PHONE")])
        for person in list.people {
            table.rows.append([person.id, person.name, person.gridId, person.role == "leader" ? L("网格长", "leader") : L("网格员", "worker"), person.phone ?? "-"])
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
        print(L("工单 #\(t.id) → \(term(t.state.rawValue))\(t.assignee.map { "，处理人 \($0)" } ?? "")（网格 \(t.gridId)）",
                "ticket #\(t.id) → \(t.state.rawValue)\(t.assignee.map { ", assignee \($0)" } ?? "") (grid \(t.gridId))"))
    }
}

struct Acknowledge: TicketVerb {
    static let configuration = CommandConfiguration(commandName: "ack", abstract: L("签收新工单。", "Acknowledge a new ticket."))
    static let action = "acknowledge"
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(help: "A note for the history.") var note: String?
    func run() throws { try perform() }
}

struct Dispatch: TicketVerb {
    static let configuration = CommandConfiguration(abstract: L("派单给本网格的网格长或网格员。", "Dispatch to a leader or worker of the ticket's grid."))
    static let action = "dispatch"
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(name: .customLong("to"), help: "Id of a leader or worker of the ticket's grid (see: gridwatchctl people).") var to: String
    @Option(help: "A note for the history.") var note: String?
    func run() throws { try perform(assignee: to) }
}

struct Escalate: TicketVerb {
    static let configuration = CommandConfiguration(abstract: L("上报上级网格。", "Hand the ticket to the grid one level up."))
    static let action = "escalate"
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(help: "Why.") var note: String?
    func run() throws { try perform() }
}

struct Start: TicketVerb {
    static let configuration = CommandConfiguration(abstract: L("开始处置。", "Handling has started."))
    static let action = "start"
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(help: "A note for the history.") var note: String?
    func run() throws { try perform() }
}

struct Resolve: TicketVerb {
    static let configuration = CommandConfiguration(abstract: L("处置完成（需填写处理情况）。", "Handled, with what was done (a note is required)."))
    static let action = "resolve"
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(help: "What was done (required).") var note: String?
    func run() throws { try perform() }
}

struct Verify: TicketVerb {
    static let configuration = CommandConfiguration(abstract: L("核查处置结果。", "Checked that it was handled."))
    static let action = "verify"
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(help: "A note for the history.") var note: String?
    func run() throws { try perform() }
}

struct Close: TicketVerb {
    static let configuration = CommandConfiguration(abstract: L("结案（已核查的工单）。", "Close a verified ticket."))
    static let action = "close"
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(help: "A note for the history.") var note: String?
    func run() throws { try perform() }
}

struct FalseAlarm: TicketVerb {
    static let configuration = CommandConfiguration(commandName: "false-alarm", abstract: L("标记误报（需填写原因）。", "Mark a new or acknowledged ticket a false alarm, with the reason."))
    static let action = "false_alarm"
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(help: "Why it is a false alarm (required).") var note: String?
    func run() throws { try perform() }
}

struct Reopen: TicketVerb {
    static let configuration = CommandConfiguration(abstract: L("退回重办：重新打开已处置、已核查或已结案的工单（需填写原因）。", "Reopen a resolved, verified or closed ticket, with the reason."))
    static let action = "reopen"
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(help: "Why (required).") var note: String?
    func run() throws { try perform() }
}

struct Note: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: L("在工单记录中添加备注。", "Add a note to a ticket's history."))
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Argument(help: "The note.") var text: String

    func run() throws {
        let detail = try connection.call { c throws(ClientError) in
            try c.post("/v1/tickets/\(id)/notes", body: ActionRequest(note: text), as: TicketDetail.self)
        }
        if connection.json { return try connection.printJSON(detail) }
        print(L("工单 #\(id)：已添加备注", "ticket #\(id): note added"))
    }
}

struct ShowTicket: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ticket", abstract: L("查看工单及其处理记录。", "One ticket with its history."))
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64

    func run() throws {
        let detail = try connection.call { c throws(ClientError) in try c.get("/v1/tickets/\(id)", as: TicketDetail.self) }
        if connection.json { return try connection.printJSON(detail) }
        let t = detail.ticket
        print(L("工单 #\(t.id)  \(t.title)", "Ticket #\(t.id)  \(t.title)"))
        var fields: [(String, String)] = [
            (L("状态", "state"), term(t.state.rawValue)),
            (L("级别", "severity"), term(t.severity.rawValue)),
            (L("类别", "category"), term(t.category.rawValue)),
            (L("摄像头", "camera"), t.cameraId),
            (L("区域", "zone"), t.zoneId ?? "-"),
        ]
        if let line = t.tripwireId { fields.append((L("警戒线", "tripwire"), line)) }
        fields.append((L("事件", "event"), t.kind + (t.trackId.map { L("（轨迹编号 \($0)）", " (track \($0))") } ?? "")))
        if !detail.trajectory.isEmpty {
            let path = detail.trajectory.suffix(6).map { String(format: "(%.2f,%.2f)", $0.x, $0.y) }.joined(separator: " → ")
            fields.append((L("轨迹", "trajectory"), L("\(detail.trajectory.count) 个点，最后：\(path)", "\(detail.trajectory.count) points, last: \(path)")))
        }
        fields.append((L("网格", "grid"), t.gridId + (t.assignee.map { L("，处理人 \($0)", ", assignee \($0)") } ?? "")))
        let n = t.occurrences ?? 1
        fields.append((L("发生", "occurred"), shortTime(t.occurredAt)
            + (n > 1 ? L("，共 \(n) 次，最近 \(shortTime(t.lastSeenAt))", ", \(n) occurrences, last \(shortTime(t.lastSeenAt))") : "")))
        let overdue = t.overdue ?? []
        fields.append((L("时限", "deadlines"), L("签收 \(shortTime(t.ackDueAt)) 前，办结 \(shortTime(t.closeDueAt)) 前", "acknowledge by \(shortTime(t.ackDueAt)), close by \(shortTime(t.closeDueAt))")
            + (overdue.isEmpty ? "" : L("  超期督办：", "  OVERDUE: ") + overdue.map { L($0 == "acknowledge" ? "签收" : "办结", $0) }.joined(separator: "、"))))
        if t.repeatProblem == true {
            fields.append((L("重复问题", "REPEAT PROBLEM"), L("已退回重办 \(t.reopenCount ?? 0) 次", "reopened \(t.reopenCount ?? 0) times")))
        }
        if t.evidencePurged == true { fields.append((L("证据", "evidence"), L("已按保存期限删除", "purged by retention"))) }
        if let next = detail.allowedActions { fields.append((L("可执行", "next"), next.isEmpty ? "-" : next.map(\.rawValue).joined(separator: ", "))) }
        fields.append((L("快照", "snapshot"), t.hasSnapshot ? L("有（gridwatchctl snapshot \(t.id) -o 文件）", "yes (gridwatchctl snapshot \(t.id) -o FILE)") : L("无", "no")))
        let pictured = (detail.occurrences ?? []).filter(\.hasSnapshot)
        if !pictured.isEmpty {
            let list = pictured.suffix(8).map { "#\($0.id) \(shortTime($0.at))" }.joined(separator: ", ")
            fields.append((L("再次告警截图", "repeat snapshots"), L("\(pictured.count) 张：\(list)（gridwatchctl snapshot \(t.id) --occurrence 编号 -o 文件）",
                                                        "\(pictured.count): \(list) (gridwatchctl snapshot \(t.id) --occurrence ID -o FILE)")))
        }
        printFields(fields, indent: "  ")
        print(L("  处理记录：", "  history:"))
        var table = Table(headers: ["    " + L("时间", "TIME"), L("操作人", "ACTOR"), L("事件", "EVENT"), L("从", "FROM"), L("到", "TO"), L("备注", "NOTE")])
        for e in detail.events {
            table.rows.append(["    " + shortTime(e.at), e.actor, term(e.kind), e.fromState.map { term($0.rawValue) } ?? "-", e.toState.map { term($0.rawValue) } ?? "-", e.note ?? ""])
        }
        print(table.render())
    }
}

struct Snapshot: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: L("保存工单快照（JPEG）。", "Save a ticket's snapshot (JPEG)."))
    @OptionGroup var connection: Connection
    @Argument(help: "Ticket id.") var id: Int64
    @Option(help: "The snapshot of this occurrence (repeat alert) instead of the ticket's own; ids as `show` lists them.") var occurrence: Int64?
    @Option(name: .shortAndLong, help: "Where to write the JPEG.") var output: String

    func run() throws {
        let path = occurrence.map { "/v1/tickets/\(id)/occurrences/\($0)/snapshot" } ?? "/v1/tickets/\(id)/snapshot"
        let bytes = try connection.call { c throws(ClientError) in try c.getBytes(path) }
        try writeOut(bytes, to: output)
    }
}

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: L("实时查看工单和摄像头的变化，每条一行。", "Follow ticket and camera changes as they happen, one line each."))
    @OptionGroup var connection: Connection
    @Option(help: "Resume after this event id (as printed with --json).") var after: String?
    @Flag(help: "A line for every repeat alert (default: the first, then a count at most once a minute per ticket).") var eachRepeat = false

    func run() throws {
        var last = after
        var announcedDown = false
        var digest = RepeatDigest()
        if !connection.json { DisplayZone.learn(from: connection.client) }
        while true {
            do {
                try connection.client.follow("/v1/events", lastEventID: last) { event in
                    if let id = event.id { last = id }
                    announcedDown = false
                    var lines: [String] = []
                    if connection.json || eachRepeat || event.event == "reset" {
                        lines = [Self.line(event, json: connection.json)]
                    } else if let live = try? ControlAPI.decoder().decode(LiveEvent.self, from: Data(event.data.utf8)) {
                        lines = digest.take(live, now: Date()).map { output in
                            switch output {
                            case .event(let e): Self.line(e)
                            case .repeats(let c): Self.line(c)
                            }
                        }
                    } else {
                        lines = [event.data]
                    }
                    // Straight to the descriptor: a watcher piped into another program sees each line at once.
                    for line in lines { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
                    return true
                }
                printError(L("事件流已结束，重新连接", "the stream ended; reconnecting"))
            } catch {
                switch error {
                case .refused(let status, let reason):
                    printError(L("请求被拒绝（\(status)）：\(reason)", "refused (\(status)): \(reason)"))
                    throw Exit.refused
                case .permissionDenied, .localWrite:
                    // Not going to change by waiting: said once, as every command says it.
                    _ = try connection.call { _ throws(ClientError) in throw error }
                case .unreachable, .badResponse:
                    if !announcedDown {
                        printError(L("无法连接 gridwatchd：\(error)；每 2 秒重试", "cannot reach gridwatchd: \(error); retrying every 2 s"))
                        announcedDown = true
                    }
                }
            }
            Thread.sleep(forTimeInterval: 2)
        }
    }

    static func line(_ event: ServerSentEvent, json: Bool) -> String {
        if json { return event.data }
        if event.event == "reset" { return L("-- 有变化未能送达，请刷新列表", "-- changes were missed: reload the lists") }
        guard let live = try? ControlAPI.decoder().decode(LiveEvent.self, from: Data(event.data.utf8)) else { return event.data }
        return line(live)
    }

    /// "ticket #5 repeated 12 times (23 in all), last 10:02:11".
    static func line(_ c: RepeatDigest.Count) -> String {
        let t = c.ticket
        let place = [t.cameraId, t.zoneId ?? t.tripwireId].compactMap { $0 }.joined(separator: "/")
        let all = t.occurrences ?? 1
        return "\(shortTime(c.last))  " + L("工单 #\(t.id)  再次告警 \(c.repeats) 次（共 \(all) 次）  \(place)  \(t.title)",
                                             "ticket #\(t.id)  \(c.repeats) more repeat alerts (\(all) in all)  \(place)  \(t.title)")
    }

    static func line(_ live: LiveEvent) -> String {
        let time = shortTime(live.at)
        if live.type == "camera" {
            return "\(time)  " + L("摄像头", "camera") + " \(live.cameraId ?? "-"): \(term(live.previousState ?? "-")) → \(term(live.state ?? "-"))"
        }
        guard let t = live.ticket else { return "\(time)  \(live.type) \(live.change ?? "")" }
        let place = [t.cameraId, t.zoneId ?? t.tripwireId].compactMap { $0 }.joined(separator: "/")
        return "\(time)  " + L("工单", "ticket") + " #\(t.id)  \(term(live.change ?? "-"))  \(term(t.state.rawValue))  \(term(t.severity.rawValue))  \(place)  \(t.title)  (\(live.actor ?? "-"))"
    }
}
