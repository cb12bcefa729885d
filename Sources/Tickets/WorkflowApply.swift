import Catalog
import Foundation

/// The fields of a ticket the closed loop reads and changes; the store maps its row to this
/// and back, so every rule of the loop is decided here, without a database.
public struct TicketFlow: Sendable, Equatable {
    public var state: TicketState
    public var category: TicketCategory
    public var severity: Severity
    public var gridId: String
    public var assignee: String?
    public var acknowledgedAt: Date?
    public var resolvedAt: Date?
    public var closedAt: Date?
    public var ackDueAt: Date?
    public var closeDueAt: Date?
    /// Missed deadlines (`Overdue` bits).
    public var overdue: Int
    public var escalations: Int
    public var reopenCount: Int
    public var repeatProblem: Bool
    public var updatedAt: Date

    public init(state: TicketState, category: TicketCategory, severity: Severity, gridId: String, assignee: String? = nil,
                acknowledgedAt: Date? = nil, resolvedAt: Date? = nil, closedAt: Date? = nil, ackDueAt: Date? = nil, closeDueAt: Date? = nil,
                overdue: Int = 0, escalations: Int = 0, reopenCount: Int = 0, repeatProblem: Bool = false, updatedAt: Date) {
        self.state = state
        self.category = category
        self.severity = severity
        self.gridId = gridId
        self.assignee = assignee
        self.acknowledgedAt = acknowledgedAt
        self.resolvedAt = resolvedAt
        self.closedAt = closedAt
        self.ackDueAt = ackDueAt
        self.closeDueAt = closeDueAt
        self.overdue = overdue
        self.escalations = escalations
        self.reopenCount = reopenCount
        self.repeatProblem = repeatProblem
        self.updatedAt = updatedAt
    }
}

/// What the store looks up before an action is applied: only what that action needs.
public struct WorkflowFacts: Sendable, Equatable {
    /// Dispatch: the person named as assignee, found among the leader and workers of the
    /// ticket's grid (nil: not one of them).
    public var assignee: Person?
    /// Escalate: the parent of the ticket's grid (nil: it has none).
    public var parentGrid: Person?
    /// Reopen: how often the ticket was reopened within the repeat period before this time.
    public var earlierReopens = 0
    public var policy = StorePolicy()
    /// Set when a platform acts (its callback): it dispatches to itself, under its case
    /// number (`name`), rather than to a grid worker.
    public var platform: Person?

    /// An id with the name people know it by (a person, a grid).
    public struct Person: Sendable, Equatable {
        public var id: String
        public var name: String
        public init(id: String, name: String) {
            self.id = id
            self.name = name
        }
    }

    public init(assignee: Person? = nil, parentGrid: Person? = nil, earlierReopens: Int = 0, policy: StorePolicy = StorePolicy()) {
        self.assignee = assignee
        self.parentGrid = parentGrid
        self.earlierReopens = earlierReopens
        self.policy = policy
    }
}

/// One line of a ticket's history, to be written with the change.
public struct WorkflowEvent: Sendable, Equatable {
    public var kind: String
    public var actor: String
    public var from: TicketState?
    public var to: TicketState?
    /// What the person wrote.
    public var note: String?
    /// What the daemon says about it (the assignee, the grid it went to, a missed deadline),
    /// shown before the person's note in the reader's language.
    public var text: TicketText?

    public init(kind: String, actor: String, from: TicketState? = nil, to: TicketState? = nil, note: String? = nil, text: TicketText? = nil) {
        self.kind = kind
        self.actor = actor
        self.from = from
        self.to = to
        self.note = note
        self.text = text
    }
}

/// A ticket after an action, and the history lines that say what happened.
public struct WorkflowChange: Sendable, Equatable {
    public var ticket: TicketFlow
    public var events: [WorkflowEvent]
}

extension Workflow {
    /// `action` by `actor` on `ticket` at `now`: the changed ticket and its history lines, or
    /// why it is refused. Dispatch needs an assignee of the ticket's grid; escalate hands the
    /// ticket to the parent grid, unassigned; reopen resets the close deadline and marks a
    /// repeat problem past `policy.repeatReopens` reopenings within `policy.repeatPeriod`;
    /// any first action but reopen counts as acknowledging.
    public static func apply(_ action: TicketAction, to ticket: TicketFlow, by actor: String, note: String? = nil, assignee: String? = nil,
                             facts: WorkflowFacts, at now: Date) throws(WorkflowError) -> WorkflowChange {
        let note = note?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
        let from = ticket.state
        let to = try next(from: from, action: action, note: note)
        var t = ticket
        var said: TicketText?
        switch action {
        case .dispatch where facts.platform != nil:
            let platform = facts.platform!
            t.assignee = nil
            said = .dispatchedToPlatform(platform: platform.id, caseNumber: platform.name)
        case .dispatch:
            guard let who = assignee?.trimmingCharacters(in: .whitespaces).nilIfEmpty else { throw .assigneeRequired }
            guard let person = facts.assignee, person.id == who else { throw .unknownAssignee(who, grid: ticket.gridId) }
            t.assignee = person.id
            said = .dispatchedTo(name: person.name, id: person.id)
        case .escalate:
            guard let parent = facts.parentGrid else { throw .noHigherLevel(grid: ticket.gridId) }
            said = .escalatedTo(fromGrid: ticket.gridId, toGrid: parent.id, toName: parent.name)
            t.gridId = parent.id
            t.assignee = nil
        case .reopen:
            t.reopenCount += 1
            t.resolvedAt = nil
            t.closedAt = nil
            let deadline = facts.policy.deadlines.deadline(category: ticket.category, severity: ticket.severity)
            t.closeDueAt = now.addingTimeInterval(deadline.close)
            t.overdue &= ~Overdue.close.rawValue
        case .resolve:
            t.resolvedAt = now
        case .close, .falseAlarm:
            t.closedAt = now
        case .acknowledge, .start, .verify:
            break
        }
        if t.acknowledgedAt == nil && action != .reopen {
            // Any first human action means someone has seen it.
            t.acknowledgedAt = now
        }
        t.state = to
        t.updatedAt = max(t.updatedAt, now)
        var events = [WorkflowEvent(kind: action.rawValue, actor: actor, from: from, to: to, note: note, text: said)]
        if action == .reopen && !ticket.repeatProblem {
            let reopens = facts.earlierReopens + 1
            if reopens > facts.policy.repeatReopens {
                t.repeatProblem = true
                let days = Int(facts.policy.repeatPeriod / 86_400)
                events.append(WorkflowEvent(kind: "repeat_problem", actor: "gridwatchd", text: .repeatProblem(reopens: reopens, days: days)))
            }
        }
        return WorkflowChange(ticket: t, events: events)
    }
}

extension Workflow {
    /// The actions that take a ticket from `state` to what a platform reports (`dispatched`,
    /// `resolved` or `closed`): the platform is the authority on its cases, so closing a
    /// ticket it was sent resolves, verifies and closes it. Empty when the ticket is there
    /// already (a callback repeated); refused when the loop has no way there (a false alarm
    /// cannot be resolved) or the status is none of the three.
    public static func platformSteps(from state: TicketState, to status: TicketState) throws(WorkflowError) -> [TicketAction] {
        func rank(_ s: TicketState) -> Int {
            switch s {
            case .new, .acknowledged, .reopened, .falseAlarm: 0
            case .dispatched: 1
            case .inProgress: 2
            case .resolved: 3
            case .verified: 4
            case .closed: 5
            }
        }
        guard [.dispatched, .resolved, .closed].contains(status) else { throw .invalidTransition(from: state, action: .dispatch) }
        if state != .falseAlarm && rank(state) >= rank(status) { return [] }
        var steps: [TicketAction] = []
        var s = state
        while s != status {
            let action: TicketAction
            switch s {
            case .new, .acknowledged, .reopened: action = .dispatch
            case .dispatched, .inProgress: action = .resolve
            case .resolved: action = .verify
            case .verified: action = .close
            case .closed, .falseAlarm: throw .invalidTransition(from: s, action: status == .dispatched ? .dispatch : .resolve)
            }
            s = try next(from: s, action: action, note: "platform")
            steps.append(action)
        }
        return steps
    }
}

extension Supervision {
    /// A ticket that newly missed a deadline at `now`: severity one step up, the deadline
    /// marked, and a history line; nil when nothing new was missed.
    public static func escalate(_ ticket: TicketFlow, at now: Date) -> WorkflowChange? {
        let missed = newlyMissed(state: ticket.state, acknowledgedAt: ticket.acknowledgedAt, ackDueAt: ticket.ackDueAt,
                                 closeDueAt: ticket.closeDueAt, already: Overdue(rawValue: ticket.overdue), now: now)
        guard !missed.isEmpty else { return nil }
        var t = ticket
        t.overdue |= missed.rawValue
        t.severity = ticket.severity.raised
        t.escalations += 1
        t.updatedAt = max(t.updatedAt, now)
        let text = TicketText.overdue(acknowledge: missed.contains(.acknowledge), close: missed.contains(.close),
                                      from: ticket.severity.rawValue, to: t.severity.rawValue)
        return WorkflowChange(ticket: t, events: [WorkflowEvent(kind: "escalation", actor: "gridwatchd", text: text)])
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
