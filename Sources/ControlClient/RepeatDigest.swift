import ControlProtocol
import Foundation

/// What a live watcher shows of repeat alerts: the first repeat of a ticket as a line, the
/// ones after it as a count, at most once every `interval` per ticket, and any count still
/// pending before the ticket's next change. A busy rule then gives a line a minute, not a
/// line a passer-by.
public struct RepeatDigest: Sendable {
    public var interval: TimeInterval
    private var pending: [Int64: (count: Int, last: Date)] = [:]
    private var shown: [Int64: Date] = [:]

    public init(interval: TimeInterval = 60) {
        self.interval = interval
    }

    /// A ticket's repeats, to be said as a count.
    public struct Count: Sendable, Equatable {
        public var ticket: TicketSummary
        public var repeats: Int
        public var last: Date
    }

    public enum Output: Sendable, Equatable {
        case event(LiveEvent)
        case repeats(Count)
    }

    /// What to print for `event`, arriving at `now`, in order.
    public mutating func take(_ event: LiveEvent, now: Date) -> [Output] {
        guard event.type == "ticket", let ticket = event.ticket else { return [.event(event)] }
        if event.change == "occurrence" {
            var entry = pending[ticket.id] ?? (0, event.at)
            entry.count += 1
            entry.last = event.at
            guard let last = shown[ticket.id] else {
                // The first repeat since this watcher started: a line of its own.
                shown[ticket.id] = now
                return [.event(event)]
            }
            guard now.timeIntervalSince(last) >= interval else {
                pending[ticket.id] = entry
                return []
            }
            pending[ticket.id] = nil
            shown[ticket.id] = now
            return [.repeats(Count(ticket: ticket, repeats: entry.count, last: entry.last))]
        }
        var out: [Output] = []
        if let entry = pending.removeValue(forKey: ticket.id) {
            out.append(.repeats(Count(ticket: ticket, repeats: entry.count, last: entry.last)))
        }
        out.append(.event(event))
        return out
    }
}
