import ArgumentParser
import Catalog
import ControlClient
import ControlProtocol
import Foundation

/// The API path of one item of `collection` (`cameras`, `nodes` …) by the id the user
/// typed, which may hold anything, `/` included: it is one path segment, percent-encoded.
func itemPath(_ collection: String, _ id: String, _ rest: String = "") -> String {
    "/v1/\(collection)/" + (id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? id) + rest
}

/// The API path of a camera by the id the user typed.
func cameraPath(_ id: String, _ rest: String = "") -> String { itemPath("cameras", id, rest) }

func printCamera(_ c: CameraStatus) {
    var fields: [(CtlText, String)] = [
        (.fieldName, c.name),
        (.fieldGrid, c.gridId),
        (.fieldState, t(Term(c.state))),
        (.fieldSource, c.source),
    ]
    if !c.enabled {
        fields.append((.fieldDisabled, t(CtlText.disabledDetail(by: c.disabledBy ?? "-", at: shortTime(c.disabledAt), reason: c.disabledReason))))
    } else {
        fields += [
            (.fieldSize, c.width.map { "\($0)x\(c.height ?? 0)" } ?? "-"),
            (.fieldCodec, c.codec ?? "-"),
            (.fieldFPS, t(CtlText.framesPerSecond(input: String(format: "%.1f", c.inputFps), analysed: String(format: "%.1f", c.analysedFps)))),
            (.fieldFrames, t(CtlText.frameCounts(decoded: c.framesDecoded, analysed: c.framesAnalysed, dropped: c.framesDropped))),
            (.fieldErrors, t(CtlText.errorCounts(decodeErrors: c.decodeErrors, reconnects: c.reconnects))),
            (.fieldLastFrame, shortTime(c.lastFrameAt)),
        ]
        if let since = c.offlineSince { fields.append((.fieldOffline, t(CtlText.since(shortTime(since))))) }
        if let e = c.lastError { fields.append((.fieldLastError, e)) }
        if let mode = c.sceneMode { fields.append((.fieldSceneMode, mode == "night" ? Term(mode).text(language) : t(CtlText.sceneDay))) }
        if let tampered = c.tampered {
            fields.append((.fieldPicture, tampered.isEmpty ? t(CtlText.pictureSound) : tampered.map { Term($0).text(language) }.joined(separator: "、")))
        }
    }
    fields.append((.fieldZones, (c.zones ?? []).isEmpty ? "-" : c.zones!.joined(separator: ", ")))
    fields.append((.fieldTripwires, (c.tripwires ?? []).isEmpty ? "-" : c.tripwires!.joined(separator: ", ")))
    print(t(CtlText.cameraHeading(id: c.id)))
    printFields(fields, indent: "  ")
}

struct ShowCamera: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "camera", abstract: t(CtlText.showCameraAbstract))
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.cameraIDHelp))) var id: String

    func run() throws {
        let camera = try connection.call { c throws(ClientError) in try c.get(cameraPath(id), as: CameraStatus.self) }
        if connection.json { return try connection.printJSON(camera) }
        printCamera(camera)
    }
}

struct CameraSnapshot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "camera-snapshot", abstract: t(CtlText.cameraSnapshotAbstract))
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.cameraIDHelp))) var id: String
    @Option(name: .shortAndLong, help: ArgumentHelp(t(CtlText.jpegOutputHelp))) var output: String

    func run() throws {
        let bytes = try connection.call { c throws(ClientError) in try c.getBytes(cameraPath(id, "/snapshot")) }
        try writeOut(bytes, to: output)
    }
}

/// Switch a camera on or off (administrators).
protocol CameraSwitch: ParsableCommand {
    static var verb: String { get }
    var connection: Connection { get }
    var id: String { get }
    var reason: String? { get }
}

extension CameraSwitch {
    func perform() throws {
        let answer = try connection.call { c throws(ClientError) in
            try c.post(cameraPath(id, "/\(Self.verb)"), body: CameraActionRequest(reason: reason), as: CameraActionResponse.self)
        }
        if connection.json { return try connection.printJSON(answer) }
        print(t(answer.changed
                ? CtlText.cameraSwitched(id: id, state: answer.camera.state)
                : .cameraUnchanged(id: id, state: answer.camera.state, enabled: answer.camera.enabled)))
    }
}

struct Enable: CameraSwitch {
    static let configuration = CommandConfiguration(abstract: t(CtlText.enableAbstract))
    static let verb = "enable"
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.cameraIDHelp))) var id: String
    var reason: String? { nil }
    func run() throws { try perform() }
}

struct Disable: CameraSwitch {
    static let configuration = CommandConfiguration(abstract: t(CtlText.disableAbstract))
    static let verb = "disable"
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.cameraIDHelp))) var id: String
    @Option(help: ArgumentHelp(t(CtlText.disableReasonHelp))) var reason: String?
    func run() throws { try perform() }
}

func printConfigReport(_ r: ConfigReport) {
    var fields: [(CtlText, String)] = [
        (.fieldFile, r.file),
        (.fieldRunning, t(CtlText.loaded(at: shortTime(r.loadedAt), by: r.loadedBy, cameras: r.cameras, grids: r.grids))),
    ]
    if let c = r.changes {
        func list(_ ids: [String]) -> String { ids.isEmpty ? "-" : ids.joined(separator: ", ") }
        fields += [
            (.fieldAdded(applied: r.applied), list(c.added)),
            (.fieldRemoved(applied: r.applied), list(c.removed)),
            (.fieldReconnected(applied: r.applied), list(c.restarted)),
            (.fieldRulesUpdated(applied: r.applied), list(c.rulesChanged)),
            (.fieldUnchanged, list(c.unchanged)),
        ]
        if !c.sections.isEmpty { fields.append((.fieldSections, list(c.sections))) }
        if !c.restartRequired.isEmpty { fields.append((.fieldNeedRestart, list(c.restartRequired))) }
    }
    printFields(fields)
    for e in r.errors {
        printError("\(e.file)\(e.line.map { ":\($0)" } ?? ""): \(e.key.isEmpty ? "" : e.key + ": ")\(e.message)")
    }
}

struct ShowConfig: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: t(CtlText.showConfigAbstract))
    @OptionGroup var connection: Connection

    func run() throws {
        let report = try connection.call { c throws(ClientError) in try c.get("/v1/config", as: ConfigReport.self) }
        if connection.json { return try connection.printJSON(report) }
        printConfigReport(report)
    }
}

/// `check-config` and `reload`: the same report, 422 for a bad file.
protocol ConfigCommand: ParsableCommand {
    static var path: String { get }
    var connection: Connection { get }
}

extension ConfigCommand {
    func perform() throws {
        let (status, report) = try connection.call { c throws(ClientError) in
            try c.exchange("POST", Self.path, as: ConfigReport.self, alsoAccepting: [422])
        }
        if connection.json {
            try connection.printJSON(report)
        } else {
            if report.valid {
                print(t(report.applied ? CtlText.configReloaded : .configValid))
            } else {
                printError(t(Self.path == "/v1/config/check" ? CtlText.configHasErrors : .configNotLoaded))
            }
            printConfigReport(report)
        }
        if status == 422 { throw Exit.refused }
    }
}

struct CheckConfig: ConfigCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: t(CtlText.checkConfigAbstract))
    static let path = "/v1/config/check"
    @OptionGroup var connection: Connection
    func run() throws { try perform() }
}

struct Reload: ConfigCommand {
    static let configuration = CommandConfiguration(abstract: t(CtlText.reloadAbstract))
    static let path = "/v1/reload"
    @OptionGroup var connection: Connection
    func run() throws { try perform() }
}

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: t(CtlText.backupAbstract))
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.backupFileHelp))) var file: String

    func run() throws {
        // A destination this machine cannot write is said before the daemon does any work.
        let folder = URL(fileURLWithPath: file).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            printError(t(CtlText.noFolder(file: file, folder: folder)))
            throw Exit.refused
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            printError(t(CtlText.noWritePermission(file: file, folder: folder)))
            throw Exit.refused
        }
        let bytes = try connection.call { c throws(ClientError) in try c.download("/v1/backup", to: file) }
        if connection.json { return try connection.printJSON(["file": file, "bytes": "\(bytes)"]) }
        print(t(CtlText.backedUp(file: file, kib: bytes / 1024)))
    }
}

// MARK: - Notifications

struct NotifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify", abstract: t(CtlText.notifyAbstract),
        subcommands: [NotifyList.self, NotifyRetry.self, NotifyDrop.self, NotifyEnable.self], defaultSubcommand: NotifyList.self)
}

struct NotifyList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: t(CtlText.notifyListAbstract))
    @OptionGroup var connection: Connection

    func run() throws {
        let list = try connection.call { c throws(ClientError) in try c.get("/v1/notify", as: NotifyStatusList.self) }
        if connection.json { return try connection.printJSON(list) }
        if list.destinations.isEmpty { return print(t(CtlText.noDestinations)) }
        var table = Table(headers: t(CtlText.notifyHeader).components(separatedBy: "\t"))
        table.neverCut = [7, 8]
        for d in list.destinations {
            table.rows.append([d.id, d.type, d.target, "\(d.pending)", "\(d.due)", "\(d.delivered)", "\(d.deadLetters)",
                               shortTime(d.lastSuccessAt), shortTime(d.oldestPendingAt)])
        }
        print(table.render())
        for d in list.destinations {
            if d.disabled { print(t(CtlText.notifyDisabledLine(destination: d.id, reason: d.disabledReason ?? "-"))) }
            if let until = d.pausedUntil { print(t(CtlText.notifyPausedLine(destination: d.id, until: shortTime(until)))) }
            if let e = d.lastError, (d.lastErrorAt ?? .distantPast) > (d.lastSuccessAt ?? .distantPast) {
                print(t(CtlText.notifyErrorLine(destination: d.id, at: shortTime(d.lastErrorAt), error: e)))
            }
            for l in d.dead {
                print(t(CtlText.deadLetterLine(destination: d.id, event: l.eventId, ticket: l.ticketId, sequence: l.sequence, type: l.type,
                                               attempts: l.attempts, error: l.lastError ?? "-")))
            }
        }
    }
}

/// retry, drop, enable: one destination, optionally one dead letter.
protocol NotifyAction: ParsableCommand {
    static var verb: String { get }
    var connection: Connection { get }
    var id: String { get }
    var event: Int64? { get }
}

extension NotifyAction {
    func run() throws {
        let path = itemPath("notify", id, "/\(Self.verb)")
        let answer = try connection.call { c throws(ClientError) in
            try c.post(path, body: DeadLetterRequest(eventId: event), as: NotifyActionResult.self)
        }
        if connection.json { return try connection.printJSON(answer) }
        print(t(CtlText.notifyDone(verb: Self.verb, destination: answer.destination, count: answer.count)))
    }
}

struct NotifyRetry: NotifyAction {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: t(CtlText.notifyRetryAbstract))
    static let verb = "retry"
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.destinationIDHelp))) var id: String
    @Option(name: .long, help: ArgumentHelp(t(CtlText.deadLetterIDHelp))) var event: Int64?
}

struct NotifyDrop: NotifyAction {
    static let configuration = CommandConfiguration(commandName: "drop", abstract: t(CtlText.notifyDropAbstract))
    static let verb = "drop"
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.destinationIDHelp))) var id: String
    @Option(name: .long, help: ArgumentHelp(t(CtlText.deadLetterIDHelp))) var event: Int64?
}

struct NotifyEnable: NotifyAction {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: t(CtlText.notifyEnableAbstract))
    static let verb = "enable"
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.destinationIDHelp))) var id: String
    var event: Int64? { nil }
}

// MARK: - Console users

struct ConsoleUserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console-user", abstract: t(CtlText.consoleUserAbstract),
        subcommands: [ConsoleUserListCommand.self, ConsoleUserAdd.self, ConsoleUserPasswd.self, ConsoleUserDisable.self, ConsoleUserEnable.self],
        defaultSubcommand: ConsoleUserListCommand.self)

    static func path(_ name: String, _ verb: String) -> String {
        itemPath("console-users", name, "/" + verb)
    }

    /// The password: typed twice without echo on a terminal, else the first line of standard
    /// input (a script's `printf '%s\n' "$PW" |`). Never an argument: those show in `ps`.
    static func readPassword() throws -> String {
        if isatty(0) == 1 {
            let first = try prompt(t(CtlText.passwordPrompt))
            let again = try prompt(t(CtlText.passwordAgainPrompt))
            guard first == again else { throw ValidationError(t(CtlText.passwordsDiffer)) }
            return first
        }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError(t(CtlText.passwordNeeded)) }
        return line
    }

    private static func prompt(_ text: String) throws -> String {
        FileHandle.standardError.write(Data(text.utf8))
        var saved = termios()
        tcgetattr(0, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(0, TCSANOW, &quiet)
        defer {
            tcsetattr(0, TCSANOW, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError(t(CtlText.passwordNeeded)) }
        return line
    }
}

struct ConsoleUserListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: t(CtlText.consoleUserListAbstract))
    @OptionGroup var connection: Connection

    func run() throws {
        let list = try connection.call { c throws(ClientError) in try c.get("/v1/console-users", as: ConsoleUserList.self) }
        if connection.json { return try connection.printJSON(list) }
        if list.users.isEmpty { return print(t(CtlText.noConsoleUsers)) }
        var table = Table(headers: t(CtlText.consoleUserHeader).components(separatedBy: "\t"))
        table.neverCut = [5]
        for u in list.users {
            table.rows.append([u.name, t(Term(u.role.rawValue)), u.grids.isEmpty ? "*" : u.grids.joined(separator: ","), u.language,
                               t(Term(u.disabled ? "disabled" : "enabled")), shortTime(u.lastLoginAt)])
        }
        print(table.render())
    }
}

struct ConsoleUserAdd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: t(CtlText.consoleUserAddAbstract))
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.consoleUserNameHelp))) var name: String
    @Option(name: .long, help: ArgumentHelp(t(CtlText.consoleRoleHelp(roles: ["viewer", "operator", "corrections", "admin"])))) var role: String
    @Option(name: .long, help: ArgumentHelp(t(CtlText.consoleGridHelp))) var grid: [String] = []
    @Option(name: .long, help: ArgumentHelp(t(CtlText.consoleLanguageHelp))) var language: String = "zh"

    func run() throws {
        let password = try ConsoleUserCommand.readPassword()
        let user = try connection.call { c throws(ClientError) in
            try c.post("/v1/console-users", body: ConsoleUserRequest(name: name, role: role, grids: grid, language: language, password: password),
                       as: ConsoleUserInfo.self)
        }
        if connection.json { return try connection.printJSON(user) }
        print(t(CtlText.consoleUserDone(verb: "add", name: user.name)))
    }
}

struct ConsoleUserPasswd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "passwd", abstract: t(CtlText.consoleUserPasswdAbstract))
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.consoleUserNameHelp))) var name: String

    func run() throws {
        let password = try ConsoleUserCommand.readPassword()
        let user = try connection.call { c throws(ClientError) in
            try c.post(ConsoleUserCommand.path(name, "password"), body: ConsoleUserRequest(password: password), as: ConsoleUserInfo.self)
        }
        if connection.json { return try connection.printJSON(user) }
        print(t(CtlText.consoleUserDone(verb: "passwd", name: user.name)))
    }
}

/// disable, enable: one account, no body.
protocol ConsoleUserSwitch: ParsableCommand {
    static var verb: String { get }
    var connection: Connection { get }
    var name: String { get }
}

extension ConsoleUserSwitch {
    func run() throws {
        let user = try connection.call { c throws(ClientError) in
            try c.post(ConsoleUserCommand.path(name, Self.verb), body: Optional<ActionRequest>.none, as: ConsoleUserInfo.self)
        }
        if connection.json { return try connection.printJSON(user) }
        print(t(CtlText.consoleUserDone(verb: Self.verb, name: user.name)))
    }
}

struct ConsoleUserDisable: ConsoleUserSwitch {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: t(CtlText.consoleUserDisableAbstract))
    static let verb = "disable"
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.consoleUserNameHelp))) var name: String
}

struct ConsoleUserEnable: ConsoleUserSwitch {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: t(CtlText.consoleUserEnableAbstract))
    static let verb = "enable"
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.consoleUserNameHelp))) var name: String
}

// MARK: - Nodes (several daemons, one PostgreSQL store)

struct Nodes: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: t(CtlText.nodesAbstract))
    @OptionGroup var connection: Connection

    func run() throws {
        let list = try connection.call { c throws(ClientError) in try c.get("/v1/nodes", as: NodeList.self) }
        if connection.json { return try connection.printJSON(list) }
        var table = Table(headers: ["ID"] + [CtlText.columnLive, .columnHeartbeat, .columnCameras, .columnCPU, .columnDraining].map(t))
        for n in list.nodes {
            table.rows.append([
                n.id + (n.this ? " *" : ""), n.live ? "✓" : "✗", String(format: "%.1f", n.heartbeatAge), "\(n.cameras)",
                n.cpu.map { String(format: "%.2f", $0) } ?? "-", n.draining ? "✓" : "",
            ])
        }
        print(table.render())
    }
}

struct NodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "node", abstract: t(CtlText.nodeAbstract),
                                                    subcommands: [NodeDrain.self, NodeUndrain.self, NodeForget.self])
}

protocol NodeAction: ParsableCommand {
    static var verb: String { get }
    var connection: Connection { get }
    var id: String { get }
}

extension NodeAction {
    func run() throws {
        let path = itemPath("nodes", id, "/\(Self.verb)")
        let answer = try connection.call { c throws(ClientError) in try c.post(path, body: EmptyBody(), as: NodeActionResult.self) }
        if connection.json { return try connection.printJSON(answer) }
        print(t(CtlText.nodeDone(node: answer.node, draining: answer.draining)))
    }
}

struct NodeDrain: NodeAction {
    static let configuration = CommandConfiguration(commandName: "drain", abstract: t(CtlText.nodeDrainAbstract))
    static let verb = "drain"
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.nodeIDHelp))) var id: String
}

struct NodeUndrain: NodeAction {
    static let configuration = CommandConfiguration(commandName: "undrain", abstract: t(CtlText.nodeUndrainAbstract))
    static let verb = "undrain"
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.nodeIDHelp))) var id: String
}

struct NodeForget: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "forget", abstract: t(CtlText.nodeForgetAbstract))
    @OptionGroup var connection: Connection
    @Argument(help: ArgumentHelp(t(CtlText.nodeIDHelp))) var id: String

    func run() throws {
        let path = itemPath("nodes", id, "/forget")
        let answer = try connection.call { c throws(ClientError) in try c.post(path, body: EmptyBody(), as: NodeForgotten.self) }
        if connection.json { return try connection.printJSON(answer) }
        print(t(CtlText.nodeForgotten(node: answer.node, leases: answer.leasesFreed)))
    }
}

/// A request without a body.
struct EmptyBody: Encodable {}
