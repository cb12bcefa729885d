import Foundation

/// What a person can do to a ticket. Raw values are the API's and the CLI's verbs.
public enum TicketAction: String, Sendable, CaseIterable, Codable {
    case acknowledge, dispatch, escalate, start, resolve, verify, close
    case falseAlarm = "false_alarm"
    case reopen

    /// Chinese name for operator-facing messages.
    public var chinese: String {
        switch self {
        case .acknowledge: "签收"
        case .dispatch: "派单"
        case .escalate: "上报上级"
        case .start: "开始处置"
        case .resolve: "处置完成"
        case .verify: "核查"
        case .close: "结案"
        case .falseAlarm: "误报"
        case .reopen: "退回重办"
        }
    }
}

/// Why an action was refused.
public enum WorkflowError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalidTransition(from: TicketState, action: TicketAction)
    case reasonRequired(TicketAction)
    case assigneeRequired
    case unknownAssignee(String, grid: String)
    case noHigherLevel(grid: String)

    public var description: String {
        switch self {
        case let .invalidTransition(from, action):
            let allowed = Workflow.allowedActions(from: from).map(\.rawValue)
            return "cannot \(action.rawValue) a ticket that is \(from.rawValue) / 当前状态不能\(action.chinese)"
                + " (allowed: \(allowed.isEmpty ? "none" : allowed.joined(separator: ", ")))"
        case let .reasonRequired(action):
            return "\(action.rawValue) needs a reason (note) / \(action.chinese)需要填写原因"
        case .assigneeRequired:
            return "dispatch needs an assignee: a grid worker of the ticket's grid / 派单需要指定网格员"
        case let .unknownAssignee(who, grid):
            return "'\(who)' is not a leader or worker of grid '\(grid)' / 不是该网格的人员"
        case let .noHigherLevel(grid):
            return "grid '\(grid)' has no higher level to escalate to / 网格 \(grid) 没有上级"
        }
    }
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
        if !hasNote && [.falseAlarm, .reopen, .resolve].contains(action) {
            throw .reasonRequired(action)
        }
        return target
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
