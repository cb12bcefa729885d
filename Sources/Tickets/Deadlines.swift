import Foundation

/// Time allowed to acknowledge and to close a ticket, in seconds.
public struct Deadline: Sendable, Equatable, Codable {
    public var acknowledge: Double
    public var close: Double
    public init(acknowledge: Double, close: Double) {
        self.acknowledge = acknowledge
        self.close = close
    }
}

/// Deadlines per category, optionally refined per severity (the towns' time limits).
public struct DeadlinePolicy: Sendable, Equatable {
    public var byCategory: [TicketCategory: Deadline]
    public var bySeverity: [TicketCategory: [Severity: Deadline]]

    public init(byCategory: [TicketCategory: Deadline] = DeadlinePolicy.defaults, bySeverity: [TicketCategory: [Severity: Deadline]] = [:]) {
        self.byCategory = byCategory
        self.bySeverity = bySeverity
    }

    /// Hazards first: people at the water cannot wait; a dead camera can wait for the day shift.
    public static let defaults: [TicketCategory: Deadline] = [
        .hazard: Deadline(acknowledge: 5 * 60, close: 4 * 3600),
        .intrusion: Deadline(acknowledge: 15 * 60, close: 24 * 3600),
        .corrections: Deadline(acknowledge: 15 * 60, close: 24 * 3600),
        .cameraOffline: Deadline(acknowledge: 4 * 3600, close: 72 * 3600),
        // A camera that no longer sees is a gap in the watch: someone looks within the hour.
        .cameraTamper: Deadline(acknowledge: 3600, close: 24 * 3600),
        // Smoke in the fields spreads in minutes.
        .fireSmoke: Deadline(acknowledge: 5 * 60, close: 4 * 3600),
    ]

    public func deadline(category: TicketCategory, severity: Severity) -> Deadline {
        bySeverity[category]?[severity] ?? byCategory[category] ?? Deadline(acknowledge: 3600, close: 72 * 3600)
    }
}

/// Which deadlines a ticket has missed: bit 1 acknowledge, bit 2 close.
public struct Overdue: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let acknowledge = Overdue(rawValue: 1)
    public static let close = Overdue(rawValue: 2)
}

/// Decides escalation from stored times only, so deadlines keep running across restarts.
public enum Supervision {
    /// Deadlines newly missed at `now` by a ticket in `state`, given what it has already been
    /// escalated for. Acknowledging meets the first deadline; closing (or calling it a false
    /// alarm) meets the second.
    public static func newlyMissed(state: TicketState, acknowledgedAt: Date?, ackDueAt: Date?, closeDueAt: Date?, already: Overdue, now: Date) -> Overdue {
        guard Workflow.isOpen(state) else { return [] }
        var missed: Overdue = []
        if acknowledgedAt == nil, let due = ackDueAt, now > due, !already.contains(.acknowledge) {
            missed.insert(.acknowledge)
        }
        if let due = closeDueAt, now > due, !already.contains(.close) {
            missed.insert(.close)
        }
        return missed
    }
}

/// What the store needs to know about the towns' rules.
public struct StorePolicy: Sendable, Equatable {
    public var deadlines = DeadlinePolicy()
    /// A ticket reopened more than `repeatReopens` times within `repeatPeriod` seconds is a
    /// repeat problem for the monthly review.
    public var repeatReopens = 2
    public var repeatPeriod: Double = 30 * 86_400
    /// Evidence clips a ticket keeps: its own and its occurrences' (later ones have none).
    public var clipsPerTicket = 5
    public init() {}
}
