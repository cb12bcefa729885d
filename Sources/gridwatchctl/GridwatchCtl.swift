import ArgumentParser
import Catalog
import ControlClient
import ControlProtocol
import Foundation
import Tickets

/// Exit codes: 0 ok, 1 refused or invalid, 2 usage, 3 daemon unreachable.
enum Exit {
    static let refused = ExitCode(1)
    static let unreachable = ExitCode(3)
}

/// The language of messages: Chinese when the locale says so (`LANG=zh_CN.UTF-8`, or
/// `LC_ALL` / `LC_MESSAGES`, which take precedence as in gettext), English otherwise (and
/// for the C and POSIX locales). Never bilingual.
let language = Language.fromEnvironment(fallback: .en)

/// A message of the catalogue in the user's language.
func t(_ message: some Localized) -> String { message.text(language) }

struct Connection: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(t(CtlText.socketHelp)))
    var socket: String?

    @Flag(name: .long, help: ArgumentHelp(t(CtlText.jsonHelp)))
    var json = false

    /// The daemon answers (its refusals) in the user's language.
    var client: ControlClient {
        ControlClient(socketPath: socket ?? ProcessInfo.processInfo.environment["GRIDWATCH_SOCKET"] ?? ControlAPI.defaultSocketPath,
                      language: language)
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
            case let .unreachable(path, reason, code):
                printError(t(CtlText.unreachable(path: path, reason: t(CtlText.socketError(code: code, reason: reason)))))
                throw Exit.unreachable
            case let .refused(status, reason):
                printError(t(CtlText.refused(status: status, reason: reason)))
                throw Exit.refused
            case let .badResponse(why):
                printError(t(CtlText.unreadableAnswer(detail: why)))
                throw Exit.refused
            case let .permissionDenied(path):
                printError(t(CtlText.permissionDenied(path: path)))
                throw Exit.refused
            case let .localWrite(path, reason):
                printError(t(CtlText.cannotWriteLocal(path: path, reason: reason)))
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
func printFields(_ fields: [(CtlText, String)], indent: String = "") {
    let names = fields.map { t($0.0) }
    let width = names.map(Table.displayWidth).max() ?? 0
    for (name, (_, value)) in zip(names, fields) { print(indent + Table.pad(t(CtlText.fieldLabel(name)), to: width + 2) + " " + value) }
}

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
        abstract: t(CtlText.rootAbstract),
        version: "0.1.0",
        subcommands: [
            Health.self, Cameras.self, ShowCamera.self, CameraSnapshot.self, Enable.self, Disable.self,
            ShowConfig.self, CheckConfig.self, Reload.self, Backup.self, Tickets.self, ShowTicket.self, Snapshot.self, Clip.self,
            Acknowledge.self, Dispatch.self, Escalate.self, Start.self, Resolve.self, Verify.self, Close.self,
            FalseAlarm.self, Reopen.self, Note.self, Supervision.self, Stats.self, Export.self, People.self, Watch.self, NotifyCommand.self, ConsoleUserCommand.self, Nodes.self, NodeCommand.self,
        ])

    /// As ArgumentParser's own entry point, except that usage errors exit 2 (the documented
    /// code) instead of 64, and that under a Chinese locale its help screens and usage errors
    /// are in Chinese (`CtlText.rewriteArgumentParser`), wrapped for the terminal.
    static func main() {
        do {
            var command = try parseAsRoot(connectionOptionsAfterCommand(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch {
            let code = exitCode(for: error)
            let text: String
            if language == .zh {
                // Unwrapped by ArgumentParser (it counts characters, not terminal cells), then
                // rewritten and wrapped here. What is not a help screen or a usage error (the
                // version, a completion script) is left as it is.
                let english = fullMessage(for: error, columns: 100_000)
                let chinese = CtlText.rewriteArgumentParser(english, language: language)
                text = chinese == english ? english : CtlText.wrapForTerminal(chinese, width: helpColumns)
            } else {
                text = fullMessage(for: error)
            }
            if code == .success {
                // Help and the version, to standard output.
                if !text.isEmpty { print(text) }
                Foundation.exit(0)
            }
            if !text.isEmpty { FileHandle.standardError.write(Data((text + "\n").utf8)) }
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }

    /// The width help is wrapped to, as ArgumentParser finds it: `COLUMNS`, then the
    /// terminal on standard output, then 80.
    static var helpColumns: Int {
        ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil } ?? Table.terminalWidth ?? 80
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
    // A command with subcommands (`node drain`, `notify retry`): after the subcommand.
    let groups: Set<String> = ["notify", "console-user", "node"]
    if groups.contains(command), rest.count >= 2, let sub = rest.dropFirst().first, !sub.hasPrefix("-") {
        return [command, sub] + moved + rest.dropFirst(2)
    }
    return [command] + moved + rest.dropFirst()
}

struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: t(CtlText.healthAbstract))
    @OptionGroup var connection: Connection

    func run() throws {
        let health = try connection.call { c throws(ClientError) in try c.get("/v1/health", as: HealthResponse.self) }
        if connection.json { return try connection.printJSON(health) }
        var lines: [(CtlText, String)] = [
            (.fieldStatus, t(health.status == "ok" ? CtlText.healthOK : .healthDegraded)),
            (.fieldVersion, health.version),
            (.fieldStarted, shortTime(health.startedAt)),
            (.fieldCameras, t(CtlText.camerasStreaming(streaming: health.camerasStreaming, total: health.camerasTotal, disabled: health.camerasDisabled ?? 0))),
            (.fieldTickets, t(CtlText.ticketCount(total: health.ticketsTotal, overdue: health.ticketsOverdue))),
        ]
        if let store = health.store {
            lines.append((.fieldStore, t(CtlText.storeState(state: store, error: health.storeError, pending: health.storePending ?? 0))))
        }
        printFields(lines)
    }
}

struct Cameras: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: t(CtlText.camerasAbstract))
    @OptionGroup var connection: Connection

    func run() throws {
        let list = try connection.call { c throws(ClientError) in try c.get("/v1/cameras", as: CameraList.self) }
        if connection.json { return try connection.printJSON(list) }
        let headers: [CtlText] = [
            .columnName, .columnGrid, .columnState, .columnSize, .columnCodec, .columnInputFPS, .columnAnalysedFPS, .columnDecoded,
            .columnAnalysed, .columnDropped, .columnErrors, .columnReconnects, .columnLastFrame, .columnSource,
        ]
        // With a shared store, which node analyses each camera.
        let clustered = list.cameras.contains { $0.node != nil || $0.state == "elsewhere" }
        var table = Table(headers: ["ID"] + headers.map(t) + (clustered ? [t(CtlText.columnNode)] : []))
        for c in list.cameras {
            let size = c.width.map { "\($0)x\(c.height ?? 0)" } ?? "-"
            table.rows.append([
                c.id, c.name, c.gridId, t(Term(c.state)), size, c.codec ?? "-", String(format: "%.1f", c.inputFps), String(format: "%.1f", c.analysedFps),
                "\(c.framesDecoded)", "\(c.framesAnalysed)", "\(c.framesDropped)", "\(c.decodeErrors)", "\(c.reconnects)", shortTime(c.lastFrameAt), c.source,
            ] + (clustered ? [c.node ?? "-"] : []))
        }
        print(table.render())
        for c in list.cameras {
            if let r = c.record {
                let size = r.width.map { "\($0)x\(r.height ?? 0)" } ?? "-"
                print(t(CtlText.recordStream(camera: c.id, state: r.state, codec: r.codec ?? "-", size: size, seconds: String(format: "%.1f", r.bufferedSeconds),
                                             kib: r.bufferedBytes / 1024, source: r.source, lastError: r.lastError)))
            }
            if let since = c.offlineSince { print(t(CtlText.cameraOfflineSince(camera: c.id, since: shortTime(since)))) }
            if !c.enabled {
                print(t(CtlText.cameraDisabledBy(camera: c.id, by: c.disabledBy ?? "-", at: shortTime(c.disabledAt), reason: c.disabledReason)))
            }
            if let e = c.lastError { print(t(CtlText.cameraLastError(camera: c.id, error: e))) }
        }
    }
}

/// Filters shared by `tickets` and `export`.
struct TicketFilters: ParsableArguments {
    @Option(help: ArgumentHelp(t(CtlText.stateFilterHelp(states: [
        "new", "acknowledged", "dispatched", "in_progress", "resolved", "verified", "closed", "false_alarm", "reopened",
    ])))) var state: String?
    @Flag(help: ArgumentHelp(t(CtlText.openFilterHelp))) var open = false
    @Option(help: ArgumentHelp(t(CtlText.cameraFilterHelp))) var camera: String?
    @Option(help: ArgumentHelp(t(CtlText.zoneFilterHelp))) var zone: String?
    @Option(help: ArgumentHelp(t(CtlText.gridFilterHelp))) var grid: String?
    @Option(help: ArgumentHelp(t(CtlText.categoryFilterHelp(categories: TicketCategory.allCases.map(\.rawValue))))) var category: String?
    @Flag(help: ArgumentHelp(t(CtlText.overdueFilterHelp))) var overdue = false
    @Flag(name: .customLong("repeat"), help: ArgumentHelp(t(CtlText.repeatFilterHelp))) var repeatProblem = false
    @Option(help: ArgumentHelp(t(CtlText.sinceFilterHelp))) var since: String?
    @Option(help: ArgumentHelp(t(CtlText.untilFilterHelp))) var until: String?
    @Option(name: .customLong("text"), help: ArgumentHelp(t(CtlText.textFilterHelp))) var text: String?
    @Flag(help: ArgumentHelp(t(CtlText.archivedFilterHelp))) var archived = false

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
    let headers: [CtlText] = [
        .columnTime, .columnState, .columnSeverity, .columnCategory, .columnCamera, .columnZoneOrLine,
        .columnGrid, .columnCount, .columnDue, .columnAssignee, .columnTitle,
    ]
    var table = Table(headers: ["ID"] + headers.map(t))
    // At 80 columns the time and the title stay whole enough to read: grid, category, the
    // repeat count, severity, deadlines, assignee and the rule go first, in that order.
    table.dropFirst = [7, 4, 8, 3, 9, 10, 6]
    table.neverCut = [0, 1]
    table.minimum = [11: 24]
    for ticket in list.tickets {
        let overdue = ticket.overdue ?? []
        table.rows.append([
            "\(ticket.id)", shortTime(ticket.occurredAt), t(Term(ticket.state.rawValue)), t(Term(ticket.severity.rawValue)), t(Term(ticket.category.rawValue)),
            ticket.cameraId, ticket.zoneId ?? ticket.tripwireId ?? "-", ticket.gridId, "\(ticket.occurrences ?? 1)",
            overdue.isEmpty ? "-" : t(CtlText.overdueColumn(overdue: overdue)), ticket.assignee ?? "-", ticket.title,
        ])
    }
    print(table.render())
    print(t(CtlText.ticketsShown(shown: list.tickets.count, total: list.total)))
}

struct Tickets: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: t(CtlText.ticketsAbstract))
    @OptionGroup var connection: Connection
    @OptionGroup var filters: TicketFilters
    @Option(help: ArgumentHelp(t(CtlText.limitHelp))) var limit = 50
    @Option(help: ArgumentHelp(t(CtlText.offsetHelp))) var offset = 0

    func run() throws {
        if filters.since != nil || filters.until != nil { DisplayZone.learn(from: connection.client) }
        let p = path("/v1/tickets", filters.items + [URLQueryItem(name: "limit", value: "\(limit)"), URLQueryItem(name: "offset", value: "\(offset)")])
        let list = try connection.call { c throws(ClientError) in try c.get(p, as: TicketList.self) }
        if connection.json { return try connection.printJSON(list) }
        printTicketTable(list)
    }
}

struct Supervision: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: t(CtlText.supervisionAbstract))
    @OptionGroup var connection: Connection

    func run() throws {
        let list = try connection.call { c throws(ClientError) in try c.get("/v1/supervision", as: TicketList.self) }
        if connection.json { return try connection.printJSON(list) }
        printTicketTable(list)
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: t(CtlText.exportAbstract))
    @OptionGroup var connection: Connection
    @OptionGroup var filters: TicketFilters
    @Option(name: .shortAndLong, help: ArgumentHelp(t(CtlText.exportOutputHelp))) var output: String?

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
        printError(t(CtlText.cannotWrite(path: output, reason: error.localizedDescription)))
        throw Exit.refused
    }
    print(output)
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: t(CtlText.statsAbstract))
    @OptionGroup var connection: Connection
    @Option(help: ArgumentHelp(t(CtlText.periodHelp(periods: ["day", "week", "month", "year"])))) var period = "week"
    @Option(help: ArgumentHelp(t(CtlText.byHelp(groupings: ["grid", "camera", "category", "rule", "hour", "day", "week", "month"])))) var by = "category"
    @Option(help: ArgumentHelp(t(CtlText.statsSinceHelp))) var since: String?
    @Option(help: ArgumentHelp(t(CtlText.statsUntilHelp))) var until: String?
    @Flag(help: ArgumentHelp(t(CtlText.csvHelp))) var csv = false
    @Option(name: .shortAndLong, help: ArgumentHelp(t(CtlText.statsOutputHelp))) var output: String?

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
        print(t(CtlText.statsHeading(since: shortTime(stats.since), until: shortTime(stats.until), by: stats.by.rawValue)))
        func pct(_ n: Int, _ of: Int) -> String { of == 0 ? "-" : String(format: "%.0f%%", 100 * Double(n) / Double(of)) }
        func dur(_ s: Double?) -> String {
            guard let s else { return "-" }
            return s < 120 ? t(CtlText.durationSeconds(String(format: "%.0f", s)))
                : s < 7200 ? t(CtlText.durationMinutes(String(format: "%.0f", s / 60)))
                : t(CtlText.durationHours(String(format: "%.1f", s / 3600)))
        }
        let byRule = stats.by == .rule
        let headers: [CtlText] = [
            .columnGroup(by: stats.by.rawValue), .columnRaised, .columnAcknowledgedOnTime, .columnClosedOnTime, .columnDone,
            .columnFalseAlarms, .columnRepeat, .columnOverdue, .columnAcknowledgeTimes, .columnCloseTimes,
        ] + (byRule ? [.columnCooldown] : [])
        var table = Table(headers: headers.map(t))
        for g in stats.groups + [stats.total] {
            table.rows.append([
                g.key == "total" ? t(CtlText.totalRow) : g.key, "\(g.raised)", "\(g.acknowledgedOnTime) (\(pct(g.acknowledgedOnTime, g.raised)))",
                "\(g.closedOnTime) (\(pct(g.closedOnTime, g.raised - g.falseAlarms)))", String(format: "%.0f%%", g.completionRate * 100),
                String(format: "%.0f%%", g.falseAlarmRate * 100), "\(g.repeatTickets)", "\(g.overdue)",
                "\(dur(g.meanAcknowledgeSeconds))/\(dur(g.p90AcknowledgeSeconds))", "\(dur(g.meanCloseSeconds))/\(dur(g.p90CloseSeconds))",
            ] + (byRule ? [g.key == "total" ? "" : dur(g.cooldownSeconds)] : []))
        }
        print(table.render())
    }
}

struct People: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: t(CtlText.peopleAbstract))
    @OptionGroup var connection: Connection
    @Option(help: ArgumentHelp(t(CtlText.peopleGridHelp))) var grid: String?

    func run() throws {
        let p = path("/v1/people", grid.map { [URLQueryItem(name: "grid", value: $0)] } ?? [])
        let list = try connection.call { c throws(ClientError) in try c.get(p, as: PeopleList.self) }
        if connection.json { return try connection.printJSON(list) }
        let headers: [CtlText] = [.columnPersonName, .columnGrid, .columnRole, .columnPhone]
        var table = Table(headers: ["ID"] + headers.map(t))
        for person in list.people {
            table.rows.append([person.id, person.name, person.gridId, t(Term(person.role)), person.phone ?? "-"])
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

/// The commands of the workflow actions, to say which command does an action the daemon
/// lists as allowed (`acknowledge` is `ack`).
let ticketVerbs: [any TicketVerb.Type] = [
    Acknowledge.self, Dispatch.self, Escalate.self, Start.self, Resolve.self, Verify.self, Close.self, FalseAlarm.self, Reopen.self,
]

func command(forAction action: String) -> String {
    ticketVerbs.first { $0.action == action }?._commandName ?? action
}

extension TicketVerb {
    var assignee: String? { nil }

    func perform(assignee: String? = nil) throws {
        let body = ActionRequest(note: note, assignee: assignee)
        let detail = try connection.call { c throws(ClientError) in
            try c.post("/v1/tickets/\(id)/\(Self.action)", body: body, as: TicketDetail.self)
        }
        if connection.json { return try connection.printJSON(detail) }
        let ticket = detail.ticket
        print(t(CtlText.ticketNow(id: ticket.id, state: ticket.state.rawValue, assignee: ticket.assignee, grid: ticket.gridId)))
    }
}

struct Acknowledge: TicketVerb {
    static let configuration = CommandConfiguration(commandName: "ack", abstract: t(CtlText.acknowledgeAbstract))
    static let action = "acknowledge"
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.ticketIDHelp))) var id: Int64
    @Option(help: ArgumentHelp(t(CtlText.noteHelp))) var note: String?
    func run() throws { try perform() }
}

struct Dispatch: TicketVerb {
    static let configuration = CommandConfiguration(abstract: t(CtlText.dispatchAbstract))
    static let action = "dispatch"
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.ticketIDHelp))) var id: Int64
    @Option(name: .customLong("to"), help: ArgumentHelp(t(CtlText.dispatchToHelp))) var to: String
    @Option(help: ArgumentHelp(t(CtlText.noteHelp))) var note: String?
    func run() throws { try perform(assignee: to) }
}

struct Escalate: TicketVerb {
    static let configuration = CommandConfiguration(abstract: t(CtlText.escalateAbstract))
    static let action = "escalate"
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.ticketIDHelp))) var id: Int64
    @Option(help: ArgumentHelp(t(CtlText.escalateNoteHelp))) var note: String?
    func run() throws { try perform() }
}

struct Start: TicketVerb {
    static let configuration = CommandConfiguration(abstract: t(CtlText.startAbstract))
    static let action = "start"
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.ticketIDHelp))) var id: Int64
    @Option(help: ArgumentHelp(t(CtlText.noteHelp))) var note: String?
    func run() throws { try perform() }
}

struct Resolve: TicketVerb {
    static let configuration = CommandConfiguration(abstract: t(CtlText.resolveAbstract))
    static let action = "resolve"
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.ticketIDHelp))) var id: Int64
    @Option(help: ArgumentHelp(t(CtlText.resolveNoteHelp))) var note: String?
    func run() throws { try perform() }
}

struct Verify: TicketVerb {
    static let configuration = CommandConfiguration(abstract: t(CtlText.verifyAbstract))
    static let action = "verify"
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.ticketIDHelp))) var id: Int64
    @Option(help: ArgumentHelp(t(CtlText.noteHelp))) var note: String?
    func run() throws { try perform() }
}

struct Close: TicketVerb {
    static let configuration = CommandConfiguration(abstract: t(CtlText.closeAbstract))
    static let action = "close"
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.ticketIDHelp))) var id: Int64
    @Option(help: ArgumentHelp(t(CtlText.noteHelp))) var note: String?
    func run() throws { try perform() }
}

struct FalseAlarm: TicketVerb {
    static let configuration = CommandConfiguration(commandName: "false-alarm", abstract: t(CtlText.falseAlarmAbstract))
    static let action = "false_alarm"
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.ticketIDHelp))) var id: Int64
    @Option(help: ArgumentHelp(t(CtlText.falseAlarmNoteHelp))) var note: String?
    func run() throws { try perform() }
}

struct Reopen: TicketVerb {
    static let configuration = CommandConfiguration(abstract: t(CtlText.reopenAbstract))
    static let action = "reopen"
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.ticketIDHelp))) var id: Int64
    @Option(help: ArgumentHelp(t(CtlText.reopenNoteHelp))) var note: String?
    func run() throws { try perform() }
}

struct Note: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: t(CtlText.noteAbstract))
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.ticketIDHelp))) var id: Int64
    @Argument(help: ArgumentHelp(t(CtlText.noteTextHelp))) var text: String

    func run() throws {
        let detail = try connection.call { c throws(ClientError) in
            try c.post("/v1/tickets/\(id)/notes", body: ActionRequest(note: text), as: TicketDetail.self)
        }
        if connection.json { return try connection.printJSON(detail) }
        print(t(CtlText.noteAdded(id: id)))
    }
}

struct ShowTicket: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ticket", abstract: t(CtlText.showTicketAbstract))
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.ticketIDHelp))) var id: Int64

    func run() throws {
        let detail = try connection.call { c throws(ClientError) in try c.get("/v1/tickets/\(id)", as: TicketDetail.self) }
        if connection.json { return try connection.printJSON(detail) }
        let ticket = detail.ticket
        print(t(CtlText.ticketHeading(id: ticket.id, title: ticket.title)))
        var fields: [(CtlText, String)] = [
            (.fieldState, t(Term(ticket.state.rawValue))),
            (.fieldSeverity, t(Term(ticket.severity.rawValue))),
            (.fieldCategory, t(Term(ticket.category.rawValue))),
            (.fieldCamera, ticket.cameraId),
            (.fieldZone, ticket.zoneId ?? "-"),
        ]
        if let line = ticket.tripwireId { fields.append((.fieldTripwire, line)) }
        fields.append((.fieldEvent, t(CtlText.eventKind(kind: ticket.kind, track: ticket.trackId))))
        if !detail.trajectory.isEmpty {
            let last = detail.trajectory.suffix(6).map { String(format: "(%.2f,%.2f)", $0.x, $0.y) }
            fields.append((.fieldTrajectory, t(CtlText.trajectory(points: detail.trajectory.count, last: last))))
        }
        fields.append((.fieldGrid, t(CtlText.gridAndAssignee(grid: ticket.gridId, assignee: ticket.assignee))))
        fields.append((.fieldOccurred, t(CtlText.occurred(at: shortTime(ticket.occurredAt), occurrences: ticket.occurrences ?? 1, last: shortTime(ticket.lastSeenAt)))))
        fields.append((.fieldDeadlines, t(CtlText.deadlines(acknowledgeBy: shortTime(ticket.ackDueAt), closeBy: shortTime(ticket.closeDueAt), overdue: ticket.overdue ?? []))))
        if ticket.repeatProblem == true {
            fields.append((.fieldRepeatProblem, t(CtlText.reopenedTimes(ticket.reopenCount ?? 0))))
        }
        if ticket.evidencePurged == true { fields.append((.fieldEvidence, t(CtlText.evidencePurged))) }
        if let next = detail.allowedActions {
            let actions = next.map(\.rawValue)
            fields.append((.fieldNext, t(CtlText.nextActions(actions: actions, commands: actions.map(command(forAction:))))))
        }
        fields.append((.fieldSnapshot, t(ticket.hasSnapshot ? CtlText.snapshotAvailable(ticket: ticket.id) : .noSnapshot)))
        if let clip = ticket.clip {
            fields.append((.fieldClip, t(CtlText.clipAvailable(ticket: ticket.id, seconds: Int(clip.seconds.rounded()), end: clip.end))))
        }
        if let number = ticket.caseNumber { fields.append((.fieldCase, "\(number) (\(ticket.casePlatform ?? "-"))")) }
        let pictured = (detail.occurrences ?? []).filter(\.hasSnapshot)
        if !pictured.isEmpty {
            let list = pictured.suffix(8).map { "#\($0.id) \(shortTime($0.at))" }
            fields.append((.fieldRepeatSnapshots, t(CtlText.repeatSnapshots(count: pictured.count, list: list, ticket: ticket.id))))
        }
        printFields(fields, indent: "  ")
        print("  " + t(CtlText.historyHeading))
        let headers: [CtlText] = [.columnActor, .columnEvent, .columnFrom, .columnTo, .columnNote]
        var table = Table(headers: ["    " + t(CtlText.columnTime)] + headers.map(t))
        for e in detail.events {
            table.rows.append([
                "    " + shortTime(e.at), e.actor, t(Term(e.kind)), e.fromState.map { t(Term($0.rawValue)) } ?? "-", e.toState.map { t(Term($0.rawValue)) } ?? "-", e.note ?? "",
            ])
        }
        print(table.render())
    }
}

struct Snapshot: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: t(CtlText.snapshotAbstract))
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.ticketIDHelp))) var id: Int64
    @Option(help: ArgumentHelp(t(CtlText.occurrenceHelp))) var occurrence: Int64?
    @Option(name: .shortAndLong, help: ArgumentHelp(t(CtlText.jpegOutputHelp))) var output: String

    func run() throws { try saveEvidence("snapshot", ticket: id, occurrence: occurrence, connection: connection, to: output) }
}

/// A ticket's (or one of its repeat alerts') evidence file, `kind` `snapshot` or `clip`, saved to `output`.
func saveEvidence(_ kind: String, ticket id: Int64, occurrence: Int64?, connection: Connection, to output: String) throws {
    let path = occurrence.map { "/v1/tickets/\(id)/occurrences/\($0)/\(kind)" } ?? "/v1/tickets/\(id)/\(kind)"
    let bytes = try connection.call { c throws(ClientError) in try c.getBytes(path) }
    try writeOut(bytes, to: output)
}

struct Clip: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: t(CtlText.clipAbstract))
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.ticketIDHelp))) var id: Int64
    @Option(help: ArgumentHelp(t(CtlText.occurrenceHelp))) var occurrence: Int64?
    @Option(name: .shortAndLong, help: ArgumentHelp(t(CtlText.mp4OutputHelp))) var output: String

    func run() throws { try saveEvidence("clip", ticket: id, occurrence: occurrence, connection: connection, to: output) }
}

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: t(CtlText.watchAbstract))
    @OptionGroup var connection: Connection
    @Option(help: ArgumentHelp(t(CtlText.afterHelp))) var after: String?
    @Flag(help: ArgumentHelp(t(CtlText.eachRepeatHelp))) var eachRepeat = false

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
                printError(t(CtlText.streamEnded))
            } catch {
                switch error {
                case .refused(let status, let reason):
                    printError(t(CtlText.refused(status: status, reason: reason)))
                    throw Exit.refused
                case .permissionDenied, .localWrite:
                    // Not going to change by waiting: said once, as every command says it.
                    _ = try connection.call { _ throws(ClientError) in throw error }
                case let .unreachable(path, reason, code):
                    if !announcedDown {
                        printError(t(CtlText.streamUnreachable(path: path, reason: t(CtlText.socketError(code: code, reason: reason)))))
                        announcedDown = true
                    }
                case let .badResponse(why):
                    if !announcedDown {
                        printError(t(CtlText.streamUnreadable(detail: why)))
                        announcedDown = true
                    }
                }
            }
            Thread.sleep(forTimeInterval: 2)
        }
    }

    static func line(_ event: ServerSentEvent, json: Bool) -> String {
        if json { return event.data }
        if event.event == "reset" { return t(CtlText.missedChanges) }
        guard let live = try? ControlAPI.decoder().decode(LiveEvent.self, from: Data(event.data.utf8)) else { return event.data }
        return line(live)
    }

    /// "ticket #5  12 more repeat alerts (23 in all)", with the last one's time.
    static func line(_ c: RepeatDigest.Count) -> String {
        let ticket = c.ticket
        let place = [ticket.cameraId, ticket.zoneId ?? ticket.tripwireId].compactMap { $0 }.joined(separator: "/")
        return "\(shortTime(c.last))  "
            + t(CtlText.repeatDigest(ticket: ticket.id, repeats: c.repeats, all: ticket.occurrences ?? 1, place: place, title: ticket.title))
    }

    static func line(_ live: LiveEvent) -> String {
        let time = shortTime(live.at)
        if live.type == "camera" {
            return "\(time)  " + t(CtlText.cameraChange(camera: live.cameraId ?? "-", from: live.previousState ?? "-", to: live.state ?? "-"))
        }
        guard let ticket = live.ticket else { return "\(time)  \(live.type) \(live.change ?? "")" }
        let place = [ticket.cameraId, ticket.zoneId ?? ticket.tripwireId].compactMap { $0 }.joined(separator: "/")
        return "\(time)  " + t(CtlText.ticketChange(ticket: ticket.id, change: live.change ?? "-", state: ticket.state.rawValue, severity: ticket.severity.rawValue,
                                                      place: place, title: ticket.title, actor: live.actor ?? "-"))
    }
}
