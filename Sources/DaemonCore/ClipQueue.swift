import Foundation
import Logging
import MediaIO
import Metrics
import Storage
import Synchronization
import Tickets

/// Writes finished evidence clips to disk on a thread of its own, never on a camera's:
/// a slow disk makes clips wait here, and when `capacity` are already waiting, a new one is
/// shed (logged, counted in `gridwatch_clips_shed_total`), never a frame. Each clip written
/// is reported to the ticket service (`TicketCommand.clipWritten`), which attaches it.
final class ClipQueue: Sendable {
    struct Job: Sendable {
        var clip: FinishedClip
        var parameters: StreamParameters
        var cameraID: String
        /// Wall time of the event, for the file's folder and metadata.
        var eventDate: Date
        /// Where the file goes, relative to the data folder.
        var path: String
    }

    private struct State {
        var jobs: [Job] = []
        var closed = false
        var started = false
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let directory: URL
    private let capacity: Int
    private let onCommand: @Sendable (TicketCommand) -> Void
    /// The ticket a clip's name belongs to, for its metadata (nil if not stored yet).
    private let ticketOf: @Sendable (String) -> Int64?
    private let logger: Logger
    static let written = Counter(label: "gridwatch_clips_written_total")
    static let shed = Counter(label: "gridwatch_clips_shed_total")
    static let failed = Counter(label: "gridwatch_clips_failed_total")
    static let writeTime = Metrics.Timer(label: "gridwatch_clip_write_seconds")

    init(directory: URL, capacity: Int = 8, logger: Logger, ticketOf: @escaping @Sendable (String) -> Int64? = { _ in nil },
         onCommand: @escaping @Sendable (TicketCommand) -> Void) {
        self.ticketOf = ticketOf
        self.directory = directory
        self.capacity = capacity
        self.logger = logger
        self.onCommand = onCommand
    }

    /// Start the writer thread (once).
    func start() {
        guard state.withLock({ s -> Bool in
            defer { s.started = true }
            return !s.started
        }) else { return }
        let thread = Thread { [self] in
            self.run()
            self.finished.signal()
        }
        thread.name = "clips"
        thread.start()
    }

    /// Queue a clip; false (and counted) when `capacity` clips are waiting already.
    @discardableResult
    func enqueue(_ job: Job) -> Bool {
        let accepted = state.withLock { s -> Bool in
            guard s.started, !s.closed, s.jobs.count < capacity else { return false }
            s.jobs.append(job)
            return true
        }
        if accepted {
            wake.signal()
        } else {
            Self.shed.increment()
            logger.warning("clip shed: the clip writer is behind", metadata: ["camera.id": "\(job.cameraID)", "clip": "\(job.clip.request.name)"])
        }
        return accepted
    }

    /// Write what is queued, then stop; waits up to `timeout` seconds.
    func finish(timeout: Double) -> Bool {
        let started = state.withLock { s -> Bool in
            s.closed = true
            return s.started
        }
        guard started else { return true }
        wake.signal()
        return finished.wait(timeout: .now() + timeout) == .success
    }

    private func run() {
        while true {
            let next = state.withLock { s -> Job?? in
                if let job = s.jobs.first {
                    s.jobs.removeFirst()
                    return .some(job)
                }
                return s.closed ? .none : .some(nil)
            }
            switch next {
            case .none: return
            case .some(nil): wake.wait()
            case let .some(job?): write(job)
            }
        }
    }

    private func write(_ job: Job) {
        let url = directory.appendingPathComponent(job.path)
        let started = MonotonicClock.nanos()
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let ticket = ticketOf(job.clip.request.name)
            let summary = try ClipWriter.write(job.clip.packets, parameters: job.parameters, to: url.path, metadata: [
                ("title", ticket.map { "Gridwatch ticket \($0), camera \(job.cameraID)" } ?? "Gridwatch camera \(job.cameraID)"),
                ("comment", "camera=\(job.cameraID)" + (ticket.map { " ticket=\($0)" } ?? "")
                    + " event=\(Self.iso(job.eventDate)) end=\(job.clip.end.rawValue) clip=\(job.clip.request.name)"),
                ("creation_time", Self.iso(job.eventDate)),
            ])
            Self.writeTime.recordNanoseconds(Int64(MonotonicClock.nanos() - started))
            Self.written.increment()
            onCommand(.clipWritten(name: job.clip.request.name, path: job.path, seconds: summary.duration, bytes: summary.bytes,
                                   eventOffset: max(0, job.clip.eventTime - summary.start), end: ClipEnd(job.clip.end)))
        } catch {
            Self.failed.increment()
            logger.error("clip not written", metadata: ["camera.id": "\(job.cameraID)", "clip": "\(job.clip.request.name)", "error": "\(error)"])
        }
    }

    static func iso(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: date)
    }
}

extension ClipEnd {
    init(_ end: FinishedClip.End) {
        switch end {
        case .complete: self = .complete
        case .capped: self = .capped
        case .gap: self = .gap
        case .stopped: self = .stopped
        }
    }
}
