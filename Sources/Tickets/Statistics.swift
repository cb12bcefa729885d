import Foundation

/// How statistics are grouped.
public enum StatsGrouping: String, Sendable, Codable, CaseIterable {
    case grid, camera, category, rule, hour, day, week, month

    /// Time groupings are listed in time order; the others busiest first (the hot spots).
    public var isTime: Bool { [.hour, .day, .week, .month].contains(self) }
}

/// The figures the towns report for one group of tickets.
public struct TicketStats: Sendable, Codable, Equatable {
    public var key: String
    public var raised = 0
    public var acknowledged = 0
    public var acknowledgedOnTime = 0
    /// Real problems closed (false alarms are not among them).
    public var closed = 0
    public var closedOnTime = 0
    public var falseAlarms = 0
    /// Repeat tickets (重复工单): raised again after an earlier ticket of the same camera and
    /// rule was handled within the repeat period, or reopened. Merged repeat alerts of one
    /// open ticket are not repeat tickets; they are its occurrences.
    public var repeatTickets = 0
    public var overdue = 0
    /// Completion rate (办结率): closed over real tickets (raised minus false alarms).
    public var completionRate = 0.0
    /// False alarms over raised (误报率), reported beside the completion rate.
    public var falseAlarmRate = 0.0
    /// By rule only: the rule's cooldown in the running configuration (nil for a rule no
    /// longer configured).
    public var cooldownSeconds: Double?
    public var meanAcknowledgeSeconds: Double?
    public var p90AcknowledgeSeconds: Double?
    public var meanCloseSeconds: Double?
    public var p90CloseSeconds: Double?

    public init(key: String) { self.key = key }
}

/// One ticket's facts that statistics are computed from.
public struct TicketFacts: Sendable {
    public var key: String
    public var state: TicketState
    public var createdAt: Double
    public var acknowledgedAt: Double?
    public var ackDueAt: Double?
    public var closedAt: Double?
    public var closeDueAt: Double?
    public var occurrences: Int
    public var repeatProblem: Bool
    public var overdue: Int
    /// Reopened at least once, or raised again after an earlier ticket of its rule was
    /// handled: a repeat ticket (重复工单).
    public var reopenCount: Int
    public var repeatOf: Int64?

    public init(key: String, state: TicketState, createdAt: Double, acknowledgedAt: Double?, ackDueAt: Double?, closedAt: Double?, closeDueAt: Double?,
                occurrences: Int = 1, repeatProblem: Bool = false, overdue: Int = 0, reopenCount: Int = 0, repeatOf: Int64? = nil) {
        self.reopenCount = reopenCount
        self.repeatOf = repeatOf
        self.key = key
        self.state = state
        self.createdAt = createdAt
        self.acknowledgedAt = acknowledgedAt
        self.ackDueAt = ackDueAt
        self.closedAt = closedAt
        self.closeDueAt = closeDueAt
        self.occurrences = occurrences
        self.repeatProblem = repeatProblem
        self.overdue = overdue
    }
}

public enum StatisticsMath {
    /// Nearest-rank percentile (p in 0...1) of unsorted values; nil when empty.
    public static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }

    /// Group facts by key and compute each group's figures, plus the total over all.
    public static func summarise(_ facts: [TicketFacts], grouping: StatsGrouping) -> (groups: [TicketStats], total: TicketStats) {
        var byKey: [String: [TicketFacts]] = [:]
        for f in facts { byKey[f.key, default: []].append(f) }
        var groups = byKey.map { key, items in figures(key: key, items) }
        if grouping.isTime {
            groups.sort { $0.key < $1.key }
        } else {
            groups.sort { ($0.raised, $1.key) > ($1.raised, $0.key) }
        }
        return (groups, figures(key: "total", facts))
    }

    static func figures(key: String, _ items: [TicketFacts]) -> TicketStats {
        var s = TicketStats(key: key)
        var ack: [Double] = [], close: [Double] = []
        for f in items {
            s.raised += 1
            if let a = f.acknowledgedAt {
                s.acknowledged += 1
                ack.append(a - f.createdAt)
                if let due = f.ackDueAt, a <= due { s.acknowledgedOnTime += 1 }
            }
            // Closed means a real problem handled to the end; a false alarm is counted
            // beside it, never as completed.
            if let c = f.closedAt, f.state == .closed {
                s.closed += 1
                close.append(c - f.createdAt)
                if let due = f.closeDueAt, c <= due { s.closedOnTime += 1 }
            }
            if f.state == .falseAlarm { s.falseAlarms += 1 }
            if f.repeatOf != nil || f.reopenCount > 0 { s.repeatTickets += 1 }
            if f.overdue != 0 { s.overdue += 1 }
        }
        let real = s.raised - s.falseAlarms
        if real > 0 { s.completionRate = Double(s.closed) / Double(real) }
        if s.raised > 0 { s.falseAlarmRate = Double(s.falseAlarms) / Double(s.raised) }
        s.meanAcknowledgeSeconds = ack.isEmpty ? nil : ack.reduce(0, +) / Double(ack.count)
        s.p90AcknowledgeSeconds = percentile(ack, 0.9)
        s.meanCloseSeconds = close.isEmpty ? nil : close.reduce(0, +) / Double(close.count)
        s.p90CloseSeconds = percentile(close, 0.9)
        return s
    }
}
