@testable import DaemonCore
import Foundation
import Testing

@Suite struct BackoffJitterTests {
    @Test(arguments: [0.0, 0.5, 0.999])
    func jitterStaysWithinItsShare(random: Double) {
        var b = Backoff(initial: 1, maximum: 60, jitter: 0.2)
        var nominal = 1.0
        for _ in 0..<10 {
            let d = b.next(random: random)
            #expect(d >= nominal * 0.8 - 1e-9 && d <= nominal * 1.2 + 1e-9)
            nominal = min(60, nominal * 2)
        }
    }

    @Test func authenticationFailuresWaitTheLongestDelay() {
        var b = Backoff(initial: 1, maximum: 60, jitter: 0)
        #expect(b.giveUpForNow() == 60)
        b.reset()
        #expect(b.next() == 1)
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
