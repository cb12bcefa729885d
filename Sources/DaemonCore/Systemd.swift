import Foundation
import Logging
import MediaIO
import NIOCore
import NIOPosix
import ServiceLifecycle
import Storage
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The systemd notification protocol (`sd_notify`), spoken directly: one datagram per
/// message to the `AF_UNIX` socket named by `NOTIFY_SOCKET` (a path, or an abstract
/// name when it starts with `@`). Without `NOTIFY_SOCKET` every call does nothing.
final class SystemdNotifier: Sendable {
    let socketPath: String?
    /// Half of `WATCHDOG_USEC` (systemd's advice), when the watchdog is on for this process.
    let watchdogInterval: Double?
    private let fd: Int32

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        fd = path == nil ? -1 : socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0,
           environment["WATCHDOG_PID"].map({ Int32($0) == getpid() }) ?? true {
            watchdogInterval = Double(usec) / 2_000_000
        } else {
            watchdogInterval = nil
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    var enabled: Bool { socketPath != nil && fd >= 0 }

    /// Send `message` (lines such as `READY=1`, `STATUS=...`); false if it could not be sent.
    @discardableResult
    func notify(_ message: String) -> Bool {
        guard let socketPath, fd >= 0 else { return false }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (path.first == 0 ? 0 : 1))
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                sendto(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL), sa, length)
            }
        }
        return sent == bytes.count
    }
}

/// Tells systemd when the daemon is ready, what it is doing, that it is alive, and that it
/// is stopping. Watchdog pings go out only while the event loop, the concurrency pool, the
/// health thread and the ticket store all answer: a deadlocked store or event loop stops
/// them and systemd restarts the daemon. A camera thread stuck in FFmpeg does not: that is
/// the camera's state (`stalled`, `offline`), shown and ticketed, not a daemon hang.
final class ServiceSupervisor: Service, Sendable {
    private let notifier: SystemdNotifier
    private let store: TicketStore
    private let cameras: CameraManager
    private let tickets: TicketService
    private let logger: Logger
    private let ready = Mutex((socket: false, cameras: false, sent: false))
    /// True while a store probe has not come back: a wedged store is not probed twice.
    private let probing = Atomic<Bool>(false)
    private let probeAnswered = Atomic<Bool>(true)

    init(notifier: SystemdNotifier, store: TicketStore, cameras: CameraManager, tickets: TicketService, logger: Logger) {
        self.notifier = notifier
        self.store = store
        self.cameras = cameras
        self.tickets = tickets
        self.logger = logger
    }

    /// The control socket listens.
    func socketListening() { markReady { $0.socket = true } }
    /// Every enabled camera has its threads.
    func camerasStarted() { markReady { $0.cameras = true } }

    private func markReady(_ change: (inout (socket: Bool, cameras: Bool, sent: Bool)) -> Void) {
        let send = ready.withLock { r -> Bool in
            change(&r)
            guard r.socket && r.cameras && !r.sent else { return false }
            r.sent = true
            return true
        }
        if send {
            notifier.notify("READY=1\nSTATUS=\(status())\nMAINPID=\(getpid())")
            logger.notice("ready", metadata: ["status": "\(status())"])
        }
    }

    /// One line for `systemctl status`: "3/4 cameras streaming, 1 disabled; store ok".
    func status() -> String {
        let list = cameras.list()
        let enabled = list.filter { $0.disabled == nil }
        let streaming = enabled.filter { $0.worker?.health.state == .streaming }.count
        let off = list.count - enabled.count
        let health = tickets.health
        return "\(streaming)/\(enabled.count) cameras streaming" + (off > 0 ? ", \(off) disabled" : "")
            + (health.ok ? "; store ok" : "; store failing (\(health.pending) alerts pending)")
    }

    func run() async throws {
        // Not started by systemd: nothing to tell, no thread to wake.
        guard notifier.enabled else {
            try? await gracefulShutdown()
            return
        }
        let stop = HealthThreadStop()
        let interval = notifier.watchdogInterval
        let statusEvery = 5.0
        let thread = Thread { [self] in
            var lastStatus = ""
            var nextStatus = 0.0
            var withheld = false
            let period = min(interval ?? statusEvery, statusEvery)
            while !stop.wait(seconds: period) {
                let now = MonotonicClock.seconds()
                if interval != nil {
                    let failing = unresponsive(within: min(2, period / 2))
                    if failing.isEmpty {
                        notifier.notify("WATCHDOG=1")
                        if withheld { logger.notice("watchdog: everything answers again; pings resumed") }
                        withheld = false
                    } else if !withheld {
                        logger.critical("watchdog: not answering; pings to systemd withheld", metadata: ["parts": "\(failing)"])
                        withheld = true
                    }
                }
                if now >= nextStatus && ready.withLock({ $0.sent }) {
                    let line = status()
                    if line != lastStatus { notifier.notify("STATUS=\(line)") }
                    lastStatus = line
                    nextStatus = now + statusEvery
                }
            }
        }
        thread.name = "supervisor"
        thread.start()
        try? await gracefulShutdown()
        notifier.notify("STOPPING=1\nSTATUS=stopping")
        stop.signal()
    }

    /// The parts that did not answer within `timeout` seconds.
    func unresponsive(within timeout: Double) -> [String] {
        var failing: [String] = []
        let deadline = DispatchTime.now() + timeout
        // The event loops that serve the control socket, every one of them.
        let loop = DispatchSemaphore(value: 0)
        let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
        for l in loops { l.execute { loop.signal() } }
        // The concurrency pool (the ticket service and the routes run there).
        let pool = DispatchSemaphore(value: 0)
        Task.detached { pool.signal() }
        // The store's writer.
        if !probing.exchange(true, ordering: .acquiringAndReleasing) {
            probeAnswered.store(false, ordering: .releasing)
            let store = self.store
            Thread.detachNewThread { [self] in
                if (try? store.probe()) != nil { probeAnswered.store(true, ordering: .releasing) }
                probing.store(false, ordering: .releasing)
            }
        }
        if loops.contains(where: { _ in loop.wait(timeout: deadline) == .timedOut }) { failing.append("event loop") }
        if pool.wait(timeout: deadline) == .timedOut { failing.append("concurrency pool") }
        // The store had until now to answer (this probe or the one before).
        while !probeAnswered.load(ordering: .acquiring) && DispatchTime.now() < deadline { usleep(2_000) }
        if !probeAnswered.load(ordering: .acquiring) { failing.append("ticket store") }
        if !cameras.healthLoopAlive(within: max(3, timeout * 2)) { failing.append("health loop") }
        return failing
    }
}
