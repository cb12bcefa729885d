import Foundation
import Logging
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
/// read-only file system) is logged loudly, kept in memory and retried; analysis goes on.
/// It runs until the alert stream ends, so shutdown writes every pending alert it can.
public final class TicketService: Service, Sendable {
    private let store: TicketStore
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
    /// How long each ticket write takes, failures included.
    static let writeTime = Metrics.Timer(label: "gridwatch_store_write_seconds")

    private struct State {
        var pending: [TicketCommand] = []
        var health = StoreHealth()
    }

    init(store: TicketStore, commands: AsyncStream<TicketCommand>, settings: TicketSettings, events: EventHub, logger: Logger) {
        self.store = store
        self.events = events
        self.commands = commands
        currentSettings = Mutex(settings)
        self.logger = logger
    }

    public var health: StoreHealth { state.withLock { $0.health } }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(min(5, self.settings.checkEvery)))
                    if Task.isCancelled { break }
                    self.periodic(now: Date())
                }
            }
            for await command in commands {
                retryPending()
                handle(command)
            }
            group.cancelAll()
        }
        retryPending()
        let left = state.withLock { $0.pending.count }
        if left > 0 { logger.critical("tickets not written at shutdown", metadata: ["pending": "\(left)"]) }
        // The stream ends when the cameras have stopped, which may be a moment before the
        // service group turns to this service; finishing before then would read as a failure.
        try? await gracefulShutdown()
    }

    /// Retry failed writes, then the supervision when it is due.
    func periodic(now: Date) {
        retryPending()
        supervise(now: now)
    }

    private let lastChecks = Mutex<Date>(.distantPast)

    func supervise(now: Date) {
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
        } catch {
            logger.error("supervision failed", metadata: ["error": "\(error)"])
        }
    }

    private func retryPending() {
        let queued = state.withLock { s -> [TicketCommand] in
            let q = s.pending
            s.pending = []
            return q
        }
        if queued.isEmpty { return }
        logger.notice("retrying ticket writes", metadata: ["pending": "\(queued.count)"])
        for (i, command) in queued.enumerated() where !handle(command, retrying: true) {
            // Still failing: keep this one and everything after it, in order.
            state.withLock { s in
                s.pending = Array(queued[i...]) + s.pending
                s.health.pending = s.pending.count
            }
            return
        }
        state.withLock { s in
            s.health.pending = s.pending.count
            if s.pending.isEmpty {
                s.health.lastError = nil
                s.health.failingSince = nil
            }
        }
        logger.notice("ticket writes recovered")
    }

    func handle(_ command: TicketCommand) {
        _ = handle(command, retrying: false)
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
            case let .cameraOffline(cameraID, gridID, title, since, reason):
                let (ticket, created) = try store.reportCameraOffline(cameraID: cameraID, gridID: gridID, title: title, since: since, reason: reason, at: now)
                events.publishTicket(ticket, change: created ? "created" : "offline_again", actor: "gridwatchd", at: now)
                logger.notice(created ? "ticket raised" : "camera offline again", metadata: [
                    "ticket.id": "\(ticket.id ?? 0)", "camera.id": "\(cameraID)", "category": "camera_offline",
                ])
            case let .cameraRecovered(cameraID, downFor):
                let ticket = try store.reportCameraRecovered(cameraID: cameraID, downFor: downFor, at: now)
                if let ticket { events.publishTicket(ticket, change: "recovered", actor: "gridwatchd", at: now) }
                logger.notice("camera recovered", metadata: [
                    "camera.id": "\(cameraID)", "down.s": "\(Int(downFor))", "ticket.id": "\(ticket?.id ?? 0)",
                ])
            }
            return true
        } catch {
            if !retrying {
                let dropped = state.withLock { s -> Int in
                    s.pending.append(command)
                    let over = max(0, s.pending.count - Self.maxPending)
                    s.pending.removeFirst(over)
                    s.health.pending = s.pending.count
                    s.health.lastError = "\(error)"
                    if s.health.failingSince == nil { s.health.failingSince = now }
                    return over
                }
                if dropped > 0 { logger.critical("ticket retry queue full: oldest alerts dropped", metadata: ["dropped": "\(dropped)"]) }
            }
            logger.error("ticket not written; will retry", metadata: ["error": "\(error)"])
            return false
        }
    }
}
