import ArgumentParser
import ControlClient
import ControlProtocol
import Foundation

/// Path segment for a camera id typed by the user.
func cameraPath(_ id: String, _ rest: String = "") -> String {
    "/v1/cameras/" + (id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? id) + rest
}

func printCamera(_ c: CameraStatus) {
    var fields: [(String, String)] = [
        (L("名称", "name"), c.name),
        (L("网格", "grid"), c.gridId),
        (L("状态", "state"), term(c.state)),
        (L("来源", "source"), c.source),
    ]
    if !c.enabled {
        fields.append((L("停用", "disabled"), "\(c.disabledBy ?? "-")" + L("，", ", ") + shortTime(c.disabledAt) + (c.disabledReason.map { L("，原因：\($0)", ": \($0)") } ?? "")))
    } else {
        fields += [
            (L("分辨率", "size"), c.width.map { "\($0)x\(c.height ?? 0)" } ?? "-"),
            (L("编码", "codec"), c.codec ?? "-"),
            (L("帧率", "fps"), String(format: L("输入 %.1f，分析 %.1f", "in %.1f, analysed %.1f"), c.inputFps, c.analysedFps)),
            (L("帧数", "frames"), L("已解码 \(c.framesDecoded)，已分析 \(c.framesAnalysed)，丢弃 \(c.framesDropped)",
                                   "decoded \(c.framesDecoded), analysed \(c.framesAnalysed), dropped \(c.framesDropped)")),
            (L("错误", "errors"), L("解码错误 \(c.decodeErrors)，重连 \(c.reconnects) 次", "\(c.decodeErrors) decode errors, \(c.reconnects) reconnects")),
            (L("最近一帧", "last frame"), shortTime(c.lastFrameAt)),
        ]
        if let since = c.offlineSince { fields.append((L("离线", "offline"), L("自 \(shortTime(since)) 起", "since \(shortTime(since))"))) }
        if let e = c.lastError { fields.append((L("最近错误", "last error"), e)) }
    }
    fields.append((L("区域", "zones"), (c.zones ?? []).isEmpty ? "-" : c.zones!.joined(separator: ", ")))
    fields.append((L("警戒线", "tripwires"), (c.tripwires ?? []).isEmpty ? "-" : c.tripwires!.joined(separator: ", ")))
    print(L("摄像头 \(c.id)", "Camera \(c.id)"))
    printFields(fields, indent: "  ")
}

struct ShowCamera: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "camera", abstract: L("查看一个摄像头及其状态。", "One camera and its state."))
    @OptionGroup var connection: Connection
    @Argument(help: "Camera id.") var id: String

    func run() throws {
        let camera = try connection.call { c throws(ClientError) in try c.get(cameraPath(id), as: CameraStatus.self) }
        if connection.json { return try connection.printJSON(camera) }
        printCamera(camera)
    }
}

struct CameraSnapshot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "camera-snapshot", abstract: L("保存摄像头当前画面（JPEG，隐私遮挡区域为黑色）。", "Save a camera's current picture (JPEG, privacy masks black)."))
    @OptionGroup var connection: Connection
    @Argument(help: "Camera id.") var id: String
    @Option(name: .shortAndLong, help: "Where to write the JPEG.") var output: String

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
        let state = term(answer.camera.state)
        print(answer.changed
              ? L("摄像头 \(id) → \(state)", "camera \(id) → \(answer.camera.state)")
              : L("摄像头 \(id) 本来就是\(state)，未改变", "camera \(id) already was \(answer.camera.enabled ? "enabled" : "disabled"); nothing changed"))
    }
}

struct Enable: CameraSwitch {
    static let configuration = CommandConfiguration(abstract: L("启用摄像头（管理员）。", "Switch a camera back on (administrators)."))
    static let verb = "enable"
    @OptionGroup var connection: Connection
    @Argument(help: "Camera id.") var id: String
    var reason: String? { nil }
    func run() throws { try perform() }
}

struct Disable: CameraSwitch {
    static let configuration = CommandConfiguration(
        abstract: L("停用摄像头（管理员）：不再拉流、不再分析，不产生离线工单；重启后仍保持停用。",
                    "Switch a camera off (administrators): not pulled, not analysed, no offline tickets; stays off across restarts."))
    static let verb = "disable"
    @OptionGroup var connection: Connection
    @Argument(help: "Camera id.") var id: String
    @Option(help: "Why (shown with the camera's state).") var reason: String?
    func run() throws { try perform() }
}

func printConfigReport(_ r: ConfigReport) {
    var fields: [(String, String)] = [
        (L("配置文件", "file"), r.file),
        (L("当前配置", "running"), L("\(shortTime(r.loadedAt)) 由 \(r.loadedBy) 加载，\(r.cameras) 个摄像头，\(r.grids) 个网格",
                                    "loaded \(shortTime(r.loadedAt)) by \(r.loadedBy): \(r.cameras) cameras, \(r.grids) grids")),
    ]
    if let c = r.changes {
        func list(_ ids: [String]) -> String { ids.isEmpty ? "-" : ids.joined(separator: ", ") }
        let verb = r.applied ? L("已", "") : L("将", "")
        fields += [
            (L("\(verb)新增", r.applied ? "added" : "to add"), list(c.added)),
            (L("\(verb)移除", r.applied ? "removed" : "to remove"), list(c.removed)),
            (L("\(verb)重连", r.applied ? "reconnected" : "to reconnect"), list(c.restarted)),
            (L("规则\(verb)更新", r.applied ? "rules updated" : "rules to update"), list(c.rulesChanged)),
            (L("不变", "unchanged"), list(c.unchanged)),
        ]
        if !c.sections.isEmpty { fields.append((L("其他部分", "sections"), list(c.sections))) }
        if !c.restartRequired.isEmpty { fields.append((L("需重启生效", "need a restart"), list(c.restartRequired))) }
    }
    printFields(fields)
    for e in r.errors {
        printError("\(e.file)\(e.line.map { ":\($0)" } ?? ""): \(e.key.isEmpty ? "" : e.key + ": ")\(e.message)")
    }
}

struct ShowConfig: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: L("当前运行的配置：文件、加载时间、加载者（管理员）。", "The running configuration: file, when and by whom it was loaded (administrators)."))
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
                print(report.applied ? L("配置已重新加载。", "configuration reloaded.") : L("配置文件有效。", "the configuration file is valid."))
            } else {
                printError(Self.path == "/v1/config/check"
                           ? L("配置文件有误：", "the configuration file has errors:")
                           : L("配置文件有误，未加载，仍使用当前配置：", "the configuration file has errors; not loaded, the running configuration is kept:"))
            }
            printConfigReport(report)
        }
        if status == 422 { throw Exit.refused }
    }
}

struct CheckConfig: ConfigCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: L("检查守护进程的配置文件，说明重新加载会改变什么（管理员）。", "Validate the daemon's configuration file and say what a reload would change (administrators)."))
    static let path = "/v1/config/check"
    @OptionGroup var connection: Connection
    func run() throws { try perform() }
}

struct Reload: ConfigCommand {
    static let configuration = CommandConfiguration(
        abstract: L("重新加载配置文件（管理员）；有误则不加载。", "Reload the configuration file (administrators); a bad file changes nothing."))
    static let path = "/v1/reload"
    @OptionGroup var connection: Connection
    func run() throws { try perform() }
}

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: L("在运行中备份工单库（SQLite 在线备份，管理员）到文件。快照图片是普通文件，另行复制。",
                    "Back up the ticket store while the daemon runs (SQLite online backup; administrators). Snapshots are plain files: copy them separately."))
    @OptionGroup var connection: Connection
    @Argument(help: "Where to write the copy (written as FILE.partial, then renamed).") var file: String

    func run() throws {
        // A destination this machine cannot write is said before the daemon does any work.
        let folder = URL(fileURLWithPath: file).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            printError(L("无法写入 \(file)：目录 \(folder) 不存在", "cannot write \(file): no folder \(folder)"))
            throw Exit.refused
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            printError(L("无法写入 \(file)：没有目录 \(folder) 的写权限", "cannot write \(file): no permission to write in \(folder)"))
            throw Exit.refused
        }
        let bytes = try connection.call { c throws(ClientError) in try c.download("/v1/backup", to: file) }
        if connection.json { return try connection.printJSON(["file": file, "bytes": "\(bytes)"]) }
        print(L("已备份到 \(file)（\(bytes / 1024) KiB）", "backed up to \(file) (\(bytes / 1024) KiB)"))
    }
}
