@testable import DaemonCore
import Foundation
import MediaIO
import Synchronization
import Testing

@Suite struct ReconnectPolicyTests {
    let settings = ReconnectPolicy.Settings(reconnectMin: 1, reconnectMax: 60, healthyAfter: 60, fastEvery: 2, fastFor: 120, slowEvery: 3, jitter: 0)

    /// Given a camera that streamed and then stopped answering, every retry of the outage
    /// comes on the steady cadence (probing first), however long it lasts: never the 60 s cap.
    @Test func aCameraThatDoesNotAnswerIsRetriedOnASteadyCadenceForAsLongAsItIsDown() {
        var p = ReconnectPolicy(settings)
        var now = 1000.0
        let first = p.ended(.unanswered, at: now, streamedFor: 300, random: 0.5)
        #expect(first == .init(delay: 1, probeFirst: false, state: .backoff))
        var delays: [Double] = []
        for _ in 0..<200 {
            now += 2
            let d = p.ended(.unanswered, at: now, streamedFor: 0, random: 0.5)
            #expect(d.probeFirst && d.state == .backoff)
            delays.append(d.delay)
        }
        #expect(delays.prefix(59).allSatisfy { $0 == 2 })
        #expect(delays.suffix(100).allSatisfy { $0 == 3 })
        #expect(p.nextProbe(at: now, random: 0.5) == 3)
    }

    @Test func aStallKeepsTheCameraStalledForTheWholeOutage() {
        var p = ReconnectPolicy(settings)
        #expect(p.ended(.stalled, at: 0, streamedFor: 50, random: 0.5).state == .stalled)
        // The reconnects that follow time out or are refused: still shown as stalled.
        #expect(p.ended(.unanswered, at: 11, streamedFor: 0, random: 0.5).state == .stalled)
        #expect(p.ended(.unanswered, at: 23, streamedFor: 0, random: 0.5).state == .stalled)
        // Back, streaming, then down for another reason: a new outage with its own state.
        #expect(p.ended(.unanswered, at: 100, streamedFor: 20, random: 0.5).state == .backoff)
    }

    @Test func aCameraThatAnswersButFailsBacksOffToTheCapAndForgetsAfterAHealthySession() {
        var p = ReconnectPolicy(settings)
        var delays: [Double] = []
        for i in 0..<9 { delays.append(p.ended(.failed, at: Double(i), streamedFor: 0, random: 0.5).delay) }
        #expect(delays == [1, 2, 4, 8, 16, 32, 60, 60, 60])
        // A short session does not forget the streak; a healthy one does.
        #expect(p.ended(.failed, at: 100, streamedFor: 5, random: 0.5).delay == 60)
        #expect(p.ended(.failed, at: 200, streamedFor: 61, random: 0.5).delay == 1)
    }

    /// Given a camera that reboots every night and, each time, answers on its port a moment
    /// before its RTSP server is ready: its earlier refusals do not pile up across outages.
    @Test func aCameraThatWasSilentStartsAFreshStreakWhenItAnswers() {
        var p = ReconnectPolicy(settings)
        var now = 0.0
        for _ in 0..<5 {
            _ = p.ended(.unanswered, at: now, streamedFor: 30, random: 0.5)
            _ = p.ended(.unanswered, at: now + 2, streamedFor: 0, random: 0.5)
            #expect(p.ended(.failed, at: now + 4, streamedFor: 0, random: 0.5).delay == 1)
            #expect(p.ended(.failed, at: now + 5, streamedFor: 0, random: 0.5).delay == 2)
            now += 100
        }
    }

    @Test func refusedCredentialsWaitTheLongestDelayAndShowAuthFailed() {
        var p = ReconnectPolicy(settings)
        let d = p.ended(.authFailed, at: 0, streamedFor: 0, random: 0.5)
        #expect(d == .init(delay: 60, probeFirst: false, state: .authFailed))
        #expect(p.ended(.authFailed, at: 60, streamedFor: 0, random: 0.5).state == .authFailed)
    }

    @Test(arguments: [0.0, 0.5, 0.999])
    func jitterStaysWithinItsShare(random: Double) {
        var s = settings
        s.jitter = 0.2
        var p = ReconnectPolicy(s)
        var nominal = 1.0
        for i in 0..<10 {
            let d = p.ended(.failed, at: Double(i), streamedFor: 0, random: random).delay
            #expect(d >= nominal * 0.8 - 1e-9 && d <= nominal * 1.2 + 1e-9)
            nominal = min(60, nominal * 2)
        }
    }
}

@Suite struct StreamProbeTests {
    @Test(arguments: [
        ("rtsp://10.0.0.5/cam", "10.0.0.5", 554),
        ("rtsp://u:p@10.0.0.5:8554/cam", "10.0.0.5", 8554),
        ("rtsp://u:Mn%2FOp9%40x@host:1/a", "host", 1),
        ("rtsps://[::1]:9000/x", "::1", 9000),
        ("http://cam.local/x.mjpg", "cam.local", 80),
    ])
    func readsHostAndPort(url: String, host: String, port: Int) throws {
        let e = try #require(StreamProbe.endpoint(of: url))
        #expect(e.host == host && e.port == port)
    }

    @Test func filesAndBadPortsHaveNoEndpoint() {
        #expect(StreamProbe.endpoint(of: "/srv/clip.mp4") == nil)
        #expect(StreamProbe.endpoint(of: "rtsp://host:99999/x") == nil)
    }

    @Test func aListeningPortAnswersAndAClosedOneDoesNot() throws {
        // Given a real listening socket on 127.0.0.1, and the same port once it is closed.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 } }
        #expect(bound && listen(fd, 4) == 0)
        let port = Int(UInt16(bigEndian: addr.sin_port))
        #expect(StreamProbe.answers(host: "127.0.0.1", port: port, timeout: 1))
        close(fd)
        #expect(!StreamProbe.answers(host: "127.0.0.1", port: port, timeout: 1))
    }
}

@Suite struct RateMeterTests {
    @Test func measuresTheRateOverTheWindow() {
        var meter = RateMeter(window: 5)
        for i in 0..<100 { meter.record(Double(i) / 10) }
        #expect(abs(meter.rate(now: 9.9) - 10) < 0.3)
        // Nothing for 10 s: the rate falls to zero, a frozen stream does not look alive.
        #expect(meter.rate(now: 20) == 0)
    }

    @Test func aLongHistoryIsTrimmedWithoutLosingTheWindow() {
        var meter = RateMeter(window: 5)
        // 25 fps for 100 s: the history is trimmed many times over.
        for i in 0..<2500 { meter.record(Double(i) / 25) }
        #expect(abs(meter.rate(now: 99.96) - 25) < 0.3)
    }

    @Test func aYoungHistoryIsNotDividedByTheWholeWindow() {
        var meter = RateMeter(window: 5)
        for i in 0..<10 { meter.record(100 + Double(i) / 5) }
        #expect(abs(meter.rate(now: 101.8) - 10.0 / 1.8) < 0.01)
    }
}

@Suite struct FrameMailboxTests {
    @Test func keepsTheNewestAndCountsTheRest() {
        let box = FrameMailbox<Int>()
        #expect(!box.put(1))
        #expect(box.put(2))
        #expect(box.put(3))
        #expect(box.take() == 3)
        #expect(box.dropped == 2)
        box.close()
        #expect(box.take() == nil)
    }

    @Test func aDeeperBoxAbsorbsABurstInOrderAndShedsTheOldest() {
        let box = FrameMailbox<Int>(capacity: 3)
        #expect(!box.put(1))
        #expect(!box.put(2))
        #expect(!box.put(3))
        #expect(box.dropped == 0)
        #expect(box.take() == 1)
        #expect(!box.put(4))
        // Full: the oldest unread (2) goes.
        #expect(box.put(5))
        #expect(box.dropped == 1)
        #expect(box.take() == 3)
        #expect(box.take() == 4)
        #expect(box.take() == 5)
        // Items put before close are still read; then nil.
        box.put(6)
        box.close()
        #expect(box.take() == 6)
        #expect(box.take() == nil)
    }

    @Test func aWaitingReaderWakesForAnItem() {
        let box = FrameMailbox<Int>()
        let got = DispatchSemaphore(value: 0)
        let result = ResultBox()
        Thread {
            result.value = box.take()
            got.signal()
        }.start()
        box.put(42)
        #expect(got.wait(timeout: .now() + 5) == .success)
        #expect(result.value == 42)
    }

    @Test func aFullBoxWaitsForTheReaderBeforeShedding() {
        let box = FrameMailbox<Int>(capacity: 2)
        box.put(1)
        box.put(2)
        let taken = DispatchSemaphore(value: 0)
        let read = DispatchSemaphore(value: 0)
        let result = ResultBox()
        let reader = Thread {
            // The reader comes back for one item once the writer is waiting.
            taken.wait()
            result.value = box.take()
            read.signal()
        }
        reader.start()
        let writer = DispatchSemaphore(value: 0)
        Thread {
            taken.signal()
            box.put(3, wait: 10)
            writer.signal()
        }.start()
        #expect(writer.wait(timeout: .now() + 10) == .success)
        #expect(read.wait(timeout: .now() + 10) == .success)
        #expect(box.dropped == 0)
        #expect(result.value == 1)
        #expect(box.take() == 2)
        #expect(box.take() == 3)
        // Nobody reading: after the wait, the oldest goes.
        box.put(4)
        #expect(box.put(5, wait: 0.05) == false)
        #expect(box.put(6, wait: 0.05))
        #expect(box.dropped == 1)
    }

    /// A batch's frames are left without waking the reader; the batch's last one (or a
    /// full box, or `release`) wakes it for all of them, in order.
    @Test(arguments: ["last", "full", "release"])
    func aBatchWakesTheReaderOnceForAllItsFrames(end: String) {
        let box = FrameMailbox<Int>(capacity: end == "full" ? 3 : 4)
        let woken = DispatchSemaphore(value: 0)
        let taken = Mutex<[Int]>([])
        Thread {
            while let item = box.take() {
                taken.withLock { $0.append(item) }
                if item == 3 { woken.signal() }
            }
        }.start()
        // The reader asleep on the empty box first (no signal says so: its state is polled).
        let asleep = Date().addingTimeInterval(5)
        while !box.readerWaits && Date() < asleep { usleep(1000) }
        #expect(box.readerWaits)
        box.put(1, hold: true)
        box.put(2, hold: true)
        // A negative: nothing may arrive; 0.2 s is the bound of this check, not a synchronisation.
        #expect(woken.wait(timeout: .now() + 0.2) == .timedOut)
        #expect(taken.withLock { $0 }.isEmpty, "woken before the batch ended")
        switch end {
        case "last": box.put(3)
        case "full": box.put(3, hold: true)
        default:
            box.put(3, hold: true)
            box.release()
        }
        #expect(woken.wait(timeout: .now() + 5) == .success)
        #expect(taken.withLock { $0 } == [1, 2, 3])
        #expect(box.dropped == 0)
        box.close()
    }

    final class ResultBox: @unchecked Sendable {
        // @unchecked: written by one thread before the semaphore, read after it.
        var value: Int?
    }
}

@Suite struct ScheduleClockTests {
    /// The C library's local time agrees with Foundation's calendar, across a whole day.
    @Test func minuteOfDayMatchesTheCalendar() {
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        for step in stride(from: 0, to: 86_400, by: 599) {
            let date = start.addingTimeInterval(Double(step) + 0.75)
            let c = Calendar.current.dateComponents([.hour, .minute], from: date)
            #expect(CameraWorker.minuteOfDay(date) == c.hour! * 60 + c.minute!)
        }
    }

    /// Month and day, across a year, for date-range schedules.
    @Test func monthDayMatchesTheCalendar() {
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        for day in stride(from: 0, to: 366, by: 7) {
            let date = start.addingTimeInterval(Double(day) * 86_400 + 3_600.5)
            let c = Calendar.current.dateComponents([.month, .day], from: date)
            #expect(CameraWorker.localClock(date).monthDay == c.month! * 100 + c.day!)
        }
    }
}

@Suite struct CameraChangeTests {
    static func camera(_ extra: String) throws -> CameraConfig {
        let text = """
            grids:
              - id: g
              - id: h
            cameras:
              - id: c
                source: rtsp://user:secret@10.0.0.9/sub
            \(extra.contains("grid:") ? extra : "    grid: g\n" + extra)
            """
        return try GridwatchConfig.parse(text: text, file: "test.yml").cameras[0]
    }

    @Test func sameSettingsAreUnchanged() throws {
        #expect(CameraChange.between(try Self.camera(""), try Self.camera("")) == .unchanged)
    }

    @Test(arguments: [
        "    name: 东门",
        "    grid: h",
        "    zones:\n      - id: z\n        polygon: [[0, 0], [1, 0], [1, 1]]",
        "    tripwires:\n      - id: t\n        a: [0, 0.5]\n        b: [1, 0.5]",
        "    masks:\n      motion:\n        - [[0, 0], [1, 0], [1, 1]]",
        "    masks:\n      privacy:\n        - [[0, 0], [1, 0], [1, 1]]",
    ])
    func rulesChangeWithoutReconnecting(extra: String) throws {
        #expect(CameraChange.between(try Self.camera(""), try Self.camera(extra)) == .rules)
    }

    @Test(arguments: [
        "    transport: udp",
        "    stall_timeout: 20",
        "    record: rtsp://10.0.0.9/main",
        "    analysis:\n      fps: 2",
        "    offline_after: 600",
    ])
    func streamAndAnalysisSettingsRestartTheCamera(extra: String) throws {
        #expect(CameraChange.between(try Self.camera(""), try Self.camera(extra)) == .restart)
    }
}

@Suite struct MallocArenaTests {
    /// One arena a camera, never fewer than two, never more than glibc's default.
    @Test func arenasFollowTheCamerasUpToGlibcsDefault() {
        #expect(CameraManager.arenas(cameras: 0, cores: 2) == 2)
        #expect(CameraManager.arenas(cameras: 1, cores: 2) == 2)
        #expect(CameraManager.arenas(cameras: 5, cores: 2) == 5)
        #expect(CameraManager.arenas(cameras: 100, cores: 2) == 16)
        #expect(CameraManager.arenas(cameras: 100, cores: 16) == 100)
        #expect(CameraManager.arenas(cameras: 3, cores: 0) == 3)
    }
}
