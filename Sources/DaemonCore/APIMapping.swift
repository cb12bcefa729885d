import Catalog
import ControlProtocol
import Foundation
import Storage
import Tickets

// The API's view of stored records: one mapping, used by the routes and by the live event
// stream alike.

extension TicketSummary {
    /// The API's view of a ticket, its title in `language`.
    init(_ t: TicketRecord, _ language: Language = .bilingual) {
        self.init(
            id: t.id ?? 0, cameraId: t.cameraId, zoneId: t.zoneId, tripwireId: t.tripwireId, kind: t.kind, trackId: t.trackId,
            gridId: t.gridId, category: t.category,
            severity: t.severity, state: t.state, title: t.title(in: language), occurredAt: t.occurredAt,
            createdAt: t.createdAt, updatedAt: t.updatedAt, hasSnapshot: t.snapshotPath != nil)
        self.assignee = t.assignee
        self.acknowledgedAt = t.acknowledgedAt
        self.closedAt = t.closedAt
        self.ackDueAt = t.ackDueAt
        self.closeDueAt = t.closeDueAt
        let missed = Overdue(rawValue: t.overdue)
        self.overdue = [(Overdue.acknowledge, "acknowledge"), (Overdue.close, "close")].filter { missed.contains($0.0) }.map(\.1)
        self.escalations = t.escalations
        self.occurrences = t.occurrences
        self.lastSeenAt = t.lastSeenAt
        self.reopenCount = t.reopenCount
        self.repeatProblem = t.repeatProblem
        self.repeatOf = t.repeatOf
        self.evidencePurged = t.evidencePurged
        self.archived = t.archived
        if t.clipPath != nil, let seconds = t.clipSeconds {
            self.clip = ClipInfo(seconds: seconds, bytes: t.clipBytes, eventOffset: t.clipEventOffset ?? 0, end: t.clipEnd ?? "complete")
        }
        self.caseNumber = t.caseNumber
        self.casePlatform = t.casePlatform
    }
}

extension OccurrenceInfo {
    init(_ o: OccurrenceRecord) {
        self.init(id: o.id ?? 0, at: o.at, trackId: o.trackId, hasSnapshot: o.snapshotPath != nil)
        if o.clipPath != nil, let seconds = o.clipSeconds {
            clip = ClipInfo(seconds: seconds, bytes: o.clipBytes, eventOffset: o.clipEventOffset ?? 0, end: o.clipEnd ?? "complete")
        }
    }
}

extension NotifyDestinationStatus {
    /// A destination as `GET /v1/notify` shows it: its configuration's id, kind and target
    /// (keys hidden; a program's path, not its arguments), its queue from the store.
    init(_ d: NotifyDestination, _ s: DestinationStatus, dead: [DeadLetter]) {
        self.init(id: d.id, type: d.kind.rawValue, target: d.kind == .exec ? d.command[0] : (d.redactedURL ?? ""),
                  pending: s.pending, due: s.due, delivered: s.delivered, deadLetters: s.dead, disabled: s.disabledAt != nil,
                  dead: dead.map(DeadLetterInfo.init))
        oldestPendingAt = s.oldestPendingAt
        lastSuccessAt = s.lastSuccessAt
        lastError = s.lastError
        lastErrorAt = s.lastErrorAt
        disabledReason = s.disabledReason
        pausedUntil = s.pausedUntil
    }
}

extension DeadLetterInfo {
    init(_ l: DeadLetter) {
        self.init(eventId: l.eventID, messageId: l.messageID, ticketId: l.ticketID, sequence: l.sequence, type: l.type, at: l.at,
                  attempts: l.attempts, lastError: l.lastError)
    }
}
