import Catalog
import Foundation
import Testing
import Tickets

/// The closed loop decided without a database: `Workflow.apply`, `Supervision.escalate`,
/// `StatisticsMath`.
@Suite struct WorkflowApplyTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static func ticket(_ state: TicketState, grid: String = "village", acknowledged: Bool = false) -> TicketFlow {
        TicketFlow(state: state, category: .hazard, severity: .medium, gridId: grid, acknowledgedAt: acknowledged ? t0 : nil,
                   ackDueAt: t0 + 300, closeDueAt: t0 + 3600, updatedAt: t0)
    }
    static let li = WorkflowFacts.Person(id: "li", name: "李娜")
    static let town = WorkflowFacts.Person(id: "town", name: "镇")

    struct Case: Sendable, CustomTestStringConvertible {
        var action: TicketAction
        var from: TicketState
        var note: String? = nil
        var assignee: String? = nil
        var facts = WorkflowFacts()
        /// The state reached, or the refusal.
        var expect: Result<TicketState, WorkflowError>
        var testDescription: String { "\(action.rawValue) from \(from.rawValue)" }
    }

    @Test(arguments: [
        Case(action: .acknowledge, from: .new, expect: .success(.acknowledged)),
        Case(action: .acknowledge, from: .closed, expect: .failure(.invalidTransition(from: .closed, action: .acknowledge))),
        Case(action: .dispatch, from: .acknowledged, assignee: "li", facts: WorkflowFacts(assignee: li), expect: .success(.dispatched)),
        Case(action: .dispatch, from: .acknowledged, assignee: " ", facts: WorkflowFacts(assignee: li), expect: .failure(.assigneeRequired)),
        Case(action: .dispatch, from: .acknowledged, assignee: "wang", expect: .failure(.unknownAssignee("wang", grid: "village"))),
        Case(action: .escalate, from: .dispatched, facts: WorkflowFacts(parentGrid: town), expect: .success(.dispatched)),
        Case(action: .escalate, from: .dispatched, expect: .failure(.noHigherLevel(grid: "village"))),
        Case(action: .resolve, from: .inProgress, expect: .failure(.reasonRequired(.resolve))),
        Case(action: .resolve, from: .inProgress, note: "劝离", expect: .success(.resolved)),
        Case(action: .falseAlarm, from: .new, note: "  ", expect: .failure(.reasonRequired(.falseAlarm))),
        Case(action: .falseAlarm, from: .new, note: "a dog", expect: .success(.falseAlarm)),
        Case(action: .reopen, from: .closed, note: "back", expect: .success(.reopened)),
        Case(action: .close, from: .resolved, expect: .failure(.invalidTransition(from: .resolved, action: .close))),
    ])
    func transitions(_ c: Case) {
        let result = Result { () throws(WorkflowError) -> TicketState in
            try Workflow.apply(c.action, to: Self.ticket(c.from), by: "op", note: c.note, assignee: c.assignee, facts: c.facts, at: Self.t0 + 60).ticket.state
        }
        #expect(result == c.expect)
    }

    @Test func dispatchAssignsAndNamesThePerson() throws {
        let change = try Workflow.apply(.dispatch, to: Self.ticket(.new), by: "op", note: "去看看", assignee: "li", facts: WorkflowFacts(assignee: Self.li), at: Self.t0 + 60)
        #expect(change.ticket.assignee == "li" && change.ticket.acknowledgedAt == Self.t0 + 60 && change.ticket.updatedAt == Self.t0 + 60)
        #expect(change.events == [WorkflowEvent(kind: "dispatch", actor: "op", from: .new, to: .dispatched, note: "去看看", text: .dispatchedTo(name: "李娜", id: "li"))])
    }

    @Test func escalationMovesToTheParentGridUnassigned() throws {
        var t = Self.ticket(.dispatched, acknowledged: true)
        t.assignee = "li"
        let change = try Workflow.apply(.escalate, to: t, by: "op", facts: WorkflowFacts(parentGrid: Self.town), at: Self.t0 + 60)
        #expect(change.ticket.gridId == "town" && change.ticket.assignee == nil && change.ticket.acknowledgedAt == Self.t0)
    }

    @Test func reopenResetsTheCloseDeadlineAndMarksRepeatProblems() throws {
        var policy = StorePolicy()
        policy.deadlines = DeadlinePolicy(byCategory: [.hazard: Deadline(acknowledge: 300, close: 7200)])
        var t = Self.ticket(.closed, acknowledged: true)
        t.closedAt = Self.t0 + 100
        t.resolvedAt = Self.t0 + 50
        t.overdue = Overdue.close.rawValue | Overdue.acknowledge.rawValue
        let now = Self.t0 + 10_000
        let first = try Workflow.apply(.reopen, to: t, by: "op", note: "又出现了", facts: WorkflowFacts(earlierReopens: 0, policy: policy), at: now)
        #expect(first.ticket.closeDueAt == now + 7200 && first.ticket.closedAt == nil && first.ticket.resolvedAt == nil)
        #expect(first.ticket.overdue == Overdue.acknowledge.rawValue && first.ticket.reopenCount == 1 && !first.ticket.repeatProblem)
        #expect(first.events.map(\.kind) == ["reopen"])
        // The third reopening in the period (policy: more than 2) is a repeat problem.
        let third = try Workflow.apply(.reopen, to: t, by: "op", note: "again", facts: WorkflowFacts(earlierReopens: 2, policy: policy), at: now)
        #expect(third.ticket.repeatProblem && third.events.map(\.kind) == ["reopen", "repeat_problem"])
        #expect(third.events[1].actor == "gridwatchd" && third.events[1].text?.zh.contains("重复问题") == true)
    }

    @Test func reopeningIsNotAcknowledging() throws {
        let change = try Workflow.apply(.reopen, to: Self.ticket(.closed), by: "op", note: "x", facts: WorkflowFacts(), at: Self.t0 + 1)
        #expect(change.ticket.acknowledgedAt == nil)
    }
}

@Suite struct SupervisionTests {
    static let t0 = WorkflowApplyTests.t0

    @Test(arguments: [
        // (state, acknowledged, already overdue, seconds after creation, newly missed, severity after)
        (TicketState.new, false, 0, 200.0, 0, Severity.medium),
        (.new, false, 0, 301, 1, .high),
        (.acknowledged, true, 0, 301, 0, .medium),
        (.dispatched, true, 0, 3601, 2, .high),
        (.new, false, 0, 3601, 3, .high),
        (.new, false, 1, 3601, 3, .high),
        (.new, false, 3, 9999, 3, .medium),
        (.closed, true, 0, 9999, 0, .medium),
        (.falseAlarm, true, 0, 9999, 0, .medium),
    ])
    func deadlines(state: TicketState, acknowledged: Bool, already: Int, after: Double, overdue: Int, severity: Severity) {
        var t = WorkflowApplyTests.ticket(state, acknowledged: acknowledged)
        t.overdue = already
        let change = Supervision.escalate(t, at: Self.t0 + after)
        if overdue == 0 || overdue == already {
            #expect(change == nil)
        } else {
            #expect(change?.ticket.overdue == overdue && change?.ticket.severity == severity && change?.ticket.escalations == 1)
            #expect(change?.events.first?.kind == "escalation" && change?.events.first?.text?.zh.contains("督办") == true)
        }
    }
}

@Suite struct StatisticsMathTests {
    static func facts(key: String = "k", _ state: TicketState, ack: Double? = nil, closed: Double? = nil, reopens: Int = 0, repeatOf: Int64? = nil, occurrences: Int = 1) -> TicketFacts {
        TicketFacts(key: key, state: state, createdAt: 0, acknowledgedAt: ack, ackDueAt: 300, closedAt: closed, closeDueAt: 3600,
                    occurrences: occurrences, reopenCount: reopens, repeatOf: repeatOf)
    }

    @Test func completionIsOverRealTicketsWithFalseAlarmsBeside() {
        let total = StatisticsMath.summarise([
            Self.facts(.closed, ack: 60, closed: 1000),
            Self.facts(.closed, ack: 400, closed: 4000),
            Self.facts(.falseAlarm, ack: 30, closed: 30),
            Self.facts(.falseAlarm, ack: 30, closed: 30),
            Self.facts(.inProgress, ack: 100),
            Self.facts(.new),
        ], grouping: .category).total
        #expect(total.raised == 6 && total.closed == 2 && total.closedOnTime == 1 && total.falseAlarms == 2)
        #expect(total.completionRate == 0.5 && abs(total.falseAlarmRate - 1.0 / 3) < 1e-12)
        #expect(total.acknowledged == 5 && total.acknowledgedOnTime == 4)
        #expect(total.meanCloseSeconds == 2500 && total.p90CloseSeconds == 4000)
    }

    @Test(arguments: [
        (0, nil as Int64?, 1, false),
        (0, nil, 40, false),  // many merged repeat alerts: one ticket, not a repeat ticket
        (1, nil, 1, true),    // reopened
        (0, 7, 1, true),      // raised again after ticket 7 was handled
    ])
    func repeatTickets(reopens: Int, repeatOf: Int64?, occurrences: Int, counts: Bool) {
        let total = StatisticsMath.summarise([Self.facts(.new, reopens: reopens, repeatOf: repeatOf, occurrences: occurrences)], grouping: .rule).total
        #expect(total.repeatTickets == (counts ? 1 : 0))
    }

    @Test func onlyFalseAlarmsGiveNoCompletionRate() {
        let total = StatisticsMath.summarise([Self.facts(.falseAlarm, closed: 5)], grouping: .grid).total
        #expect(total.completionRate == 0 && total.falseAlarmRate == 1)
    }

    @Test func groupsBusiestFirstOrInTimeOrder() {
        let f = [Self.facts(key: "b", .new), Self.facts(key: "a", .new), Self.facts(key: "b", .new)]
        #expect(StatisticsMath.summarise(f, grouping: .camera).groups.map(\.key) == ["b", "a"])
        #expect(StatisticsMath.summarise(f, grouping: .day).groups.map(\.key) == ["a", "b"])
    }
}
