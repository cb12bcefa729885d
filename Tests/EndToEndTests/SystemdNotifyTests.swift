import ControlClient
import ControlProtocol
import Foundation
import Synchronization
import Testing
import TestSupport

/// A datagram socket standing in for systemd's notification socket: the daemon is started
/// with `NOTIFY_SOCKET` pointing at it, as systemd does for `Type=notify`.
final class NotifySocket: Sendable {
    let path: String
    private let fd: Int32
    private let received = Mutex<[(at: Double, message: String)]>([])
    private let stopped = Atomic<Bool>(false)
    let start = Date()

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard bound == 0 else { throw CommandFailed(command: "bind \(path)", status: errno, output: "") }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !stopped.load(ordering: .acquiring) {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0 {
                    let text = String(decoding: buffer[0..<n], as: UTF8.self)
                    let at = Date().timeIntervalSince(start)
                    received.withLock { $0.append((at, text)) }
                }
            }
        }
        thread.start()
    }

    deinit {
        stopped.store(true, ordering: .releasing)
        usleep(200_000)
        close(fd)
        unlink(path)
    }

    var messages: [(at: Double, message: String)] { received.withLock { $0 } }
    var now: Double { Date().timeIntervalSince(start) }

    /// Times of datagrams with a line equal to `line`.
    func times(of line: String) -> [Double] {
        messages.filter { $0.message.split(separator: "\n").contains(Substring(line)) }.map(\.at)
    }
}

@Suite(.serialized) struct SystemdNotifyTests {
    @Test func readyStatusWatchdogAndStoppingAsSystemdExpectsThem() throws {
        let dir = try TemporaryDirectory("gw-notify")
        defer { dir.remove() }
        try Clips.testPattern(dir.path("clip.mp4"), seconds: 4)
        let notify = try NotifySocket(path: dir.path("notify.sock"))
        // WATCHDOG_USEC of 2 s: a ping every second.
        let daemon = try DaemonHarness(dir: dir, body: """
            grids:
              - id: g
            cameras:
              - id: cam
                grid: g
                source: \(dir.path("clip.mp4"))
                loop: true
                realtime: true
            """, environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "2000000"])
        defer { daemon.stop() }
        #expect(waitUntil(timeout: 10) { !notify.times(of: "READY=1").isEmpty }, "\(notify.messages) \(daemon.log)")
        let ready = try #require(notify.messages.first { $0.message.contains("READY=1") })
        #expect(ready.message.contains("STATUS=") && ready.message.contains("cameras streaming"), "\(ready.message)")
        // Pings at the rate asked for: over 5 s, about five.
        let from = notify.now
        Thread.sleep(forTimeInterval: 5)
        let pings = notify.times(of: "WATCHDOG=1").filter { $0 >= from }
        #expect(pings.count >= 4 && pings.count <= 7, "\(pings)")
        // Status lines follow the cameras.
        #expect(waitUntil(timeout: 10) { notify.messages.contains { $0.message.contains("STATUS=1/1 cameras streaming") } }, "\(notify.messages)")

        // SIGTERM: STOPPING=1, then a clean exit.
        daemon.child.signal(SIGTERM)
        let status = daemon.child.wait(timeout: 10)
        #expect(status == 0)
        #expect(!notify.times(of: "STOPPING=1").isEmpty, "\(notify.messages)")
        let order = notify.messages.map(\.message)
        let readyIndex = order.firstIndex { $0.contains("READY=1") } ?? .max
        let stoppingIndex = order.firstIndex { $0.contains("STOPPING=1") } ?? -1
        #expect(readyIndex < stoppingIndex)
        print("notify sequence: " + order.map { $0.replacingOccurrences(of: "\n", with: " | ") }.reduce(into: [String]()) { list, m in
            if list.last != m { list.append(m) }
        }.joined(separator: " ; "))
    }

    @Test func aWedgedStoreStopsThePings() throws {
        let dir = try TemporaryDirectory("gw-wedge")
        defer { dir.remove() }
        let notify = try NotifySocket(path: dir.path("notify.sock"))
        let daemon = try DaemonHarness(dir: dir, body: "grids:\n  - id: g\ncameras: []\n",
                                       environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "2000000"])
        defer { daemon.stop() }
        #expect(waitUntil(timeout: 10) { notify.times(of: "WATCHDOG=1").count >= 2 }, "\(notify.messages)")
        // Another process takes the database's write lock and keeps it: the store cannot
        // write, as when a statement of ours is stuck on the writer or the disk hangs. The
        // holder (Python's sqlite3 module) says when it has the lock, holds it until
        // SIGUSR1, then lets go and says so.
        let holder = try ChildProcess("/usr/bin/python3", ["-c", """
            import signal, sqlite3, sys
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1, signal.SIGTERM])
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("BEGIN EXCLUSIVE")
            print("locked", flush=True)
            signal.sigwait([signal.SIGUSR1])
            db.execute("ROLLBACK")
            print("released", flush=True)
            signal.sigwait([signal.SIGTERM])
            """, dir.path("data/gridwatch.sqlite")])
        defer { holder.signal(SIGKILL); _ = holder.wait(timeout: 5) }
        #expect(holder.readLine(timeout: 10) == "locked")
        let wedgedAt = notify.now
        #expect(waitUntil(timeout: 10) { daemon.log.contains("pings to systemd withheld") }, "\(daemon.log)")
        let silence = notify.now
        Thread.sleep(forTimeInterval: 3)
        let after = notify.times(of: "WATCHDOG=1").filter { $0 > silence }
        #expect(after.isEmpty, "pings after the store was wedged at \(wedgedAt): \(after)")
        #expect(daemon.log.contains("ticket store"))
        // The daemon is otherwise alive: its socket still answers health.
        #expect((try? daemon.client.get("/v1/health", as: HealthResponse.self)) != nil)
        // The lock let go, the store answers again and so do the pings.
        holder.signal(SIGUSR1)
        #expect(holder.readLine(timeout: 10) == "released")
        let released = notify.now
        #expect(waitUntil(timeout: 15) { notify.times(of: "WATCHDOG=1").contains { $0 > released } }, "\(daemon.log)")
    }
}

@Suite(.serialized) struct JournalLogTests {
    /// With standard error on the journal (JOURNAL_STREAM naming it, as systemd does), lines
    /// carry syslog priorities and no time stamps; otherwise they are for people.
    @Test func linesCarryPrioritiesWhenStandardErrorIsTheJournal() throws {
        let dir = try TemporaryDirectory("gw-journal")
        defer { dir.remove() }
        // As systemd does: JOURNAL_STREAM names standard error's device and inode.
        let config = dir.path("gw.yml")
        try "daemon:\n  data_dir: data\n  socket: control.sock\ngrids:\n  - id: g\ncameras:\n  - id: gone\n    grid: g\n    source: missing.mp4\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try ChildProcess("/bin/sh", ["-c", "JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec \(Paths.executable("gridwatchd").path) run --config \(config)"],
                                      logPath: dir.path("daemon.log"))
        defer { daemon.stop() }
        // The camera's warning and the socket's notice come from different threads, in either order.
        #expect(waitUntil(timeout: 10) { (daemon.log.contains("<4>") || daemon.log.contains("<3>")) && daemon.log.contains("control socket listening") }, "\(daemon.log)")
        let lines = daemon.log.split(separator: "\n").filter { !$0.isEmpty }
        #expect(lines.allSatisfy { $0.range(of: #"^<[0-7]>"#, options: .regularExpression) != nil }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("<5>") && $0.contains("control socket listening") })
        // No time stamp: the journal adds its own.
        #expect(!lines.contains { $0.range(of: #"^<[0-7]>\d{4}-\d\d-\d\dT"#, options: .regularExpression) != nil }, "\(lines)")
    }
}

@Suite(.serialized) struct MetricsTests {
    @Test func prometheusMetricsOnTheSocketAndOnALoopbackPort() throws {
        let dir = try TemporaryDirectory("gw-metrics")
        defer { dir.remove() }
        try Clips.walkingBox(dir.path("walk.mp4"), seconds: 6, start: 1)
        let port = freePort()
        let daemon = try DaemonHarness(dir: dir, body: loopingWalkerConfig(clip: dir.path("walk.mp4")),
                                       daemonSection: "  metrics_listen: \"127.0.0.1:\(port)\"\n")
        defer { daemon.stop() }
        #expect(waitUntil(timeout: 60) { daemon.tickets().total >= 1 }, "no ticket: \(daemon.log)")
        func value(_ text: String, _ series: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        let first = String(decoding: try daemon.client.getBytes("/metrics"), as: UTF8.self)
        let decoded = try #require(value(first, #"gridwatch_frames_decoded_total{camera="walk"}"#), "\(first)")
        #expect(decoded > 0)
        #expect(value(first, #"gridwatch_camera_state{camera="walk",state="streaming"}"#) == 1)
        #expect(value(first, #"gridwatch_camera_state{camera="walk",state="offline"}"#) == 0)
        #expect(first.contains(#"gridwatch_decode_cpu_seconds_bucket{camera="walk""#) && first.contains(#"gridwatch_analysis_seconds_count{camera="walk"}"#))
        #expect(first.contains("gridwatch_store_write_seconds_count"))
        #expect((value(first, #"gridwatch_tickets_open{category="hazard",state="new"}"#) ?? 0) >= 1, "\(first)")
        #expect(value(first, "gridwatch_tickets_overdue") != nil)
        // Counters only grow, across scrapes.
        #expect(waitUntil(timeout: 10) {
            let later = String(decoding: (try? daemon.client.getBytes("/metrics")) ?? [], as: UTF8.self)
            return (value(later, #"gridwatch_frames_decoded_total{camera="walk"}"#) ?? 0) > decoded
        })
        // The same on the loopback port, which serves nothing else.
        let tcp = try runCommand("/usr/bin/curl", ["-sS", "http://127.0.0.1:\(port)/metrics"])
        #expect(tcp.contains(#"gridwatch_frames_analysed_total{camera="walk"}"#), "\(tcp)")
        let other = try runCommand("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/v1/tickets"])
        #expect(other == "404")
    }
}
