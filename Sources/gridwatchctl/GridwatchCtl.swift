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
        subcommands: [Health.self, Cameras.self, Tickets.self, ShowTicket.self, Snapshot.self])
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
        print("工单 tickets:     \(health.ticketsTotal)")
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

struct Tickets: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List tickets, newest first. 列出工单。")
    @OptionGroup var connection: Connection
    @Option(help: "Only tickets in this state (new, acknowledged, ...).") var state: String?
    @Option(help: "Only tickets of this camera.") var camera: String?
    @Option(help: "Only tickets of this zone.") var zone: String?
    @Option(help: "At most this many (1-1000).") var limit = 50

    func run() throws {
        var items = [URLQueryItem(name: "limit", value: "\(limit)")]
        if let state { items.append(URLQueryItem(name: "state", value: state)) }
        if let camera { items.append(URLQueryItem(name: "camera", value: camera)) }
        if let zone { items.append(URLQueryItem(name: "zone", value: zone)) }
        var components = URLComponents()
        components.path = "/v1/tickets"
        components.queryItems = items
        let path = components.string ?? "/v1/tickets"
        let list = try connection.call { c throws(ClientError) in try c.get(path, as: TicketList.self) }
        if connection.json { return try connection.printJSON(list) }
        var table = Table(headers: ["ID", "时间 TIME", "状态 STATE", "级别 SEV", "类别 CATEGORY", "摄像头 CAMERA", "区域/线 ZONE/LINE", "网格 GRID", "标题 TITLE"])
        for t in list.tickets {
            table.rows.append(["\(t.id)", shortTime(t.occurredAt), t.state.rawValue, t.severity.rawValue, t.category.rawValue, t.cameraId, t.zoneId ?? t.tripwireId ?? "-", t.gridId, t.title])
        }
        print(table.render())
        print("\(list.tickets.count) / \(list.total) 张工单 tickets")
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
        print("  网格 grid:      \(t.gridId)")
        print("  发生 occurred:  \(shortTime(t.occurredAt))")
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
