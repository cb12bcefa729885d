import Foundation
import Logging
import MediaIO
import Synchronization

/// What one stream of a camera is doing, as health reports show it.
public enum StreamState: String, Sendable, CaseIterable {
    case connecting, streaming, stalled, backoff, offline
    case authFailed = "auth_failed"
    case stopped
}

/// Reconnect delays: capped exponential backoff with jitter. Pure: randomness is passed in.
struct Backoff: Sendable, Equatable {
    var initial: Double = 1
    var maximum: Double = 60
    /// ±share of each delay drawn at random, so cameras behind one switch do not retry in step.
    var jitter: Double = 0.2
    private(set) var current: Double = 0

    init(initial: Double = 1, maximum: Double = 60, jitter: Double = 0.2) {
        self.initial = initial
        self.maximum = max(initial, maximum)
        self.jitter = jitter
    }

    /// The delay before the next attempt; `random` is uniform in 0..<1.
    mutating func next(random: Double = 0.5) -> Double {
        current = current == 0 ? initial : min(maximum, current * 2)
        return current * (1 + jitter * (2 * random - 1))
    }

    /// The longest delay, for failures that retrying soon cannot fix (wrong credentials).
    mutating func giveUpForNow(random: Double = 0.5) -> Double {
        current = maximum
        return current * (1 + jitter * (2 * random - 1))
    }

    mutating func reset() { current = 0 }
}

/// Frames per second over a sliding window of recent arrivals. Pure: times are passed in.
struct RateMeter: Sendable {
    let window: Double
    private var times: [Double] = []

    init(window: Double = 5) { self.window = window }

    mutating func record(_ t: Double) {
        times.append(t)
        if times.count > 512 { times.removeFirst(times.count - 512) }
    }

    /// Arrivals per second over the last `window` seconds before `now`.
    func rate(now: Double) -> Double {
        let since = now - window
        guard let first = times.firstIndex(where: { $0 > since }) else { return 0 }
        let count = times.count - first
        // Over a younger history, divide by the time actually covered.
        let span = min(window, now - (times.first ?? now))
        return span > 0 ? Double(count) / span : 0
    }

    mutating func reset() { times.removeAll() }
}

/// A stream's counters; written by its thread, read by the API and the health monitor.
struct StreamStatus: Sendable {
    var state: StreamState = .connecting
    var info: StreamInfo?
    var reconnects = 0
    var lastError: String?
    var lastFrameAt: Date?
    /// When the current session started delivering, nil while not streaming.
    var streamingSince: Date?
    var framesDecoded = 0
    var decodeErrors = 0
}

/// Runs one stream (a camera's detect or record stream) on its own thread:
/// opens it, runs the session body until the stream fails or ends, then waits a
/// backoff delay and tries again, until stopped. FFmpeg calls block, so this never
/// runs on Swift's cooperative pool.
final class StreamRunner: Sendable {
    struct Policy: Sendable {
        var reconnectMin: Double = 1
        var reconnectMax: Double = 60
        /// A session that streamed this long resets the backoff.
        var healthyAfter: Double = 60
    }

    let label: String
    let url: String
    let redactedURL: String
    let policy: Policy
    let interrupt = InterruptState()
    let logger: Logger
    private let status = Mutex(StreamStatus())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(label: String, url: String, policy: Policy, logger: Logger) {
        self.label = label
        self.url = url
        self.redactedURL = Redaction.redact(url)
        self.policy = policy
        var logger = logger
        logger[metadataKey: "stream"] = "\(label)"
        self.logger = logger
    }

    var snapshot: StreamStatus { status.withLock { $0 } }

    func update(_ body: (inout StreamStatus) -> Void) {
        status.withLock { body(&$0) }
    }

    /// The session body opened its stream and is about to read frames.
    func markStreaming(_ info: StreamInfo) {
        update {
            $0.state = .streaming
            $0.info = info
            $0.lastError = nil
            $0.streamingSince = Date()
        }
        logger.info("streaming", metadata: ["codec": "\(info.codec)", "size": "\(info.width)x\(info.height)"])
    }

    func start(name: String, session: @escaping @Sendable (StreamRunner) throws -> Void) {
        let thread = Thread { [self] in
            self.loop(session)
            self.finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Interrupts any blocking FFmpeg call and any backoff wait; the thread ends soon after.
    func stop() {
        interrupt.stop()
        wake.signal()
    }

    func join(timeout: Double) -> Bool {
        finished.wait(timeout: .now() + max(0, timeout)) == .success
    }

    private func loop(_ session: (StreamRunner) throws -> Void) {
        var backoff = Backoff(initial: policy.reconnectMin, maximum: policy.reconnectMax)
        var attempt = 0
        while !interrupt.isStopped {
            update {
                $0.state = .connecting
                if attempt > 0 { $0.reconnects += 1 }
            }
            attempt += 1
            var failure: FFmpegError?
            do {
                try session(self)
                if interrupt.isStopped { break }
                logger.warning("stream ended", metadata: ["source": "\(redactedURL)"])
                update { $0.lastError = "stream ended" }
            } catch let error as FFmpegError {
                if interrupt.isStopped { break }
                failure = error
            } catch {
                if interrupt.isStopped { break }
                failure = FFmpegError(message: "\(error)", function: "session")
            }
            let healthyFor = snapshot.streamingSince.map { Date().timeIntervalSince($0) } ?? 0
            if healthyFor >= policy.healthyAfter { backoff.reset() }
            let delay: Double
            let state: StreamState
            if let failure, failure.isAuthenticationFailure {
                // Retrying soon with the same credentials only fills the camera's log.
                delay = backoff.giveUpForNow(random: Double.random(in: 0..<1))
                state = .authFailed
                update { $0.lastError = "authentication failed (\(Redaction.redact(failure.message)))" }
            } else if let failure {
                delay = backoff.next(random: Double.random(in: 0..<1))
                state = failure.reason == .stalled ? .stalled : .backoff
                update { $0.lastError = Redaction.redact(failure.description) }
            } else {
                delay = backoff.next(random: Double.random(in: 0..<1))
                state = .backoff
            }
            update {
                $0.state = state
                $0.streamingSince = nil
            }
            logger.log(
                level: state == .authFailed ? .error : .warning, "stream down; reconnecting",
                metadata: [
                    "source": "\(redactedURL)", "state": "\(state.rawValue)",
                    "error": "\(snapshot.lastError ?? "-")", "delay.s": "\(String(format: "%.1f", delay))",
                ])
            _ = wake.wait(timeout: .now() + delay)
        }
        update {
            $0.state = .stopped
            $0.streamingSince = nil
        }
    }
}

/// Hands analysed-size frames from a decode thread to an analysis thread. Holds one
/// frame: a new one replaces an unread one, which counts as dropped, so a slow
/// analyser sheds frames instead of growing memory or delaying decoding.
final class FrameMailbox<Item: Sendable>: Sendable {
    private struct Slot: Sendable {
        var item: Item?
        var closed = false
        var dropped = 0
    }
    private let slot = Mutex(Slot())
    private let signal = DispatchSemaphore(value: 0)

    /// Leave `item` for the reader; returns true when it replaced one never read.
    @discardableResult
    func put(_ item: Item) -> Bool {
        let replaced = slot.withLock { s -> Bool in
            let had = s.item != nil
            s.item = item
            if had { s.dropped += 1 }
            return had
        }
        if !replaced { signal.signal() }
        return replaced
    }

    /// The next item, waiting for one; nil once closed.
    func take() -> Item? {
        while true {
            let (item, closed) = slot.withLock { s -> (Item?, Bool) in
                let i = s.item
                s.item = nil
                return (i, s.closed)
            }
            if let item { return item }
            if closed { return nil }
            signal.wait()
        }
    }

    var dropped: Int { slot.withLock { $0.dropped } }

    func close() {
        slot.withLock { $0.closed = true }
        signal.signal()
    }
}
