import Foundation
import Catalog
import Logging
import MediaIO
import Metrics
import Storage
import Synchronization
import Tickets

/// Writes evidence clips to disk on a thread of its own, never on a camera's, as their
/// packets come: a camera hands over a clip's packets every `partSeconds` (`ClipPart`) and
/// then its end (`FinishedClip`), and the writer appends each part to the clip's open MP4
/// file, so a clip's packets are not held in memory until it ends. A slow disk makes parts
/// wait here; when `capacity` bytes are already waiting, a clip is shed whole (its file
/// removed, logged, counted in `gridwatch_clips_shed_total`), never a frame. Each clip
/// written is reported to the ticket service (`TicketCommand.clipWritten`), which attaches it.
final class ClipQueue: Sendable {
    /// Seconds of packets a collecting clip holds before they go to the writer.
    static let partSeconds = 2.0

    /// Where a clip goes and what it is about.
    struct Place: Sendable {
        var parameters: StreamParameters
        var cameraID: String
        /// Wall time of the event, for the file's folder and metadata.
        var eventDate: Date
        /// Where the file goes, relative to the data folder.
        var path: String
    }

    struct Job: Sendable {
        var clip: FinishedClip
        var place: Place
    }

    struct Part: Sendable {
        var clip: ClipPart
        var place: Place
    }

    private enum Item: Sendable {
        case part(Part)
        case finish(Job)
        /// The clip was shed: its open file (if any) goes, and the writer logs it (not the
        /// camera's thread, which sheds it under its clip lock).
        case shed(name: String, camera: String, reason: ShedReason)
    }

    enum ShedReason: Sendable {
        /// `capacity` bytes were waiting.
        case behind
        /// The queue had closed: the daemon is stopping.
        case stopping
    }

    private struct State {
        /// Each item with its packets' bytes.
        var items: [(item: Item, bytes: Int)] = []
        var bytes = 0
        /// Clips shed while parts of them were still to come: what follows is dropped.
        var shed: Set<String> = []
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

    init(directory: URL, capacity: Int = 64 << 20, logger: Logger, ticketOf: @escaping @Sendable (String) -> Int64? = { _ in nil },
         onCommand: @escaping @Sendable (TicketCommand) -> Void) {
        self.ticketOf = ticketOf
        self.directory = directory
        self.capacity = capacity
        self.logger = logger
        self.onCommand = onCommand
    }

    /// Start the writer thread (once). It first removes the unfinished files (`.partial`)
    /// a daemon that died while writing left behind.
    func start() {
        guard state.withLock({ s -> Bool in
            defer { s.started = true }
            return !s.started
        }) else { return }
        let thread = Thread { [self] in
            self.removeLeftovers()
            self.run()
            self.finished.signal()
        }
        thread.name = "clips"
        thread.start()
    }

    /// Queue the packets a clip has collected so far; false when the clip is shed (or was).
    /// Never blocks: a camera calls it under its clip lock.
    @discardableResult
    func enqueue(_ part: Part) -> Bool {
        admit(.part(part), name: part.clip.request.name, camera: part.place.cameraID,
              bytes: part.clip.packets.reduce(0) { $0 + $1.data.count }, ends: false, beyondCapacity: false)
    }

    /// Queue a clip's end (with its last packets); false when it is shed. The end of a
    /// clip whose parts were taken is always taken (2 s of packets at most): the disk work
    /// is done.
    @discardableResult
    func enqueue(_ job: Job) -> Bool {
        admit(.finish(job), name: job.clip.request.name, camera: job.place.cameraID,
              bytes: job.clip.packets.reduce(0) { $0 + $1.data.count }, ends: true, beyondCapacity: job.clip.followsParts)
    }

    private func admit(_ item: Item, name: String, camera: String, bytes: Int, ends: Bool, beyondCapacity: Bool) -> Bool {
        let (accepted, unheard) = state.withLock { s -> (Bool, ShedReason?) in
            // Shed before: what follows of that clip is dropped, and its end clears the mark.
            if ends ? s.shed.remove(name) != nil : s.shed.contains(name) { return (false, nil) }
            guard s.started, !s.closed, beyondCapacity || s.items.isEmpty || s.bytes + bytes <= capacity else {
                if !ends { s.shed.insert(name) }
                return (false, shedding(&s, name: name, camera: camera))
            }
            s.items.append((item, bytes))
            s.bytes += bytes
            return (true, nil)
        }
        wake.signal()
        if let unheard { log(unheard, name: name, camera: camera) }
        return accepted
    }

    /// Count a clip shed. While the writer runs, it gets a note: it removes the clip's file
    /// if open and logs (a camera must not wait on the log under its clip lock). Once the
    /// queue has closed (the daemon stopping) or before it started, the reason is returned
    /// for the caller to log.
    private func shedding(_ s: inout State, name: String, camera: String) -> ShedReason? {
        guard s.started, !s.closed else { return .stopping }
        Self.shed.increment()
        s.items.append((.shed(name: name, camera: camera, reason: .behind), 0))
        return nil
    }

    private func log(_ reason: ShedReason, name: String, camera: String) {
        switch reason {
        case .behind: logger.warning("clip shed: the clip writer is behind", metadata: ["camera.id": "\(camera)", "clip": "\(name)"])
        case .stopping: logger.warning("clip not written: the daemon is stopping", metadata: ["camera.id": "\(camera)", "clip": "\(name)"])
        }
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

    /// A clip being written: its file, and the time spent on it so far.
    private struct Open {
        var session: ClipWriter.Session
        var nanos: UInt64 = 0
    }

    private func run() {
        // The writer thread's own: the clips whose files are open, and those that failed
        // (their later parts are skipped; the failure was counted once).
        var open: [String: Open] = [:]
        var failed: Set<String> = []
        while true {
            let next = state.withLock { s -> Item?? in
                if let first = s.items.first {
                    s.items.removeFirst()
                    s.bytes -= first.bytes
                    return .some(first.item)
                }
                return s.closed ? .none : .some(nil)
            }
            switch next {
            case .none:
                // Every camera ended its clips before the queue closed: none should be left.
                for (name, o) in open {
                    o.session.abandon()
                    logger.warning("clip not finished when the daemon stopped", metadata: ["clip": "\(name)"])
                }
                return
            case .some(nil): wake.wait()
            case let .some(item?):
                switch item {
                case let .part(part): write(part, open: &open, failed: &failed)
                case let .finish(job): finish(job, open: &open, failed: &failed)
                case let .shed(name, camera, reason):
                    open.removeValue(forKey: name)?.session.abandon()
                    failed.remove(name)
                    log(reason, name: name, camera: camera)
                }
            }
        }
    }

    private func write(_ part: Part, open: inout [String: Open], failed: inout Set<String>) {
        let name = part.clip.request.name
        guard !failed.contains(name) else { return }
        let started = MonotonicClock.nanos()
        do {
            var o = try open[name] ?? opening(part.place)
            try o.session.append(part.clip.packets)
            o.nanos += MonotonicClock.nanos() - started
            open[name] = o
        } catch {
            open.removeValue(forKey: name)?.session.abandon()
            failed.insert(name)
            notWritten(name, camera: part.place.cameraID, error: error)
        }
    }

    private func finish(_ job: Job, open: inout [String: Open], failed: inout Set<String>) {
        let name = job.clip.request.name
        guard failed.remove(name) == nil else { return }
        let started = MonotonicClock.nanos()
        do {
            guard var o = try open.removeValue(forKey: name) ?? (job.clip.followsParts ? nil : opening(job.place)) else {
                // Its parts went nowhere (shed before any was written).
                return
            }
            let ticket = ticketOf(name)
            try o.session.append(job.clip.packets)
            let summary = try o.session.finish(metadata: [
                ("title", ticket.map { "Gridwatch ticket \($0), camera \(job.place.cameraID)" } ?? "Gridwatch camera \(job.place.cameraID)"),
                ("comment", "camera=\(job.place.cameraID)" + (ticket.map { " ticket=\($0)" } ?? "")
                    + " event=\(Self.iso(job.place.eventDate)) end=\(job.clip.end.rawValue) clip=\(name)"),
            ])
            o.nanos += MonotonicClock.nanos() - started
            Self.writeTime.recordNanoseconds(Int64(o.nanos))
            Self.written.increment()
            onCommand(.clipWritten(name: name, path: job.place.path, seconds: summary.duration, bytes: summary.bytes,
                                   eventOffset: max(0, job.clip.eventTime - summary.start), end: ClipEnd(job.clip.end)))
        } catch {
            notWritten(name, camera: job.place.cameraID, error: error)
        }
    }

    /// The clip's file, opened (its folder made) under `.partial`.
    private func opening(_ place: Place) throws -> Open {
        let url = directory.appendingPathComponent(place.path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        return Open(session: try ClipWriter.Session(path: url.path, parameters: place.parameters,
                                                    metadata: [("creation_time", Self.iso(place.eventDate))]))
    }

    private func notWritten(_ name: String, camera: String, error: any Error) {
        Self.failed.increment()
        logger.error("clip not written", metadata: ["camera.id": "\(camera)", "clip": "\(name)", "error": "\(error)"])
    }

    /// Unfinished clip files (`*.partial`), left by a daemon that stopped without finishing
    /// them (killed, or the power went): unplayable, since an MP4's index comes last. Only
    /// the day folders of the last week are looked at, not years of pictures; a daemon
    /// under systemd starts again long before.
    private func removeLeftovers() {
        let now = Date()
        var removed = 0
        for day in 0..<8 {
            let folder = directory.appendingPathComponent(TicketStore.clipPath(name: "-", at: now.addingTimeInterval(-86_400 * Double(day))))
                .deletingLastPathComponent()
            for file in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where file.hasSuffix(".partial") {
                if unlink(folder.appendingPathComponent(file).path) == 0 { removed += 1 }
            }
        }
        if removed > 0 { logger.notice("unfinished clip files removed", metadata: ["count": "\(removed)"]) }
    }

    static func iso(_ date: Date) -> String {
        LocalTime.format(date, "%Y-%m-%dT%H:%M:%SZ", utc: true)
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
