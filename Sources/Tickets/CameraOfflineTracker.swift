import Foundation

/// Decides when a camera that stopped delivering pictures deserves a ticket, and
/// when it has come back. Pure: every input carries its time.
///
/// - The camera counts as down from its first failure; short spells of streaming
///   (shorter than `stableAfter`) do not reset that, so a flapping camera raises
///   one ticket, not one per flap.
/// - After `offlineAfter` seconds down, `tick` asks for one offline ticket.
/// - Once it has streamed steadily for `stableAfter`, `tick` reports the recovery
///   with the time it was down; the ticket stays open for an operator to verify.
public struct CameraOfflineTracker: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        /// Raise (or reuse) the camera's offline ticket; the camera has been down since `since`.
        case raiseOffline(since: Date)
        /// The camera is back after being down for `downFor` seconds.
        case recovered(downFor: Double)
    }

    public let offlineAfter: Double
    public let stableAfter: Double
    public private(set) var downSince: Date?
    public private(set) var upSince: Date?
    public private(set) var ticketRaised = false

    public init(offlineAfter: Double = 120, stableAfter: Double = 10) {
        self.offlineAfter = offlineAfter
        self.stableAfter = stableAfter
    }

    /// The camera delivers frames (called on every health check while it does).
    public mutating func streaming(at now: Date) {
        if upSince == nil { upSince = now }
    }

    /// The camera is not delivering frames (failed, stalled, waiting to reconnect).
    public mutating func down(at now: Date) {
        upSince = nil
        if downSince == nil { downSince = now }
    }

    /// Called periodically; returns what to do now, if anything.
    public mutating func tick(at now: Date) -> Action? {
        if let up = upSince, now.timeIntervalSince(up) >= stableAfter, let down = downSince {
            // Back for good: the outage ended when streaming resumed.
            let raised = ticketRaised
            let downFor = up.timeIntervalSince(down)
            downSince = nil
            ticketRaised = false
            return raised ? .recovered(downFor: downFor) : nil
        }
        if let down = downSince, !ticketRaised, now.timeIntervalSince(down) >= offlineAfter {
            ticketRaised = true
            return .raiseOffline(since: down)
        }
        return nil
    }
}
