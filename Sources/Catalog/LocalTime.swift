import Foundation

/// A time as people read it in tickets, logs of the ticket's history and messages:
/// `2026-12-01 08:30:05` in the daemon's zone (`daemon.timezone`).
public enum LocalTime {
    public static func text(_ date: Date) -> String {
        date.formatted(Date.VerbatimFormatStyle(
            format: "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits)",
            timeZone: .current, calendar: Calendar(identifier: .gregorian)))
    }
}
