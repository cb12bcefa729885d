import Catalog
import ControlProtocol
import Foundation
import Logging
import MediaIO
import Metrics
import Notify
import ServiceLifecycle
import Storage
import Synchronization
import Tickets

/// A wake-up call that is not lost when nobody is waiting: `wait` returns at once if
/// `signal` came since the last wait, on the timeout, or when the task is cancelled.
final class Wakeup: Sendable {
    private let state = Mutex<(pending: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let w = s.waiter else {
                s.pending = true
                return nil
            }
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }

    func wait(seconds: Double) async {
        let timer = Task {
            try? await Task.sleep(for: .seconds(max(0.001, seconds)))
            if !Task.isCancelled { self.signal() }
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.pending {
                        s.pending = false
                        return true
                    }
                    s.waiter = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            self.signal()
        }
        timer.cancel()
    }
}

/// Delivers the outbox (`Docs/design/notify-outbox.md`): one sender per destination claims
/// its due deliveries from the store, sends them, and records what happened, at least once
/// and in order per ticket. The store wakes the senders when a change is written; otherwise
/// each sleeps until its next retry falls due.
public final class NotifyService: Service, Sendable {
    let store: TicketStore
    let logger: Logger
    private struct Senders {
        var running: [String: DestinationSender] = [:]
        /// Destinations whose old sender is still stopping: the new one starts after it, so
        /// two senders never hold the same deliveries.
        var replacing: Set<String> = []
        var stopping = false
    }
    private let senders = Mutex(Senders())
    private let configured = Mutex<[NotifyDestination]>([])

    /// Whether this node delivers the outbox (with a shared store, one node does).
    let jobs: JobGate

    init(store: TicketStore, destinations: [NotifyDestination], logger: Logger, jobs: JobGate = JobGate()) {
        self.store = store
        self.jobs = jobs
        self.logger = logger
        // A program that closes its standard input early must not end the daemon.
        signal(SIGPIPE, SIG_IGN)
        configured.withLock { $0 = destinations }
        store.notifyRoutes = destinations.map(\.route)
        store.outboxWritten.withLock { $0 = { [weak self] in self?.wakeAll() } }
    }

    public var destinations: [NotifyDestination] { configured.withLock { $0 } }

    func wakeAll() {
        for sender in senders.withLock({ Array($0.running.values) }) { sender.wake.signal() }
    }

    func sender(_ id: String) -> DestinationSender? { senders.withLock { $0.running[id] } }

    public func run() async {
        update(destinations)
        try? await gracefulShutdown()
        let all = senders.withLock { s -> [DestinationSender] in
            s.stopping = true
            defer { s.running = [:] }
            return Array(s.running.values)
        }
        // In-flight deliveries get a few seconds; what is cut off stays pending and goes
        // again at the next start, under the same message id.
        await withTaskGroup(of: Void.self) { group in
            for sender in all { group.addTask { await sender.stop(grace: 5) } }
        }
    }

    /// Start, replace or stop senders to match `new` (at start and on reload). A sender
    /// whose destination did not change keeps running; one that changed is stopped first
    /// and its replacement started once it has (its in-flight deliveries finished or cut off).
    func update(_ new: [NotifyDestination]) {
        configured.withLock { $0 = new }
        store.notifyRoutes = new.map(\.route)
        var stopped: [DestinationSender] = []
        var started: [DestinationSender] = []
        senders.withLock { s in
            guard !s.stopping else { return }
            for (id, sender) in s.running where !new.contains(where: { $0 == sender.destination }) {
                stopped.append(sender)
                s.running[id] = nil
                if new.contains(where: { $0.id == id }) { s.replacing.insert(id) }
            }
            for d in new where s.running[d.id] == nil && !s.replacing.contains(d.id) {
                let sender = DestinationSender(destination: d, store: store, logger: logger, jobs: jobs)
                s.running[d.id] = sender
                started.append(sender)
            }
        }
        for sender in started { sender.start() }
        for sender in stopped {
            Task {
                await sender.stop(grace: 5)
                self.replaced(sender.destination.id)
            }
        }
    }

    /// The old sender of `id` has stopped: start the one the configuration now has.
    private func replaced(_ id: String) {
        let current = configured.withLock { $0.first { $0.id == id } }
        let started = senders.withLock { s -> DestinationSender? in
            s.replacing.remove(id)
            guard !s.stopping, let d = current, s.running[id] == nil else { return nil }
            let sender = DestinationSender(destination: d, store: store, logger: logger, jobs: jobs)
            s.running[id] = sender
            return sender
        }
        started?.start()
    }

    // MARK: The API's view

    func status(at now: Date = Date()) throws -> [NotifyDestinationStatus] {
        let list = destinations
        let stats = try store.destinationStatus(list.map(\.id), at: now)
        return try zip(list, stats).map { d, s in
            NotifyDestinationStatus(d, s, dead: try store.deadLetters(destination: d.id, limit: 20))
        }
    }
}

/// One destination's sender: a loop that claims due deliveries (up to its concurrency, one
/// per ticket at a time), sends each on a task of its own, and records the outcome.
final class DestinationSender: Sendable {
    let destination: NotifyDestination
    let store: TicketStore
    let logger: Logger
    let wake = Wakeup()
    private let poster: HTTPPoster?
    private struct State {
        var inFlight: [Int64: Task<Void, Never>] = [:]
        var loop: Task<Void, Never>?
        /// When the last message went (monotonic: a wall-clock step neither stalls nor floods).
        var lastSend: ContinuousClock.Instant?
        /// Tickets whose last outcome could not be recorded (the store failing): not tried
        /// again before this, so a full disk does not turn into a flood of duplicates.
        var holdUntil: [Int64: ContinuousClock.Instant] = [:]
    }
    private let state = Mutex(State())
    private var schedule: RetrySchedule { destination.retry }

    let jobs: JobGate

    init(destination: NotifyDestination, store: TicketStore, logger: Logger, jobs: JobGate = JobGate()) {
        self.destination = destination
        self.jobs = jobs
        self.store = store
        var logger = logger
        logger[metadataKey: "notify.destination"] = "\(destination.id)"
        self.logger = logger
        poster = destination.kind == .exec ? nil : HTTPPoster(timeout: destination.timeout, connections: destination.concurrency)
    }

    func start() {
        let task = Task { await self.loop() }
        state.withLock { $0.loop = task }
    }

    /// Stop claiming; wait up to `grace` seconds for what is in flight, then cut it off.
    func stop(grace: Double) async {
        let loop = state.withLock { $0.loop }
        loop?.cancel()
        await loop?.value
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline && !Task.isCancelled {
            let left = state.withLock { $0.inFlight.count }
            if left == 0 { break }
            await wake.wait(seconds: max(0.01, deadline.timeIntervalSinceNow))
        }
        for task in state.withLock({ Array($0.inFlight.values) }) { task.cancel() }
        poster?.close()
    }

    private func loop() async {
        let id = destination.id
        while !Task.isCancelled {
            let now = Date()
            var waitFor = 60.0
            guard jobs.holds("outbox") else {
                // Another node delivers the outbox; this one wakes when the job comes here.
                await wake.wait(seconds: 5)
                continue
            }
            do {
                let control = try store.destinationControl(id)
                if control.disabled {
                    // Switched off by the receiver (410): only `enable` brings it back.
                    await wake.wait(seconds: 3600)
                    continue
                }
                if let paused = control.pausedUntil, paused > now {
                    await wake.wait(seconds: paused.timeIntervalSince(now))
                    continue
                }
                let busy = state.withLock { st -> Set<Int64> in
                    let clock = ContinuousClock.now
                    st.holdUntil = st.holdUntil.filter { $0.value > clock }
                    return Set(st.inFlight.keys).union(st.holdUntil.keys)
                }
                let free = destination.concurrency - state.withLock { $0.inFlight.count }
                var claimed = 0
                var rateLimited = false
                if free > 0 {
                    for delivery in try store.dueDeliveries(destination: id, at: now, limit: free, busyTickets: busy) {
                        if let perMinute = destination.perMinute, let last = state.withLock({ $0.lastSend }) {
                            // Robots refuse more than their rate: space the messages out.
                            let ready = last + .milliseconds(Int64(60_000 / perMinute))
                            if ready > ContinuousClock.now {
                                waitFor = max(0.01, (ready - ContinuousClock.now) / .seconds(1))
                                rateLimited = true
                                break
                            }
                        }
                        claimed += 1
                        state.withLock { s in
                            s.lastSend = ContinuousClock.now
                            s.inFlight[delivery.ticketID] = Task { await self.deliver(delivery) }
                        }
                    }
                }
                if claimed > 0 && !rateLimited { continue }
                // Full: a finished delivery wakes the loop. Rate-limited: the wait is known.
                // Otherwise the next retry that can go (a ticket's first pending change, not
                // one in flight or held) sets the alarm.
                if free > 0 && !rateLimited, let next = try store.nextDue(destination: id, excluding: busy) {
                    waitFor = min(waitFor, max(0.01, next.timeIntervalSinceNow))
                }
            } catch {
                logger.error("notify: cannot read the outbox", metadata: ["error": "\(error)"])
                waitFor = 5
            }
            await wake.wait(seconds: waitFor)
        }
    }

    private func finished(_ ticketID: Int64) {
        state.withLock { _ = $0.inFlight.removeValue(forKey: ticketID) }
        wake.signal()
    }

    // MARK: One delivery

    private func deliver(_ d: PendingDelivery) async {
        defer { finished(d.ticketID) }
        let started = ContinuousClock.now
        let verdict: DeliveryVerdict
        do {
            verdict = try await send(d)
        } catch {
            if Task.isCancelled { return } // cut off at shutdown: pending, sent again at the next start
            verdict = .retry(reason: error.description, after: nil)
        }
        Metrics.Timer(label: "gridwatch_notify_delivery_seconds", dimensions: [("destination", destination.id)]).record(duration: ContinuousClock.now - started)
        record(d, verdict)
    }

    private func record(_ d: PendingDelivery, _ verdict: DeliveryVerdict) {
        let now = Date()
        let id = destination.id
        do {
            switch verdict {
            case .delivered:
                try store.markDelivered(destination: id, eventID: d.eventID, at: now)
                Counter(label: "gridwatch_notify_delivered_total", dimensions: [("destination", id)]).increment()
                logger.debug("notify: delivered", metadata: ["message_id": "\(d.messageID)", "ticket": "\(d.ticketID)", "type": "\(d.type.rawValue)"])
            case let .retry(reason, after):
                let first = d.firstAttemptAt ?? now
                let next = schedule.next(afterFailures: d.attempts + 1, firstAttempt: first, now: now, retryAfter: after, random: Double.random(in: 0...1))
                if let after { try store.pauseDestination(id, until: now.addingTimeInterval(min(after, RetrySchedule.longestRetryAfter))) }
                try store.markFailed(destination: id, eventID: d.eventID, error: reason, retryAt: next, at: now)
                Counter(label: "gridwatch_notify_failures_total", dimensions: [("destination", id)]).increment()
                if next == nil {
                    logger.error("notify: given up, kept as a dead letter", metadata: [
                        "message_id": "\(d.messageID)", "ticket": "\(d.ticketID)", "attempts": "\(d.attempts + 1)", "error": "\(reason)",
                    ])
                } else {
                    logger.warning("notify: delivery failed, will retry", metadata: [
                        "message_id": "\(d.messageID)", "ticket": "\(d.ticketID)", "attempt": "\(d.attempts + 1)", "error": "\(reason)",
                        "retry_in_s": "\(Int((next!.timeIntervalSince(now)).rounded()))",
                    ])
                }
            case let .disable(reason):
                try store.disableDestination(id, reason: reason, at: now)
                try store.markFailed(destination: id, eventID: d.eventID, error: reason, retryAt: now, at: now)
                Counter(label: "gridwatch_notify_failures_total", dimensions: [("destination", id)]).increment()
                logger.error("notify: the receiver says it is gone; destination switched off until enabled", metadata: [
                    "error": "\(reason)", "enable": "gridwatchctl notify enable \(id)",
                ])
            }
        } catch {
            // Not recorded: the delivery stays pending as it was and goes again (at least
            // once), but not at once: the ticket waits a minute.
            state.withLock { $0.holdUntil[d.ticketID] = ContinuousClock.now + .seconds(60) }
            logger.error("notify: cannot record a delivery's outcome; the ticket's notifications wait a minute", metadata: [
                "message_id": "\(d.messageID)", "error": "\(error)",
            ])
        }
    }

    private func send(_ d: PendingDelivery) async throws(TransportFailure) -> DeliveryVerdict {
        switch destination.kind {
        case .webhook:
            let body = webhookBody(d)
            let timestamp = Int64(Date().timeIntervalSince1970)
            let signature = StandardWebhooks.signature(id: d.messageID, timestamp: timestamp, body: body, key: destination.secret ?? [])
            let answer = try await poster!.post(destination.url!, body: body, headers: [
                (StandardWebhooks.idHeader, d.messageID), (StandardWebhooks.timestampHeader, "\(timestamp)"), (StandardWebhooks.signatureHeader, signature),
            ])
            return DeliveryVerdict.from(status: answer.status, retryAfter: answer.retryAfter, now: Date())
        case .wecom, .dingtalk:
            let notice = try self.notice(d)
            var url = destination.url!
            let body: [UInt8]
            if destination.kind == .wecom {
                body = RobotMessage.wecom(notice, language: destination.language)
            } else {
                body = RobotMessage.dingtalk(notice, language: destination.language)
                if let secret = destination.secret {
                    url = DingTalkSigning.signedURL(url, timestampMillis: Int64(Date().timeIntervalSince1970 * 1000), secret: String(decoding: secret, as: UTF8.self))
                }
            }
            let answer = try await poster!.post(url, body: body, headers: [])
            return DeliveryVerdict.from(status: answer.status, retryAfter: answer.retryAfter, robotError: RobotMessage.robotError(answer.body).map { ($0.code, Redaction.redact($0.message)) }, now: Date())
        case .exec:
            return try await runProgram(d)
        }
    }

    /// The webhook body (also an exec program's standard input).
    func webhookBody(_ d: PendingDelivery) -> [UInt8] {
        var snapshot: WebhookSnapshot?
        if let path = d.ticket.snapshotPath, !d.ticket.evidencePurged {
            let file = store.directory.appendingPathComponent(path)
            let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int64) ?? nil
            if let size {
                snapshot = WebhookSnapshot(ref: "/v1/tickets/\(d.ticketID)/snapshot", bytes: size)
                if destination.attachSnapshot, size <= destination.attachMaxBytes, let data = try? Data(contentsOf: file) {
                    snapshot?.base64 = data.base64EncodedString()
                }
            }
        }
        let text = d.noteText.flatMap { try? JSONDecoder().decode(TicketText.self, from: Data($0.utf8)) }?.text(.bilingual)
        let message = WebhookMessage(type: d.type.rawValue, timestamp: d.at, data: WebhookData(
            messageId: d.messageID, sequence: d.sequence, ticket: TicketSummary(d.ticket, .bilingual),
            change: WebhookChange(at: d.at, actor: d.actor, kind: d.type == .occurred ? "occurrence" : historyKind(d), fromState: d.fromState,
                                  toState: d.toState, note: d.note, text: text),
            snapshot: snapshot))
        return Array((try? ControlAPI.encoder().encode(message)) ?? Data())
    }

    private func historyKind(_ d: PendingDelivery) -> String {
        switch d.type {
        case .created: "created"
        case .overdue: "escalation"
        case .note: "note"
        case .updated: "updated"
        default: TicketAction.allCases.first { NotifyEventType.forHistory(kind: $0.rawValue) == d.type }?.rawValue ?? "updated"
        }
    }

    /// What a messenger message says: names looked up, times in local time.
    private func notice(_ d: PendingDelivery) throws(TransportFailure) -> TicketNotice {
        let t = d.ticket
        let names: (camera: String, grid: String, person: (name: String, phone: String?)?)
        do {
            names = try store.names(camera: t.cameraId, grid: t.gridId, person: t.assignee)
        } catch {
            throw TransportFailure(description: "cannot read names: \(error)")
        }
        var n = TicketNotice(type: d.type, ticketID: d.ticketID, title: t.title(in: destination.language), camera: names.camera, grid: names.grid,
                             severity: t.severity.rawValue, state: t.state.rawValue, occurredAt: LocalTime.text(t.occurredAt))
        if Workflow.isOpen(t.state) {
            n.deadlineIsAcknowledge = t.acknowledgedAt == nil
            n.deadline = (t.acknowledgedAt == nil ? t.ackDueAt : t.closeDueAt).map(LocalTime.text)
        }
        n.assigneeName = names.person?.name
        n.assigneePhone = names.person?.phone
        n.actor = d.actor
        n.note = d.note
        if let number = t.caseNumber { n.caseNumber = (t.casePlatform ?? "", number) }
        return n
    }

    private func runProgram(_ d: PendingDelivery) async throws(TransportFailure) -> DeliveryVerdict {
        let body = webhookBody(d)
        var environment = [
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "GRIDWATCH_EVENT": d.type.rawValue, "GRIDWATCH_MESSAGE_ID": d.messageID, "GRIDWATCH_TICKET_ID": "\(d.ticketID)",
            "GRIDWATCH_SEQUENCE": "\(d.sequence)", "GRIDWATCH_CATEGORY": d.ticket.category.rawValue, "GRIDWATCH_SEVERITY": d.ticket.severity.rawValue,
            "GRIDWATCH_STATE": d.ticket.state.rawValue, "GRIDWATCH_CAMERA": d.ticket.cameraId, "GRIDWATCH_GRID": d.ticket.gridId,
            "GRIDWATCH_DESTINATION": destination.id,
        ]
        for key in ["LANG", "LC_ALL", "TZ"] { if let v = ProcessInfo.processInfo.environment[key] { environment[key] = v } }
        if let path = d.ticket.snapshotPath, !d.ticket.evidencePurged {
            environment["GRIDWATCH_SNAPSHOT"] = store.directory.appendingPathComponent(path).path
        }
        let command = destination.command
        let timeout = destination.timeout
        let env = environment
        let outcome = await withCheckedContinuation { (c: CheckedContinuation<HookProgram.Outcome, Never>) in
            // The program is waited for on a thread of its own: never on the concurrency pool.
            let thread = Thread { c.resume(returning: HookProgram.run(command, input: body, environment: env, timeout: timeout)) }
            thread.name = "notify-exec"
            thread.start()
        }
        if outcome.timedOut { return .retry(reason: "killed after the \(Int(timeout)) s timeout", after: nil) }
        if outcome.exitCode == 0 { return .delivered }
        let how = outcome.exitCode.map { "exit status \($0)" } ?? "killed by signal \(outcome.signal ?? 0)"
        return .retry(reason: outcome.stderrTail.isEmpty ? how : "\(how): \(outcome.stderrTail)", after: nil)
    }
}
