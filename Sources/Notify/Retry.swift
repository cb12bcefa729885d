import Foundation

/// When a failed delivery is tried again: immediately, then after 5 s, 5 min, 30 min, 2 h,
/// and every 5 h after that, each wait varied by ±20 % so that many deliveries failed by
/// one outage do not come back at once; after `giveUpAfter` (3 days) since the first try,
/// the delivery is dead (a dead letter, kept for `retry` or `drop` by hand).
public struct RetrySchedule: Sendable, Equatable {
    public var waits: [TimeInterval] = [5, 300, 1800, 7200]
    public var thereafter: TimeInterval = 5 * 3600
    public var giveUpAfter: TimeInterval = 3 * 86_400
    public var jitter = 0.2
    /// The longest a receiver's `Retry-After` is honoured for.
    public static let longestRetryAfter: TimeInterval = 6 * 3600

    public init() {}

    /// The wait before attempt `failures + 1` after `failures` failed attempts (1 or more).
    public func wait(afterFailures failures: Int, random: Double) -> TimeInterval {
        let base = failures - 1 < waits.count ? waits[max(0, failures - 1)] : thereafter
        return base * (1 + jitter * (2 * random - 1))
    }

    /// When to try again after `failures` failed attempts, the first made at `firstAttempt`;
    /// nil when the delivery should now be given up. A receiver's `Retry-After` replaces our
    /// wait when it asks for longer (never shorter: a receiver cannot make us hammer it), up
    /// to six hours.
    public func next(afterFailures failures: Int, firstAttempt: Date, now: Date, retryAfter: TimeInterval? = nil, random: Double) -> Date? {
        var wait = self.wait(afterFailures: failures, random: random)
        if let retryAfter { wait = max(wait, min(retryAfter, Self.longestRetryAfter)) }
        let at = now.addingTimeInterval(wait)
        return at.timeIntervalSince(firstAttempt) > giveUpAfter ? nil : at
    }
}

/// What an HTTP answer means for a delivery.
public enum DeliveryVerdict: Equatable, Sendable {
    case delivered
    /// Try again; `after` is the receiver's `Retry-After` in seconds, when it gave one.
    case retry(reason: String, after: TimeInterval?)
    /// The receiver says it is gone for good (410): the destination is switched off until
    /// someone switches it on again.
    case disable(reason: String)

    /// Only 2xx is success. 410 disables the destination; 429 and 503 honour `Retry-After`;
    /// everything else is retried on the schedule. `robotError` is a messenger robot's
    /// `errcode` when its answer carried one: they answer 200 with an error code.
    public static func from(status: Int, retryAfter: String?, robotError: (code: Int, message: String)? = nil, now: Date) -> DeliveryVerdict {
        switch status {
        case 200..<300:
            if let robotError, robotError.code != 0 {
                return .retry(reason: "robot errcode \(robotError.code): \(robotError.message.prefix(200))", after: nil)
            }
            return .delivered
        case 410:
            return .disable(reason: "HTTP 410 Gone")
        case 429, 503:
            return .retry(reason: "HTTP \(status)", after: retryAfter.flatMap { parseRetryAfter($0, now: now) })
        default:
            return .retry(reason: "HTTP \(status)", after: nil)
        }
    }

    /// `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3); nil if neither.
    public static func parseRetryAfter(_ value: String, now: Date) -> TimeInterval? {
        let v = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(v), seconds >= 0 { return TimeInterval(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: v) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
