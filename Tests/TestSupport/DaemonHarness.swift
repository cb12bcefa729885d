import ControlClient
import ControlProtocol
import Foundation

/// A real `gridwatchd` process with its own data folder and control socket.
public final class DaemonHarness: @unchecked Sendable {
    // @unchecked: used from the one test that owns it.
    public let dir: TemporaryDirectory
    public let child: ChildProcess
    public let client: ControlClient
    public let configPath: String

    /// Writes `body` (grids and cameras, YAML) under a `daemon:` section pointing into `dir`,
    /// starts the daemon and waits until its socket answers.
    public init(dir: TemporaryDirectory, body: String, daemonSection: String = "", environment: [String: String]? = nil) throws {
        self.dir = dir
        configPath = dir.path("gridwatch.yml")
        try ("daemon:\n  data_dir: data\n  socket: control.sock\n" + daemonSection + body).write(toFile: configPath, atomically: true, encoding: .utf8)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment ?? [:] { env[k] = v }
        child = try ChildProcess(Paths.executable("gridwatchd").path, ["run", "--config", configPath], environment: env, logPath: dir.path("daemon.log"))
        client = ControlClient(socketPath: dir.path("control.sock"), timeout: 10)
        let client = self.client
        guard waitUntil(timeout: 30, { (try? client.get("/v1/health", as: HealthResponse.self)) != nil }) else {
            let log = child.log
            child.stop()
            throw CommandFailed(command: "gridwatchd", status: -1, output: "socket never answered: \(log)")
        }
    }

    public var log: String { child.log }

    public func cameras() -> [CameraStatus] {
        (try? client.get("/v1/cameras", as: CameraList.self))?.cameras ?? []
    }

    public func camera(_ id: String) -> CameraStatus? {
        cameras().first { $0.id == id }
    }

    /// Wait until camera `id` satisfies `condition`.
    public func waitForCamera(_ id: String, timeout: Double, _ condition: (CameraStatus) -> Bool) -> Bool {
        waitUntil(timeout: timeout) { camera(id).map(condition) ?? false }
    }

    public func tickets(_ query: String = "") -> TicketList {
        (try? client.get("/v1/tickets\(query.isEmpty ? "" : "?" + query)", as: TicketList.self)) ?? TicketList(tickets: [], total: 0)
    }

    /// Open file descriptors and threads of the daemon process.
    public var openFileDescriptors: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(child.pid)/fd").count) ?? -1
    }

    public var threads: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(child.pid)/task").count) ?? -1
    }

    /// SIGTERM, then SIGKILL after 5 s; false when it had to be killed.
    @discardableResult
    public func stop() -> Bool { child.stop() }
}

/// A free TCP port on 127.0.0.1 (nothing listens on it when this returns).
public func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}
