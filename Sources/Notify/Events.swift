import Foundation
import Tickets

/// What a notification is about: the `type` of a webhook's body and the names a
/// destination's `events` filter lists. Every change to a ticket that is written to its
/// history is one of these.
public enum NotifyEventType: String, Sendable, CaseIterable, Codable {
    case created = "ticket.created"
    /// Another alert merged into an open ticket.
    case occurred = "ticket.occurred"
    case acknowledged = "ticket.acknowledged"
    case dispatched = "ticket.dispatched"
    case escalated = "ticket.escalated"
    case started = "ticket.started"
    case resolved = "ticket.resolved"
    case verified = "ticket.verified"
    case closed = "ticket.closed"
    case falseAlarm = "ticket.false_alarm"
    case reopened = "ticket.reopened"
    /// A deadline was missed: severity up one step (督办).
    case overdue = "ticket.overdue"
    case note = "ticket.note"
    /// Anything else the daemon writes to a ticket's history: its clip, a camera that came
    /// back, a repeat problem. (Housekeeping, evidence purged and archived, is never sent.)
    case updated = "ticket.updated"

    /// The type of a history line of `kind` (the store's `ticket_events.kind`).
    public static func forHistory(kind: String) -> NotifyEventType {
        switch kind {
        case "created": .created
        case TicketAction.acknowledge.rawValue: .acknowledged
        case TicketAction.dispatch.rawValue: .dispatched
        case TicketAction.escalate.rawValue: .escalated
        case TicketAction.start.rawValue: .started
        case TicketAction.resolve.rawValue: .resolved
        case TicketAction.verify.rawValue: .verified
        case TicketAction.close.rawValue: .closed
        case TicketAction.falseAlarm.rawValue: .falseAlarm
        case TicketAction.reopen.rawValue: .reopened
        case "escalation": .overdue
        case "note": .note
        default: .updated
        }
    }

    /// What messenger groups get when a destination names no events: what someone has to act on.
    public static let messengerDefault: Set<NotifyEventType> = [.created, .dispatched, .escalated, .overdue, .reopened]
}

/// Which changes a destination wants: the filters of its configuration, as a value the
/// store applies when it writes a change (pure, so it is tested without a database).
public struct NotifyRoute: Sendable, Equatable {
    public var destination: String
    /// nil: every type.
    public var events: Set<NotifyEventType>?
    /// Tickets of these grids or of grids below them; nil: every grid.
    public var grids: Set<String>?
    public var categories: Set<TicketCategory>?
    public var minSeverity: Severity?

    public init(destination: String, events: Set<NotifyEventType>? = nil, grids: Set<String>? = nil,
                categories: Set<TicketCategory>? = nil, minSeverity: Severity? = nil) {
        self.destination = destination
        self.events = events
        self.grids = grids
        self.categories = categories
        self.minSeverity = minSeverity
    }

    /// Whether a change of `type` to a ticket of `category` and `severity`, in a grid whose
    /// chain up to the county is `gridChain` (the ticket's grid first), goes to this destination.
    public func wants(_ type: NotifyEventType, category: TicketCategory, severity: Severity, gridChain: [String]) -> Bool {
        if let events, !events.contains(type) { return false }
        if let categories, !categories.contains(category) { return false }
        if let minSeverity, severity < minSeverity { return false }
        if let grids, !gridChain.contains(where: grids.contains) { return false }
        return true
    }
}
