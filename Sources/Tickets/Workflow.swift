import Catalog
import Foundation

/// What a person can do to a ticket. Raw values are the API's and the CLI's verbs.
public enum TicketAction: String, Sendable, CaseIterable, Codable {
    case acknowledge, dispatch, escalate, start, resolve, verify, close
    case falseAlarm = "false_alarm"
    case reopen
}

/// Why an action was refused.
public enum WorkflowError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalidTransition(from: TicketState, action: TicketAction)
    case reasonRequired(TicketAction)
    case assigneeRequired
    case unknownAssignee(String, grid: String)
    case noHigherLevel(grid: String)

    /// The refusal as a catalogue entry (Chinese and English).
    public var message: APIMessage {
        switch self {
        case let .invalidTransition(from, action):
            .invalidTransition(action: action.rawValue, state: from.rawValue, allowed: Workflow.allowedActions(from: from).map(\.rawValue))
        case let .reasonRequired(action): .reasonRequired(action: action.rawValue)
        case .assigneeRequired: .dispatchNeedsAssignee
        case let .unknownAssignee(who, grid): .unknownAssignee(person: who, grid: grid)
        case let .noHigherLevel(grid): .noHigherLevel(grid: grid)
        }
    }

    public var description: String { message.en }
}

/// The closed loop as a state machine: report (`new`) → `acknowledged` → `dispatched` (to a
/// grid worker; `escalate` hands it one grid level up) → `in_progress` → `resolved` →
/// `verified` → `closed`; `false_alarm` from new or acknowledged, with a reason; `reopened`
/// from resolved, verified or closed, with a reason. Pure: the store records what it decides.
public enum Workflow {
    /// The state `action` leads to from `state`, or why not.
    public static func next(from state: TicketState, action: TicketAction, note: String? = nil) throws(WorkflowError) -> TicketState {
        let target: TicketState?
        switch (action, state) {
        case (.acknowledge, .new), (.acknowledge, .reopened): target = .acknowledged
        case (.dispatch, .new), (.dispatch, .acknowledged), (.dispatch, .dispatched), (.dispatch, .reopened): target = .dispatched
        case (.escalate, .new), (.escalate, .acknowledged), (.escalate, .dispatched), (.escalate, .inProgress), (.escalate, .reopened):
            target = .dispatched
        case (.start, .dispatched), (.start, .acknowledged): target = .inProgress
        case (.resolve, .inProgress), (.resolve, .dispatched): target = .resolved
        case (.verify, .resolved): target = .verified
        case (.close, .verified): target = .closed
        case (.falseAlarm, .new), (.falseAlarm, .acknowledged): target = .falseAlarm
        case (.reopen, .resolved), (.reopen, .verified), (.reopen, .closed): target = .reopened
        default: target = nil
        }
        guard let target else { throw .invalidTransition(from: state, action: action) }
        let hasNote = !(note ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        if !hasNote && needsReason(action) {
            throw .reasonRequired(action)
        }
        return target
    }

    /// Actions taken only with a reason in the note: resolve, false alarm, reopen.
    public static func needsReason(_ action: TicketAction) -> Bool {
        action == .resolve || action == .falseAlarm || action == .reopen
    }

    /// Every action `state` allows.
    public static func allowedActions(from state: TicketState) -> [TicketAction] {
        TicketAction.allCases.filter { (try? next(from: state, action: $0, note: "x")) != nil }
    }

    /// Closed tickets and false alarms are finished; every other state is still open.
    public static func isOpen(_ state: TicketState) -> Bool {
        !finishedStates.contains(state)
    }

    /// Finished tickets: closed, or found to be a false alarm. Every SQL text that tells open
    /// from finished is built from this list (`TicketSQL.finished` in the store).
    public static let finishedStates: [TicketState] = [.closed, .falseAlarm]

    /// States in which a problem counts as handled: a new alert of the same rule afterwards
    /// (within the repeat period) raises a repeat ticket (重复工单).
    public static let handledStates: [TicketState] = [.resolved, .verified, .closed]

    /// States in which a new alert of the same rule is merged into the ticket as another
    /// occurrence: reported and not yet handled. Once resolved, a new alert is a new ticket.
    public static let mergeStates: [TicketState] = [.new, .acknowledged, .dispatched, .inProgress, .reopened]
}

extension Severity {
    /// One step up, as escalation does; critical stays critical.
    public var raised: Severity {
        let all = Severity.allCases
        return all[min(all.count - 1, all.firstIndex(of: self)! + 1)]
    }
}
