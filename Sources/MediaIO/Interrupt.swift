import CFFmpeg
import Foundation
import Synchronization

/// The deadline and stop flag that FFmpeg's blocking calls poll through `AVIOInterruptCB`.
///
/// FFmpeg reports an interrupted RTSP read as `AVERROR_INVALIDDATA`, not `AVERROR_EXIT`,
/// so whoever sees an error asks `fired` whether this object caused it.
public final class InterruptState: Sendable {
    private let deadlineNanos = Atomic<UInt64>(UInt64.max)
    private let stopped = Atomic<Bool>(false)
    private let firedFlag = Atomic<Bool>(false)
    private let firedByStop = Atomic<Bool>(false)
    /// Signalled by `stop()`: a `pause` ends at once.
    private let stopSignal = DispatchSemaphore(value: 0)

    public init() {}

    /// Allow the next blocking call `seconds` from now.
    public func arm(seconds: Double) {
        firedFlag.store(false, ordering: .relaxed)
        deadlineNanos.store(MonotonicClock.nanos() &+ UInt64(max(0, seconds) * 1e9), ordering: .relaxed)
    }

    /// No deadline at all (between calls).
    public func disarm() {
        deadlineNanos.store(UInt64.max, ordering: .relaxed)
    }

    /// Make every current and future blocking call return at once.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        stopSignal.signal()
    }

    /// Wait `seconds`, or less when `stop()` is called meanwhile.
    public func pause(seconds: Double) {
        guard !isStopped, seconds > 0 else { return }
        _ = stopSignal.wait(timeout: .now() + seconds)
    }

    public var isStopped: Bool { stopped.load(ordering: .relaxed) }

    /// True when the last interruption came from the deadline or the stop flag.
    public var fired: Bool { firedFlag.load(ordering: .relaxed) }

    /// Called from FFmpeg's thread through the C callback.
    func shouldInterrupt() -> Bool {
        if stopped.load(ordering: .relaxed) {
            firedFlag.store(true, ordering: .relaxed)
            return true
        }
        if MonotonicClock.nanos() >= deadlineNanos.load(ordering: .relaxed) {
            firedFlag.store(true, ordering: .relaxed)
            return true
        }
        return false
    }

    /// The C callback: it captures nothing (a capturing closure cannot be a C function pointer).
    var callback: AVIOInterruptCB {
        AVIOInterruptCB(
            callback: { opaque in
                guard let opaque else { return 0 }
                let state = Unmanaged<InterruptState>.fromOpaque(opaque).takeUnretainedValue()
                return state.shouldInterrupt() ? 1 : 0
            },
            opaque: Unmanaged.passUnretained(self).toOpaque()
        )
    }
}

/// CLOCK_MONOTONIC in nanoseconds: deadlines must not jump with the wall clock.
public enum MonotonicClock {
    public static func nanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    public static func seconds() -> Double { Double(nanos()) / 1e9 }
}
