import Catalog
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

/// How a stream session ended, as the reconnect policy sees it.
enum SessionEnd: Sendable, Equatable {
    /// Nothing answered: connection refused, reset or cut, no route, the open timed out.
    case unanswered
    /// It was delivering and no new frame came within the stall timeout.
    case stalled
    /// It answered and refused our credentials (RTSP 401/403).
    case authFailed
    /// It answered but the stream cannot be used (not found, bad data, no video, ended).
    case failed
}

/// When to try a stream again after a session ends. Pure: times and randomness are passed in.
///
/// - A camera that does not answer (rebooting, unplugged, a cut link) or stalls is retried
///   on a short, steady cadence for as long as it is down: every `fastEvery` seconds for the
///   first `fastFor` seconds of the outage, then every `slowEvery`. Between full opens the
///   runner only probes (a TCP connect), so a dead camera costs one SYN per try, and the
///   stream is opened the moment the camera answers: frames are back within one cadence
///   plus an open, however long the outage was.
/// - A camera that answers but fails (a wrong path, a bad stream) backs off exponentially
///   from `reconnectMin` to `reconnectMax`; refused credentials wait `reconnectMax` at
///   once. Retrying soon cannot fix either, and would only fill the camera's log. That
///   streak is forgotten once a session streams for `healthyAfter`.
/// - Every delay gets ±`jitter` so cameras behind one switch do not retry in step.
struct ReconnectPolicy: Sendable, Equatable {
    struct Settings: Sendable, Equatable {
        var reconnectMin: Double = 1
        var reconnectMax: Double = 60
        /// A session that streamed this long forgets earlier answered-but-failed tries.
        var healthyAfter: Double = 60
        var fastEvery: Double = 2
        var fastFor: Double = 120
        var slowEvery: Double = 3
        var jitter: Double = 0.2
    }

    /// What to do next and what to show meanwhile.
    struct Decision: Sendable, Equatable {
        /// Seconds to wait before the next try.
        var delay: Double
        /// Probe (a TCP connect) before opening: the camera did not answer last time.
        var probeFirst: Bool
        var state: StreamState
    }

    let settings: Settings
    /// When the current outage began (monotonic seconds), nil while streaming.
    private(set) var outageSince: Double?
    /// The state shown for the whole outage: a stalled camera stays `stalled` while it is retried.
    private(set) var outageState: StreamState?
    /// Answered-but-failed sessions in a row.
    private(set) var failures = 0
    /// How the previous session ended.
    private(set) var lastEnd: SessionEnd?

    init(_ settings: Settings = Settings()) { self.settings = settings }

    /// A session ended at `now` after delivering frames for `streamedFor` seconds (0 if it never did).
    mutating func ended(_ end: SessionEnd, at now: Double, streamedFor: Double, random: Double) -> Decision {
        if streamedFor > 0 {
            outageSince = nil
            outageState = nil
        }
        if streamedFor >= settings.healthyAfter { failures = 0 }
        let firstOfOutage = outageSince == nil
        if firstOfOutage { outageSince = now }
        let state: StreamState
        let base: Double
        let probe: Bool
        switch end {
        case .unanswered, .stalled:
            // The first try of an outage comes quickly (a blip); then the steady cadence.
            base = firstOfOutage ? settings.reconnectMin : cadence(at: now)
            probe = !firstOfOutage
            state = end == .stalled ? .stalled : (outageState ?? .backoff)
        case .authFailed:
            failures += 1
            base = settings.reconnectMax
            probe = false
            state = .authFailed
        case .failed:
            // A camera that was silent and now answers (but is not ready yet) starts a new
            // streak: its earlier refusals say nothing about this boot.
            if lastEnd == .unanswered || lastEnd == .stalled { failures = 0 }
            failures += 1
            base = min(settings.reconnectMax, settings.reconnectMin * Self.power(2, failures - 1))
            probe = false
            state = .backoff
        }
        lastEnd = end
        if outageState == nil || end == .authFailed || end == .stalled { outageState = state }
        if end == .failed && outageState == .authFailed { outageState = .backoff }
        return Decision(delay: jittered(base, random), probeFirst: probe, state: outageState ?? state)
    }

    /// A probe found the camera still silent at `now`: seconds until the next probe.
    func nextProbe(at now: Double, random: Double) -> Double {
        jittered(cadence(at: now), random)
    }

    /// Seconds between tries of a silent camera: short early in the outage, a little longer after.
    private func cadence(at now: Double) -> Double {
        now - (outageSince ?? now) < settings.fastFor ? settings.fastEvery : settings.slowEvery
    }

    private func jittered(_ base: Double, _ random: Double) -> Double {
        base * (1 + settings.jitter * (2 * random - 1))
    }

    private static func power(_ base: Double, _ exponent: Int) -> Double {
        (0..<max(0, min(exponent, 30))).reduce(1) { x, _ in x * base }
    }
}

/// Frames per second over a sliding window of recent arrivals. Pure: times are passed in.
struct RateMeter: Sendable {
    let window: Double
    private var times: [Double] = []

    init(window: Double = 5) { self.window = window }

    mutating func record(_ t: Double) {
        times.append(t)
        // Trimmed in halves: shifting the array on every arrival once full cost a 4 KB move a frame.
        if times.count >= 1024 { times.removeFirst(512) }
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
    /// Why the stream last went down, in the catalogue's words (English: FFmpeg's, redacted).
    var lastError: StreamText?
    var lastFrameAt: Date?
    /// When the current session started delivering, nil while not streaming.
    var streamingSince: Date?
    var framesDecoded = 0
    var decodeErrors = 0
    /// Decode-on-demand: whether every frame is decoded now or keyframes only, and the
    /// packets never decoded because the scene was still.
    var decodeMode: DecodeMode = .full
    var packetsSkipped = 0
}

/// Runs one stream (a camera's detect or record stream) on its own thread:
/// opens it, runs the session body until the stream fails or ends, then waits a
/// backoff delay and tries again, until stopped. FFmpeg calls block, so this never
/// runs on Swift's cooperative pool.
final class StreamRunner: Sendable {
    let label: String
    let url: String
    let redactedURL: String
    let policy: ReconnectPolicy.Settings
    let interrupt = InterruptState()
    let logger: Logger
    private let status = Mutex(StreamStatus())
    private let finished = DispatchSemaphore(value: 0)

    init(label: String, url: String, policy: ReconnectPolicy.Settings, logger: Logger) {
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
            $0.decodeMode = .full
        }
        logger.info("streaming", metadata: ["codec": "\(info.codec)", "size": "\(info.width)x\(info.height)"])
    }

    func start(name: String, session: @escaping @Sendable (StreamRunner) throws -> Void) {
        let thread = Thread { [self] in
            // Marks FFmpeg's log lines from this thread as this stream's (FFmpegLines).
            Thread.current.threadDictionary[FFmpegLines.streamKey] = name
            nameThisThread(name)
            self.loop(session)
            self.finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Interrupts any blocking FFmpeg call and any backoff wait; the thread ends soon after.
    func stop() {
        interrupt.stop()
    }

    /// Waits at most `timeout` seconds for the thread to end; true once it has, however
    /// many times asked (a camera stopped at shutdown is joined again when its lease goes).
    func join(timeout: Double) -> Bool {
        guard finished.wait(timeout: .now() + max(0, timeout)) == .success else { return false }
        finished.signal()
        return true
    }

    private func loop(_ session: (StreamRunner) throws -> Void) {
        var reconnect = ReconnectPolicy(policy)
        let endpoint = StreamProbe.endpoint(of: url)
        var attempt = 0
        var lastLogged: (state: StreamState, error: String)?
        var repeats = 0
        while !interrupt.isStopped {
            update {
                // The first connection shows `connecting`; a retry keeps the outage's state.
                if attempt == 0 { $0.state = .connecting } else { $0.reconnects += 1 }
            }
            attempt += 1
            let attemptStarted = Date()
            var failure: FFmpegError?
            var ended = false
            do {
                try session(self)
                if interrupt.isStopped { break }
                ended = true
            } catch let error as FFmpegError {
                if interrupt.isStopped { break }
                failure = error
            } catch {
                if interrupt.isStopped { break }
                failure = FFmpegError(message: "\(error)", function: "session")
            }
            // Streamed means frames (or packets) arrived in this session, not merely that it
            // opened: a camera that accepts PLAY and drops the session at once has not streamed.
            let status = snapshot
            let delivered = (status.lastFrameAt ?? .distantPast) >= attemptStarted
            let streamedFor = delivered ? status.streamingSince.map { Date().timeIntervalSince($0) } ?? 0 : 0
            let end: SessionEnd
            let fault: StreamText
            if let failure {
                if failure.isAuthenticationFailure {
                    end = .authFailed
                    fault = .authFailed(detail: Redaction.redact(failure.message))
                } else if failure.reason == .stalled {
                    end = .stalled
                    fault = .stalled(detail: Redaction.redact(failure.message))
                } else {
                    end = failure.isUnanswered ? .unanswered : .failed
                    fault = Self.fault(failure)
                }
            } else {
                // A camera's stream does not end by itself: count it as the camera going away.
                // A file that ends (and does not loop) is not retried quickly.
                end = ended && streamedFor > 0 && endpoint != nil ? .unanswered : .failed
                fault = .ended
            }
            // Logs keep FFmpeg's own words (English), as searched for.
            let message = fault.en
            let decision = reconnect.ended(end, at: MonotonicClock.seconds(), streamedFor: streamedFor, random: Double.random(in: 0..<1))
            update {
                $0.state = decision.state
                $0.lastError = fault
                $0.streamingSince = nil
            }
            // One line per change of state or error; the same failure again is counted and
            // summarised once a minute's worth of retries has passed.
            // FFmpeg's own words for it, if it said any (not logged separately: see FFmpegLines).
            let detail = FFmpegLines.take(thread: FFmpegLines.currentStream)
            if lastLogged?.state != decision.state || lastLogged?.error != message || repeats >= 30 {
                var metadata: Logger.Metadata = [
                    "source": "\(redactedURL)", "state": "\(decision.state.rawValue)", "error": "\(message)",
                    "delay.s": "\(String(format: "%.1f", decision.delay))", "repeats": "\(repeats)",
                ]
                if let detail, !message.contains(detail) { metadata["ffmpeg"] = "\(FFmpegLines.normalised(detail))" }
                logger.log(level: decision.state == .authFailed ? .error : .warning, "stream down; reconnecting", metadata: metadata)
                lastLogged = (decision.state, message)
                repeats = 0
            } else {
                repeats += 1
            }
            interrupt.pause(seconds: decision.delay)
            if interrupt.isStopped { continue }
            // A camera that did not answer is probed, not opened, until it answers.
            if decision.probeFirst, let endpoint {
                while !interrupt.isStopped
                    && !StreamProbe.answers(host: endpoint.host, port: endpoint.port, timeout: 1.5, interrupt: interrupt) {
                    let delay = reconnect.nextProbe(at: MonotonicClock.seconds(), random: Double.random(in: 0..<1))
                    interrupt.pause(seconds: delay)
                    if interrupt.isStopped { break }
                }
            }
        }
        update {
            $0.state = .stopped
            $0.streamingSince = nil
        }
    }
}

/// Hands analysed-size frames from a decode thread to an analysis thread. Holds up to
/// `capacity` frames. When it is full, `put` may wait for the reader (the caller bounds how
/// long: a burst such as every camera's frame arriving at once from one server, or a
/// catch-up, is absorbed); after that a new frame pushes out the oldest unread one, which
/// counts as dropped, so a persistently slow analyser sheds frames instead of growing
/// memory or holding decoding back.
///
/// A batch of frames decoded back to back is handed over whole: `put(hold: true)` leaves a
/// frame without waking the reader, `release()` (or a full box) wakes it for all of them,
/// so the analysis too runs them back to back, its state still in the caches.
final class FrameMailbox<Item: Sendable>: Sendable {
    private struct Queue: Sendable {
        var items: [Item?]
        var head = 0
        var count = 0
        var closed = false
        var dropped = 0
        var waitingForSpace = false
        /// Items were left while the reader may be asleep, and it has not been woken.
        var owed = false
        /// The reader found the box empty and waits.
        var readerWaits = false
    }
    let capacity: Int
    private let queue: Mutex<Queue>
    private let signal = DispatchSemaphore(value: 0)
    private let space = DispatchSemaphore(value: 0)

    init(capacity: Int = 1) {
        self.capacity = max(1, capacity)
        queue = Mutex(Queue(items: Array(repeating: nil, count: max(1, capacity))))
    }

    /// Leave `item` for the reader; returns true when it pushed out one never read. When the
    /// box is full, waits up to `wait` seconds for the reader to take one first (a decoder
    /// catching up after a wake outruns the analysis for a moment; the network buffers the
    /// camera meanwhile).
    @discardableResult
    func put(_ item: Item, wait: Double = 0, hold: Bool = false) -> Bool {
        let deadline = DispatchTime.now() + max(0, wait)
        while true {
            let outcome = queue.withLock { q -> (stored: Bool, replaced: Bool, wake: Bool) in
                if q.count == capacity, !q.closed, DispatchTime.now() < deadline {
                    q.waitingForSpace = true
                    return (false, false, false)
                }
                let wasEmpty = q.count == 0
                var replaced = false
                if q.count == capacity {
                    q.items[q.head] = nil
                    q.head = (q.head + 1) % capacity
                    q.count -= 1
                    q.dropped += 1
                    replaced = true
                }
                q.items[(q.head + q.count) % capacity] = item
                q.count += 1
                if wasEmpty { q.owed = true }
                let wake = q.owed && (!hold || q.count == capacity)
                if wake { q.owed = false }
                return (true, replaced, wake)
            }
            if outcome.stored {
                if outcome.wake { signal.signal() }
                return outcome.replaced
            }
            _ = space.wait(timeout: deadline)
        }
    }

    /// The oldest unread item, waiting for one; nil once closed.
    func take() -> Item? {
        while true {
            let (item, closed, freed) = queue.withLock { q -> (Item?, Bool, Bool) in
                q.readerWaits = q.count == 0 && !q.closed
                guard q.count > 0 else { return (nil, q.closed, false) }
                let item = q.items[q.head]
                q.items[q.head] = nil
                q.head = (q.head + 1) % capacity
                q.count -= 1
                let freed = q.waitingForSpace
                q.waitingForSpace = false
                return (item, q.closed, freed)
            }
            if freed { space.signal() }
            if let item { return item }
            if closed { return nil }
            signal.wait()
        }
    }

    /// Wake the reader for the items held back (the end of a batch).
    func release() {
        let wake = queue.withLock { q -> Bool in
            let owed = q.owed
            q.owed = false
            return owed
        }
        if wake { signal.signal() }
    }

    var dropped: Int { queue.withLock { $0.dropped } }

    /// Whether the reader is waiting for an item (for tests).
    var readerWaits: Bool { queue.withLock { $0.readerWaits } }

    func close() {
        queue.withLock { $0.closed = true }
        signal.signal()
        space.signal()
    }
}

/// The kernel's name of the calling thread (15 bytes at most), as `top -H`, `ps -L` and
/// `/proc/PID/task/*/comm` show it: Foundation's `Thread.name` does not reach it on Linux.
func nameThisThread(_ name: String) {
    var bytes = Array(name.utf8.prefix(15))
    // Never cut a UTF-8 sequence in two.
    while let last = bytes.last, last & 0xC0 == 0x80 || last >= 0xC0 { bytes.removeLast() }
    // glibc's pthread_setname_np is not visible to Swift; the kernel takes the name here too.
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

extension StreamRunner {
    /// An FFmpeg failure in the catalogue's words; the English keeps FFmpeg's text, redacted.
    static func fault(_ failure: FFmpegError) -> StreamText {
        let detail = Redaction.redact(failure.description)
        return switch failure.kind {
        case .refused: .refused(detail: detail)
        case .reset: .reset(detail: detail)
        case .unreachable: .unreachable(detail: detail)
        case .timedOut: .timedOut(detail: detail)
        case .stalled: .stalled(detail: detail)
        case .authFailed: .authFailed(detail: Redaction.redact(failure.message))
        case .notFound: .notFound(detail: detail)
        case .forbidden: .forbidden(detail: detail)
        case .badData: .badData(detail: detail)
        case .noSuchFile: .noSuchFile(detail: detail)
        case .unusable: .unusable(detail: detail)
        case .other: .other(code: failure.code, detail: detail)
        }
    }
}
