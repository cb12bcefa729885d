import Catalog
import Foundation
import GRDB
import Notify
import Tickets

/// One change to a ticket waiting to be delivered to one destination.
public struct PendingDelivery: Sendable, Equatable {
    /// The outbox row (`notify_events.id`): deliveries of one ticket go out in this order.
    public var eventID: Int64
    /// The message's stable id (`webhook-id`): the same on every retry and for every destination.
    public var messageID: String
    public var ticketID: Int64
    /// The ticket's own count of changes sent out: receivers order by it, retries reorder.
    public var sequence: Int64
    public var type: NotifyEventType
    public var at: Date
    public var actor: String
    public var fromState: TicketState?
    public var toState: TicketState?
    public var note: String?
    /// What the daemon said (JSON of `TicketText`).
    public var noteText: String?
    /// The ticket right after the change.
    public var ticket: TicketRecord
    public var attempts: Int
    public var firstAttemptAt: Date?
}

/// A destination's queue, for `GET /v1/notify` and the metrics.
public struct DestinationStatus: Sendable, Equatable {
    public var id: String
    public var pending = 0
    /// Deliveries due now or overdue (not waiting for a retry).
    public var due = 0
    public var dead = 0
    public var delivered = 0
    public var oldestPendingAt: Date?
    public var lastSuccessAt: Date?
    public var lastError: String?
    public var lastErrorAt: Date?
    public var disabledAt: Date?
    public var disabledReason: String?
    public var pausedUntil: Date?
}

/// A dead letter: a delivery given up after the retry schedule ran out.
public struct DeadLetter: Sendable, Equatable {
    public var eventID: Int64
    public var messageID: String
    public var ticketID: Int64
    public var sequence: Int64
    public var type: String
    public var at: Date
    public var attempts: Int
    public var lastError: String?
}

/// Why a platform's callback could not be applied.
public enum PlatformUpdateError: Error, Equatable, CustomStringConvertible {
    case noSuchTicket(Int64)
    case notApplicable(state: TicketState, status: String)
    /// The message id was seen before: not applied again.
    case replayed(String)
    /// The platform was never sent this ticket (its route does not take it), nor has it
    /// taken it: it may not change it.
    case notTheirs(Int64)

    public var description: String {
        switch self {
        case let .noSuchTicket(id): "no ticket \(id)"
        case let .notApplicable(state, status): "a ticket in state \(state.rawValue) cannot become \(status)"
        case let .replayed(id): "message \(id) was applied before"
        case let .notTheirs(id): "ticket \(id) was never sent to this platform"
        }
    }
}

extension TicketStore {
    // MARK: Writing the outbox (in the change's transaction)

    static let outboxEncoder = JSONEncoder()

    /// The ticket-order rule, for a pending delivery `d`: no earlier change of its ticket is
    /// pending for the same destination (only then may it go, or set the next alarm).
    static func firstOfItsTicket(_ dialect: SQLDialect) -> String {
        """
        NOT EXISTS (SELECT 1 FROM notify_deliveries p \(dialect.indexedBy("notify_ticket_order"))
                    WHERE p.destination = d.destination AND p.ticket_id = d.ticket_id AND p.state = 'pending' AND p.event_id < d.event_id)
        """
    }

    /// History kinds that are housekeeping, not news: never sent.
    static let quietKinds: Set<String> = ["archived", "evidence_purged"]

    /// Put a change to ticket `ticketID` in the outbox for every destination whose route wants
    /// it, in the caller's transaction (so a change and its notifications are written or lost
    /// together). The ticket's row must already hold the change. Writes nothing (and costs
    /// one lock) when no destination is configured.
    func enqueueNotification(_ ticketID: Int64, type: NotifyEventType, historyKind: String, actor: String, from: TicketState?, to: TicketState?,
                             note: String?, noteText: String?, ticket given: TicketRecord? = nil, at now: Date, _ db: StoreDB) throws {
        let routes = notifyRoutes
        guard !routes.isEmpty, !Self.quietKinds.contains(historyKind) else { return }
        guard let ticket = try given ?? TicketRecord.fetchOne(db, key: ticketID) else { return }
        let chain = routes.contains(where: { $0.grids != nil }) ? try gridChain(ticket.gridId, db) : [ticket.gridId]
        // A platform's own change is not echoed back to it.
        let wanting = routes.filter {
            actor != "platform:\($0.destination)" && $0.wants(type, category: ticket.category, severity: ticket.severity, gridChain: chain)
        }
        guard !wanting.isEmpty else { return }
        guard let sequence = try Int64.fetchOne(db, sql: "UPDATE tickets SET notify_sequence = notify_sequence + 1 WHERE id = ? RETURNING notify_sequence",
                                                arguments: [ticketID]) else { return }
        let messageID = "msg_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let json = String(decoding: try Self.outboxEncoder.encode(ticket), as: UTF8.self)
        guard let eventID = try Int64.fetchOne(db, sql: """
            INSERT INTO notify_events (message_id, ticket_id, sequence, type, at, actor, from_state, to_state, note, note_text, ticket)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """, arguments: [messageID, ticketID, sequence, type.rawValue, now.timeIntervalSince1970, actor, from?.rawValue, to?.rawValue, note, noteText, json])
        else { return }
        for route in wanting {
            try db.execute(sql: "INSERT INTO notify_deliveries (event_id, destination, ticket_id, next_at) VALUES (?, ?, ?, ?)",
                           arguments: [eventID, route.destination, ticketID, now.timeIntervalSince1970])
        }
        if let wake = outboxWritten.withLock({ $0 }) {
            db.afterCommit(wake)
        }
    }

    /// A grid and the grids above it, up to the county.
    func gridChain(_ grid: String, _ db: StoreDB) throws -> [String] {
        try String.fetchAll(db, sql: """
            WITH RECURSIVE up(id, parent_id, depth) AS (
                SELECT id, parent_id, 0 FROM grids WHERE id = ?
                UNION ALL SELECT g.id, g.parent_id, up.depth + 1 FROM grids g JOIN up ON g.id = up.parent_id WHERE up.depth < 16)
            SELECT id FROM up ORDER BY depth
            """, arguments: [grid])
    }

    // MARK: Delivering

    /// Up to `limit` deliveries of `destination` due at `now`, oldest first, at most one per
    /// ticket and only a ticket's earliest pending one (so a ticket's changes arrive in order
    /// even while one of them waits for a retry), leaving out `busyTickets` (in flight).
    public func dueDeliveries(destination: String, at now: Date, limit: Int, busyTickets: Set<Int64> = []) throws -> [PendingDelivery] {
        let (due, broken) = try claimable(destination: destination, at: now, limit: limit, busyTickets: busyTickets)
        // A change whose stored ticket no longer reads (a field added since, without a
        // default the decoder knows) would block its ticket for ever: a dead letter instead.
        for (eventID, why) in broken {
            try markFailed(destination: destination, eventID: eventID, error: "cannot read the stored change: \(why)", retryAt: nil, at: now)
        }
        return due
    }

    private func claimable(destination: String, at now: Date, limit: Int, busyTickets: Set<Int64>) throws -> ([PendingDelivery], [(Int64, String)]) {
        try writer.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT e.id, e.message_id, e.ticket_id, e.sequence, e.type, e.at, e.actor, e.from_state, e.to_state, e.note, e.note_text,
                       e.ticket, d.attempts, d.first_attempt_at
                FROM notify_deliveries d JOIN notify_events e ON e.id = d.event_id
                WHERE d.destination = ? AND d.state = 'pending' AND d.next_at <= ?
                  AND \(Self.firstOfItsTicket(db.dialect))
                ORDER BY d.event_id
                LIMIT ?
                """, arguments: [destination, now.timeIntervalSince1970, limit + busyTickets.count])
            var out: [PendingDelivery] = []
            var broken: [(Int64, String)] = []
            for row in rows {
                let ticketID: Int64 = row["ticket_id"]
                if busyTickets.contains(ticketID) { continue }
                let ticket: TicketRecord
                do {
                    ticket = try JSONDecoder().decode(TicketRecord.self, from: Data((row["ticket"] as String).utf8))
                } catch {
                    broken.append((row["id"], "\(error)".prefix(200).description))
                    continue
                }
                out.append(PendingDelivery(
                    eventID: row["id"], messageID: row["message_id"], ticketID: ticketID, sequence: row["sequence"],
                    type: NotifyEventType(rawValue: row["type"]) ?? .updated, at: row["at"], actor: row["actor"],
                    fromState: (row["from_state"] as String?).flatMap(TicketState.init), toState: (row["to_state"] as String?).flatMap(TicketState.init),
                    note: row["note"], noteText: row["note_text"], ticket: ticket, attempts: row["attempts"],
                    firstAttemptAt: (row["first_attempt_at"] as Double?).map { Date(timeIntervalSince1970: $0) }))
                if out.count == limit { break }
            }
            return (out, broken)
        }
    }

    /// When `destination`'s next delivery that may go falls due: the earliest of each ticket's
    /// first pending change, tickets in `excluding` (in flight) left out; nil: none.
    public func nextDue(destination: String, excluding busy: Set<Int64> = []) throws -> Date? {
        try writer.read { db in
            let busyList = busy.isEmpty ? "" : "AND d.ticket_id NOT IN (\(busy.map(String.init).joined(separator: ",")))"
            return try Double.fetchOne(db, sql: """
                SELECT MIN(d.next_at) FROM notify_deliveries d
                WHERE d.destination = ? AND d.state = 'pending' \(busyList)
                  AND \(Self.firstOfItsTicket(db.dialect))
                """, arguments: [destination]).map { Date(timeIntervalSince1970: $0) }
        }
    }

    /// A delivery the receiver accepted.
    public func markDelivered(destination: String, eventID: Int64, at now: Date) throws {
        try writer.write { db in
            try db.execute(sql: """
                UPDATE notify_deliveries SET state = 'delivered', attempts = attempts + 1, done_at = ?, last_error = NULL,
                    first_attempt_at = COALESCE(first_attempt_at, ?)
                WHERE destination = ? AND event_id = ? AND state = 'pending'
                """, arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, destination, eventID])
            try ensureDestination(destination, db)
            try db.execute(sql: "UPDATE notify_destinations SET last_success_at = ? WHERE id = ?", arguments: [now.timeIntervalSince1970, destination])
        }
    }

    /// A failed attempt: tried again at `retryAt`, or a dead letter when that is nil.
    public func markFailed(destination: String, eventID: Int64, error: String, retryAt: Date?, at now: Date) throws {
        try writer.write { db in
            try db.execute(sql: """
                UPDATE notify_deliveries SET attempts = attempts + 1, last_error = ?, first_attempt_at = COALESCE(first_attempt_at, ?),
                    state = CASE WHEN CAST(? AS DOUBLE PRECISION) IS NULL THEN 'dead' ELSE 'pending' END, next_at = COALESCE(?, next_at),
                    done_at = CASE WHEN CAST(? AS DOUBLE PRECISION) IS NULL THEN CAST(? AS DOUBLE PRECISION) ELSE NULL END
                WHERE destination = ? AND event_id = ? AND state = 'pending'
                """, arguments: [error, now.timeIntervalSince1970, retryAt?.timeIntervalSince1970, retryAt?.timeIntervalSince1970,
                                 retryAt?.timeIntervalSince1970, now.timeIntervalSince1970, destination, eventID])
            try ensureDestination(destination, db)
            try db.execute(sql: "UPDATE notify_destinations SET last_error = ?, last_error_at = ? WHERE id = ?",
                           arguments: [error, now.timeIntervalSince1970, destination])
        }
    }

    /// The receiver said it is gone (410): nothing more is sent until `enableDestination`.
    /// Its deliveries stay pending.
    public func disableDestination(_ destination: String, reason: String, at now: Date) throws {
        try writer.write { db in
            try ensureDestination(destination, db)
            try db.execute(sql: "UPDATE notify_destinations SET disabled_at = ?, disabled_reason = ?, last_error = ?, last_error_at = ? WHERE id = ?",
                           arguments: [now.timeIntervalSince1970, reason, reason, now.timeIntervalSince1970, destination])
        }
    }

    /// Switch a destination back on (after 410); its pending deliveries are due at once.
    /// False (and nothing changed) when it was not off.
    @discardableResult
    public func enableDestination(_ destination: String, at now: Date) throws -> Bool {
        try writer.write { db in
            try ensureDestination(destination, db)
            try db.execute(sql: """
                UPDATE notify_destinations SET disabled_at = NULL, disabled_reason = NULL, paused_until = NULL
                WHERE id = ? AND disabled_at IS NOT NULL
                """, arguments: [destination])
            guard db.changesCount > 0 else { return false }
            try db.execute(sql: "UPDATE notify_deliveries SET next_at = ? WHERE destination = ? AND state = 'pending'",
                           arguments: [now.timeIntervalSince1970, destination])
            return true
        }
    }

    /// A receiver asked us to wait (429 or 503 with `Retry-After`): nothing goes to it before `until`.
    public func pauseDestination(_ destination: String, until: Date) throws {
        try writer.write { db in
            try ensureDestination(destination, db)
            try db.execute(sql: "UPDATE notify_destinations SET paused_until = ? WHERE id = ?", arguments: [until.timeIntervalSince1970, destination])
        }
    }

    func ensureDestination(_ destination: String, _ db: StoreDB) throws {
        try db.execute(sql: "INSERT INTO notify_destinations (id) VALUES (?) ON CONFLICT DO NOTHING", arguments: [destination])
    }

    /// Whether a destination is switched off, and until when it is paused: what its sender
    /// checks before each claim (one row, unlike `destinationStatus`).
    public func destinationControl(_ destination: String) throws -> (disabled: Bool, pausedUntil: Date?) {
        try writer.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT disabled_at, paused_until FROM notify_destinations WHERE id = ?", arguments: [destination]) else {
                return (false, nil)
            }
            return ((row["disabled_at"] as Double?) != nil, (row["paused_until"] as Double?).map { Date(timeIntervalSince1970: $0) })
        }
    }

    /// Each named destination's queue, last success and error, dead letters.
    public func destinationStatus(_ ids: [String], at now: Date) throws -> [DestinationStatus] {
        try writer.read { db in
            try ids.map { id in
                var s = DestinationStatus(id: id)
                if let row = try Row.fetchOne(db, sql: """
                    SELECT SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) AS pending,
                           SUM(CASE WHEN state = 'pending' AND next_at <= ? THEN 1 ELSE 0 END) AS due,
                           SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END) AS dead,
                           SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END) AS delivered
                    FROM notify_deliveries WHERE destination = ?
                    """, arguments: [now.timeIntervalSince1970, id]) {
                    s.pending = row["pending"] ?? 0
                    s.due = row["due"] ?? 0
                    s.dead = row["dead"] ?? 0
                    s.delivered = row["delivered"] ?? 0
                }
                s.oldestPendingAt = try Double.fetchOne(db, sql: """
                    SELECT MIN(e.at) FROM notify_deliveries d JOIN notify_events e ON e.id = d.event_id
                    WHERE d.destination = ? AND d.state = 'pending'
                    """, arguments: [id]).map { Date(timeIntervalSince1970: $0) }
                if let row = try Row.fetchOne(db, sql: "SELECT * FROM notify_destinations WHERE id = ?", arguments: [id]) {
                    func date(_ column: String) -> Date? { (row[column] as Double?).map { Date(timeIntervalSince1970: $0) } }
                    s.lastSuccessAt = date("last_success_at")
                    s.lastError = row["last_error"]
                    s.lastErrorAt = date("last_error_at")
                    s.disabledAt = date("disabled_at")
                    s.disabledReason = row["disabled_reason"]
                    s.pausedUntil = date("paused_until").flatMap { $0 > now ? $0 : nil }
                }
                return s
            }
        }
    }

    /// A destination's dead letters, oldest first.
    public func deadLetters(destination: String, limit: Int = 100) throws -> [DeadLetter] {
        try writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT e.id, e.message_id, e.ticket_id, e.sequence, e.type, e.at, d.attempts, d.last_error
                FROM notify_deliveries d JOIN notify_events e ON e.id = d.event_id
                WHERE d.destination = ? AND d.state = 'dead' ORDER BY d.event_id LIMIT ?
                """, arguments: [destination, limit]).map { row in
                DeadLetter(eventID: row["id"], messageID: row["message_id"], ticketID: row["ticket_id"], sequence: row["sequence"],
                           type: row["type"], at: row["at"], attempts: row["attempts"], lastError: row["last_error"])
            }
        }
    }

    /// Dead letters of `destination` (one, or all when `eventID` is nil) back in the queue,
    /// due now, their schedule started again from the first wait. Returns how many.
    @discardableResult
    public func retryDeadLetters(destination: String, eventID: Int64? = nil, at now: Date) throws -> Int {
        try writer.write { db in
            try db.execute(sql: """
                UPDATE notify_deliveries SET state = 'pending', next_at = ?, first_attempt_at = NULL, done_at = NULL, attempts = 0
                WHERE destination = ? AND state = 'dead' \(eventID == nil ? "" : "AND event_id = ?")
                """, arguments: StatementArguments([now.timeIntervalSince1970, destination] + (eventID.map { [$0] } ?? []) as [(any DatabaseValueConvertible)?]))
            return db.changesCount
        }
    }

    /// Dead letters given up for good (kept as `dropped` until pruned). Returns how many.
    @discardableResult
    public func dropDeadLetters(destination: String, eventID: Int64? = nil, at now: Date) throws -> Int {
        try writer.write { db in
            try db.execute(sql: """
                UPDATE notify_deliveries SET state = 'dropped', done_at = ?
                WHERE destination = ? AND state = 'dead' \(eventID == nil ? "" : "AND event_id = ?")
                """, arguments: StatementArguments([now.timeIntervalSince1970, destination] + (eventID.map { [$0] } ?? []) as [(any DatabaseValueConvertible)?]))
            return db.changesCount
        }
    }

    /// Forget deliveries done (delivered or dropped) before `olderThan`, the changes no
    /// delivery needs any more, and inbound message ids past the replay window.
    @discardableResult
    public func pruneOutbox(olderThan: Date, inboundBefore: Date) throws -> Int {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM notify_deliveries WHERE state IN ('delivered', 'dropped') AND done_at < ?",
                           arguments: [olderThan.timeIntervalSince1970])
            let n = db.changesCount
            try db.execute(sql: """
                DELETE FROM notify_events WHERE at < ? AND NOT EXISTS (SELECT 1 FROM notify_deliveries d WHERE d.event_id = notify_events.id)
                """, arguments: [olderThan.timeIntervalSince1970])
            try db.execute(sql: "DELETE FROM inbound_messages WHERE at < ?", arguments: [inboundBefore.timeIntervalSince1970])
            return n
        }
    }

    // MARK: Callbacks from a platform

    /// A platform's news about a ticket it took: `dispatched` (it opened a case, numbered
    /// `caseNumber`), `resolved` or `closed`. Applied through the workflow with the platform as
    /// actor, taking the steps the loop needs to get there (closing a dispatched ticket
    /// resolves, verifies and closes it), each in the history, all in one transaction. A
    /// ticket already there is left as it is.
    /// `messageID` is remembered in the same transaction: a message seen before is refused
    /// (`replayed`), and one that failed can be sent again.
    public func applyPlatformUpdate(ticketID: Int64, platform: String, messageID: String, status: TicketState, caseNumber: String?, note: String?,
                                    at now: Date) throws -> TicketRecord {
        let policy = self.policy
        return try writer.write { db in
            try db.execute(sql: "INSERT INTO inbound_messages (destination, message_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                           arguments: [platform, messageID, now.timeIntervalSince1970])
            if db.changesCount == 0 { throw PlatformUpdateError.replayed(messageID) }
            guard var ticket = try TicketRecord.fetchOne(db, key: ticketID) else { throw PlatformUpdateError.noSuchTicket(ticketID) }
            // Only a ticket the platform was sent (a delivery, kept a week once done) or has
            // taken (its case): one platform's secret does not open every ticket.
            let sent = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM notify_deliveries WHERE destination = ? AND ticket_id = ?)",
                                         arguments: [platform, ticketID]) ?? false
            guard sent || ticket.casePlatform == platform else { throw PlatformUpdateError.notTheirs(ticketID) }
            let actor = "platform:\(platform)"
            if let caseNumber, ticket.caseNumber != caseNumber || ticket.casePlatform != platform {
                ticket.caseNumber = caseNumber
                ticket.casePlatform = platform
                try ticket.update(db)
            }
            let steps: [TicketAction]
            do throws(WorkflowError) {
                steps = try Workflow.platformSteps(from: ticket.state, to: status)
            } catch {
                throw PlatformUpdateError.notApplicable(state: ticket.state, status: status.rawValue)
            }
            for (i, action) in steps.enumerated() {
                var facts = WorkflowFacts(policy: policy)
                facts.platform = .init(id: platform, name: caseNumber ?? ticket.caseNumber ?? "")
                // The platform's note goes with the step it reports; resolving needs one.
                var text = i == steps.count - 1 ? note : nil
                if action == .resolve && text == nil { text = (caseNumber ?? ticket.caseNumber).map { "\(platform) #\($0)" } ?? platform }
                let change: WorkflowChange
                do throws(WorkflowError) {
                    change = try Workflow.apply(action, to: ticket.flow, by: actor, note: text, facts: facts, at: now)
                } catch {
                    throw TicketActionError.workflow(error)
                }
                try self.persist(change, to: &ticket, at: now, db)
            }
            if !Workflow.mergeStates.contains(ticket.state) { ledger.closed(ticketID: ticketID) }
            return ticket
        }
    }
}

extension TicketStore {
    /// The names a messenger message shows: the camera's, the grid's, and the assignee's
    /// with their phone (ids when a name is not known).
    public func names(camera: String, grid: String, person: String?) throws -> (camera: String, grid: String, person: (name: String, phone: String?)?) {
        try writer.read { db in
            let c = try CameraRecord.fetchOne(db, key: camera)?.name ?? camera
            let g = try GridRecord.fetchOne(db, key: grid)?.name ?? grid
            var p: (String, String?)?
            if let person {
                let record = try PersonRecord.fetchOne(db, key: person)
                p = (record?.name ?? person, record?.phone)
            }
            return (c, g, p)
        }
    }
}
