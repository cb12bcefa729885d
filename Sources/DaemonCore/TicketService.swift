import Catalog
import Foundation
import Logging
import Notify
import Metrics
import ServiceLifecycle
import Storage
import Synchronization
import Tickets

/// Whether ticket writing works; shown by the health endpoint.
public struct StoreHealth: Sendable, Equatable {
    /// The last write error, while writes keep failing.
    public var lastError: String?
    public var failingSince: Date?
    /// Alerts waiting to be written again.
    public var pending = 0
    public var ok: Bool { lastError == nil && pending == 0 }
}

/// Turns alerts into tickets in the store, one at a time, in the order raised, and runs the
/// periodic supervision (deadlines, escalation) and retention. A write that fails (full disk,
/// read-only file system) is kept in memory and retried; analysis goes on. The failure is
/// logged when it starts, at most once a minute while it lasts, and when it ends.
/// Each failed command is also kept in the `AlertSpool` (a file allocated at start, so it can
/// be written on a full disk): what is still unwritten at stop is written at the next start.
/// It runs until the alert stream ends, so shutdown writes every pending alert it can.
public final class TicketService: Service, Sendable {
    private let store: TicketStore
    private let spool: AlertSpool?
    /// Alerts refused by the fence (their camera's lease went to another node), since start.
    let fenced = Atomic<Int>(0)
    private let commands: AsyncStream<TicketCommand>
    private let logger: Logger
    private let currentSettings: Mutex<TicketSettings>
    /// Supervision and retention settings; replaced by a reload.
    var settings: TicketSettings {
        get { currentSettings.withLock { $0 } }
        set { currentSettings.withLock { $0 = newValue } }
    }
    private let events: EventHub
    private let state = Mutex(State())
    /// Alerts kept for retry at most; beyond this the oldest are dropped (and logged).
    static let maxPending = 10_000
    /// While writes keep failing, a line at most this often.
    static let failureLogInterval: TimeInterval = 60
    /// A failed write that took this long or more leaves the next tries to the periodic pass.
    static let slowFailure: TimeInterval = 1
    /// How long each ticket write takes, failures included.
    static let writeTime = Metrics.Timer(label: "gridwatch_store_write_seconds")

    /// A command waiting to be written again.
    private struct Pending {
        var command: TicketCommand
        /// Its record in the spool, if it was kept there.
        var sequence: UInt64?
        /// Kept in the spool without its picture (no room for it).
        var pictureDropped = false
        /// Found in the spool at start: left by the previous run.
        var fromSpool = false
    }

    private struct State {
        var pending: [Pending] = []
        var health = StoreHealth()
        /// One retry pass at a time: the spool is emptied from what the pass leaves.
        var retrying = false
        /// The last failed write took `slowFailure` or more (a server that stops answering).
        var failingSlowly = false
        /// Failures since the condition was last logged.
        var failuresSinceLog = 0
        var failuresTotal = 0
        var lastLogged: Date?
        var lastSupervisionError: (text: String, at: Date)?
    }

    /// Whether this node runs the supervision (with a shared store, one node does).
    let jobs: JobGate

    init(store: TicketStore, commands: AsyncStream<TicketCommand>, settings: TicketSettings, events: EventHub, logger: Logger, spool: AlertSpool? = nil,
         jobs: JobGate = JobGate()) {
        self.jobs = jobs
        self.store = store
        self.spool = spool
        self.events = events
        self.commands = commands
        currentSettings = Mutex(settings)
        self.logger = logger
    }

    public var health: StoreHealth { state.withLock { $0.health } }

    public func run() async {
        replaySpool()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(min(5, self.settings.checkEvery)))
                    if Task.isCancelled { break }
                    self.periodic(now: Date())
                }
            }
            for await command in commands {
                retryPending(unlessSlow: true)
                handle(command)
            }
            group.cancelAll()
        }
        retryPending()
        reportAtShutdown()
        // The stream ends when the cameras have stopped, which may be a moment before the
        // service group turns to this service; finishing before then would read as a failure.
        try? await gracefulShutdown()
    }

    /// Commands the previous run could not write: first in line, then written.
    private func replaySpool() {
        guard let spool, !spool.recovered.isEmpty else { return }
        let found = spool.recovered.map { Pending(command: $0.command, sequence: $0.sequence, fromSpool: true) }
        state.withLock { s in
            s.pending = found + s.pending
            s.health.pending = s.pending.count
        }
        logger.notice("\(LogText.spoolFound.text(.log))", metadata: ["alerts": "\(found.count)", "spool": "\(spool.path)"])
        retryPending()
    }

    /// What could not be written by the end: kept in the spool, or lost; said exactly.
    private func reportAtShutdown() {
        let left = state.withLock { $0.pending }
        guard !left.isEmpty else { return }
        let kept = left.filter { $0.sequence != nil }
        let lost = left.count - kept.count
        let metadata: Logger.Metadata = [
            "pending": "\(left.count)", "kept": "\(kept.count)", "without_picture": "\(kept.filter(\.pictureDropped).count)",
            "lost": "\(lost)", "spool": "\(spool?.path ?? "none")",
        ]
        if lost == 0 {
            logger.error("\(LogText.spoolKept.text(.log))", metadata: metadata)
        } else {
            logger.critical("\(LogText.spoolLost(count: lost).text(.log))", metadata: metadata)
        }
    }

    /// Retry failed writes, then the supervision when it is due.
    func periodic(now: Date) {
        retryPending()
        supervise(now: now)
    }

    private let lastChecks = Mutex<Date>(.distantPast)

    func supervise(now: Date) {
        guard jobs.holds("supervision") else { return }
        let run = lastChecks.withLock { last -> Bool in
            guard now.timeIntervalSince(last) >= settings.checkEvery else { return false }
            last = now
            return true
        }
        guard run else { return }
        do {
            for ticket in try store.escalateOverdue(at: now) {
                events.publishTicket(ticket, change: "escalation", actor: "gridwatchd", at: now)
                logger.warning("ticket overdue: escalated", metadata: [
                    "ticket.id": "\(ticket.id ?? 0)", "severity": "\(ticket.severity.rawValue)", "overdue": "\(ticket.overdue)",
                ])
            }
            let purged = try store.purgeEvidence(
                olderThan: now.addingTimeInterval(-settings.evidenceDays * 86_400), maxBytes: settings.evidenceMaxBytes, at: now)
            if purged > 0 { logger.notice("evidence purged", metadata: ["tickets": "\(purged)"]) }
            let archived = try store.archiveClosed(before: now.addingTimeInterval(-settings.archiveAfterDays * 86_400), at: now)
            if archived > 0 { logger.notice("tickets archived", metadata: ["tickets": "\(archived)"]) }
            // Delivered notifications are kept a week (to answer "did it go?"); callback ids
            // twice the replay window.
            try store.pruneOutbox(olderThan: now.addingTimeInterval(-7 * 86_400), inboundBefore: now.addingTimeInterval(-2 * StandardWebhooks.tolerance))
        } catch {
            // The same failure (a full disk) is said again at most once a minute.
            let why = DiskFull.matches(error) ? DiskFull.reason(directory: store.directory.path) : "\(error)"
            let say = state.withLock { s -> Bool in
                if let last = s.lastSupervisionError, last.text == why, now.timeIntervalSince(last.at) < Self.failureLogInterval { return false }
                s.lastSupervisionError = (why, now)
                return true
            }
            if say { logger.error("supervision failed", metadata: ["error": "\(why)"]) }
        }
    }

    /// Write what waits, in order, until one fails. `unlessSlow` (the alerts' own path): not
    /// while writes fail slowly, which the periodic pass keeps trying. A store that takes
    /// seconds to fail (a server that stops answering) would otherwise hold each alert that
    /// comes behind a try of its own, in memory only; so it goes to the spool at once. A
    /// store that fails at once (a full disk, a server refusing connections) is tried at
    /// each alert, and taken up again as soon as it can be.
    private func retryPending(unlessSlow: Bool = false) {
        let queued = state.withLock { s -> [Pending]? in
            guard !s.retrying, !s.pending.isEmpty else { return nil }
            if unlessSlow && s.failingSlowly { return nil }
            s.retrying = true
            let q = s.pending
            s.pending = []
            return q
        }
        guard let queued else { return }
        logger.debug("retrying ticket writes", metadata: ["pending": "\(queued.count)"])
        var written = 0
        for entry in queued {
            if !handle(entry.command, retrying: true) { break }
            written += 1
        }
        let replayed = queued.prefix(written).filter(\.fromSpool).count
        let recovered = state.withLock { s -> (since: Date, failures: Int)? in
            // Still failing: keep this one and everything after it, in order.
            s.pending = Array(queued[written...]) + s.pending
            s.health.pending = s.pending.count
            s.retrying = false
            if written > 0 { settleSpool(s) }
            guard s.pending.isEmpty, let since = s.health.failingSince else { return nil }
            s.health.lastError = nil
            s.health.failingSince = nil
            s.failingSlowly = false
            let failures = s.failuresTotal
            s.failuresTotal = 0
            s.failuresSinceLog = 0
            s.lastLogged = nil
            return (since, failures)
        }
        if replayed > 0 {
            logger.notice("\(LogText.spoolReplayed.text(.log))", metadata: ["replayed": "\(replayed)", "spool": "\(spool?.path ?? "none")"])
        }
        if let recovered {
            logger.notice("\(LogText.storeRecovered.text(.log))", metadata: [
                "written": "\(written)", "failed_attempts": "\(recovered.failures)",
                "failing_for.s": "\(Int(Date().timeIntervalSince(recovered.since)))",
            ])
        }
    }

    /// The spool keeps what is still pending: emptied once nothing in it is, otherwise told
    /// which records are written. Under the state lock, so no append slips in between.
    private func settleSpool(_ s: State) {
        guard let spool else { return }
        if let oldest = s.pending.compactMap(\.sequence).min() {
            if oldest > 1 { spool.acknowledge(through: oldest - 1) }
        } else {
            spool.clear()
        }
    }

    /// A failed write: logged when the condition starts, then at most once a minute with a
    /// count; `retrying` failures count too.
    private func noteFailure(_ error: any Error, at now: Date, took seconds: Double) {
        let why = DiskFull.matches(error) ? DiskFull.reason(directory: store.directory.path) : "\(error)"
        enum Say { case started, still(Int) }
        let say = state.withLock { s -> Say? in
            s.health.lastError = why
            s.failingSlowly = seconds >= Self.slowFailure
            s.failuresTotal += 1
            s.failuresSinceLog += 1
            if s.health.failingSince == nil { s.health.failingSince = now }
            guard let last = s.lastLogged else {
                s.lastLogged = now
                s.failuresSinceLog = 0
                return .started
            }
            guard now.timeIntervalSince(last) >= Self.failureLogInterval else { return nil }
            let n = s.failuresSinceLog
            s.lastLogged = now
            s.failuresSinceLog = 0
            return .still(n)
        }
        switch say {
        case .started:
            logger.error("\(LogText.storeFailing.text(.log))", metadata: [
                "error": "\(why)", "spool": "\(spool?.path ?? "none")",
            ])
        case let .still(n):
            logger.error("\(LogText.storeStillFailing.text(.log))", metadata: [
                "failed_attempts": "\(n)", "pending": "\(health.pending)", "error": "\(why)",
            ])
        case nil:
            break
        }
    }

    /// Write `command`, unless earlier ones still wait to be written: then it waits behind
    /// them, so commands reach the store in the order raised (a camera's recovery never
    /// lands before its offline report).
    func handle(_ command: TicketCommand) {
        let waiting = state.withLock { !$0.pending.isEmpty || $0.retrying }
        if waiting {
            enqueue(command)
            retryPending(unlessSlow: true)
            return
        }
        _ = handle(command, retrying: false)
    }

    /// Keep `command` for a later retry, in memory and in the spool.
    private func enqueue(_ command: TicketCommand) {
        let dropped = state.withLock { s -> Int in
            var entry = Pending(command: command)
            if let spool, case let .kept(sequence, withPicture) = spool.append(command) {
                entry.sequence = sequence
                entry.pictureDropped = command.picture != nil && !withPicture
            }
            s.pending.append(entry)
            let over = max(0, s.pending.count - Self.maxPending)
            s.pending.removeFirst(over)
            s.health.pending = s.pending.count
            return over
        }
        if dropped > 0 { logger.critical("ticket retry queue full: oldest alerts dropped", metadata: ["dropped": "\(dropped)"]) }
    }

    /// Write one command; on failure queue it (unless retrying) and return false.
    @discardableResult
    private func handle(_ command: TicketCommand, retrying: Bool) -> Bool {
        let now = Date()
        let started = DispatchTime.now().uptimeNanoseconds
        defer { Self.writeTime.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started)) }
        do {
            switch command {
            case .alert(let alert):
                let (ticket, created) = try store.raise(alert, at: now)
                events.publishTicket(ticket, change: created ? "created" : "occurrence", actor: "gridwatchd", at: now)
                logger.notice(created ? "ticket raised" : "repeat alert merged", metadata: [
                    "ticket.id": "\(ticket.id ?? 0)", "camera.id": "\(alert.cameraID)",
                    "zone.id": "\(alert.zoneID ?? alert.tripwireID ?? "-")", "category": "\(alert.category.rawValue)",
                    "occurrences": "\(ticket.occurrences)",
                ])
            case let .cameraOffline(cameraID, gridID, title, since, reason, titleText, fault):
                // A spool from before the catalogue has only the bilingual texts.
                let (ticket, created) = try store.reportCameraOffline(
                    cameraID: cameraID, gridID: gridID, title: titleText ?? .plain(title), since: since,
                    fault: fault ?? reason.map { .other(code: 0, detail: $0) }, at: now)
                events.publishTicket(ticket, change: created ? "created" : "offline_again", actor: "gridwatchd", at: now)
                logger.notice(created ? "ticket raised" : "camera offline again", metadata: [
                    "ticket.id": "\(ticket.id ?? 0)", "camera.id": "\(cameraID)", "category": "camera_offline",
                ])
            case let .tamperCleared(cameraID, kind, at):
                let ticket = try store.reportTamperCleared(cameraID: cameraID, kind: kind, at: at)
                if let ticket { events.publishTicket(ticket, change: "cleared", actor: "gridwatchd", at: now) }
                logger.notice("camera picture normal again", metadata: ["camera.id": "\(cameraID)", "kind": "\(kind)", "ticket.id": "\(ticket?.id ?? 0)"])
            case let .clipWritten(name, path, seconds, bytes, eventOffset, end):
                let ticket = try store.attachClip(name: name, path: path, seconds: seconds, bytes: bytes, eventOffset: eventOffset, end: end, at: now)
                if let ticket { events.publishTicket(ticket, change: "clip", actor: "gridwatchd", at: now) }
                logger.info(ticket == nil ? "clip not kept: no ticket waits for it" : "clip kept", metadata: [
                    "clip": "\(name)", "ticket.id": "\(ticket?.id ?? 0)", "seconds": "\(String(format: "%.1f", seconds))", "end": "\(end.rawValue)",
                ])
            case let .cameraRecovered(cameraID, downFor):
                let ticket = try store.reportCameraRecovered(cameraID: cameraID, downFor: downFor, at: now)
                if let ticket { events.publishTicket(ticket, change: "recovered", actor: "gridwatchd", at: now) }
                logger.notice("camera recovered", metadata: [
                    "camera.id": "\(cameraID)", "down.s": "\(Int(downFor))", "ticket.id": "\(ticket?.id ?? 0)",
                ])
            }
            return true
        } catch let PostgresStoreError.fenced(why) {
            // Raised after this node's lease ran out, and another node has had the camera
            // since: its alert is that node's to raise. Done with, never tried again.
            fenced.add(1, ordering: .relaxed)
            logger.warning("alert refused: the camera's lease went to another node", metadata: ["why": "\(why)"])
            return true
        } catch {
            if !retrying { enqueue(command) }
            noteFailure(error, at: now, took: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            return false
        }
    }
}
