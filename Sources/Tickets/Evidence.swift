import Foundation
import Synchronization

/// Which alerts merge into one ticket: the same camera, kind and rule.
public struct MergeKey: Hashable, Sendable {
    public var cameraID: String
    public var kind: String
    public var zoneID: String?
    public var tripwireID: String?
    /// Hazard alerts (people at the water) are a ticket per track: each person is someone to
    /// reach. Nil for every other category, whose tracks merge into one ticket per rule.
    public var trackID: Int?

    public init(cameraID: String, kind: String, zoneID: String?, tripwireID: String?, trackID: Int? = nil) {
        self.cameraID = cameraID
        self.kind = kind
        self.zoneID = zoneID
        self.tripwireID = tripwireID
        self.trackID = trackID
    }

    public init(_ alert: Alert) {
        self.init(cameraID: alert.cameraID, kind: alert.kind, zoneID: alert.zoneID, tripwireID: alert.tripwireID,
                  trackID: alert.category == .hazard ? alert.trackID : nil)
    }
}

/// When a repeat alert keeps a snapshot. A ticket's first alert always does; a repeat merged
/// into the open ticket keeps one only when it adds something: another track than the last
/// picture's, after a quiet gap (nothing for `quietGap`) or once `refreshAfter` has passed
/// since the last picture, and never more than `perHour` in any hour or `perTicket` in all.
/// Every repeat keeps its time, track and trajectory. The caps count the pictures this run
/// has kept (the ledger is in memory; after a restart an open ticket's count starts again).
/// Documented in Docs/ref/control-api.md (`GET /v1/tickets/{id}/occurrences`) and the
/// operator guide.
public struct EvidencePolicy: Sendable, Equatable {
    public var quietGap: TimeInterval = 30
    public var refreshAfter: TimeInterval = 600
    public var perHour = 6
    public var perTicket = 30

    public init() {}

    /// What is known of the open ticket an alert merges into.
    public struct Open: Sendable, Equatable {
        /// The last alert merged (or raised), picture or not.
        public var lastAlertAt: Date
        /// Times of the pictures kept, oldest first.
        public var pictures: [Date]
        /// The track of the last picture kept.
        public var lastPictureTrack: Int?

        public init(lastAlertAt: Date, pictures: [Date], lastPictureTrack: Int?) {
            self.lastAlertAt = lastAlertAt
            self.pictures = pictures
            self.lastPictureTrack = lastPictureTrack
        }
    }

    /// Whether an alert of `track` at `at` keeps a picture, given the open ticket it merges
    /// into (nil: it raises a new ticket).
    public func keepsPicture(open: Open?, track: Int?, at: Date) -> Bool {
        guard let open else { return true }
        guard let lastPicture = open.pictures.last else { return true }
        guard open.pictures.count < perTicket else { return false }
        guard open.pictures.filter({ at.timeIntervalSince($0) < 3600 }).count < perHour else { return false }
        let newTrack = track == nil || track != open.lastPictureTrack
        guard newTrack else { return false }
        return at.timeIntervalSince(open.lastAlertAt) >= quietGap || at.timeIntervalSince(lastPicture) >= refreshAfter
    }
}

/// What the daemon knows of the open tickets alerts merge into, so a camera decides whether
/// to encode a snapshot before it spends the time on it. Told by the store when a ticket is
/// raised or leaves the states alerts merge into; asked by the cameras. An alert for a key it
/// has not seen (after a restart) keeps its picture: the store merges it all the same.
public final class EvidenceLedger: Sendable {
    public let policy: EvidencePolicy
    private let state = Mutex(State())

    private struct State {
        var open: [MergeKey: Entry] = [:]
        var keys: [Int64: MergeKey] = [:]
    }

    private struct Entry {
        var ticketID: Int64?
        var evidence: EvidencePolicy.Open
    }

    public init(policy: EvidencePolicy = EvidencePolicy()) {
        self.policy = policy
    }

    /// Decide for an alert about to be raised, and count it: a second alert decided before
    /// the store has written the first sees the first.
    public func decide(_ key: MergeKey, track: Int?, at: Date) -> Bool {
        state.withLock { s in
            guard var entry = s.open[key] else {
                s.open[key] = Entry(ticketID: nil, evidence: .init(lastAlertAt: at, pictures: [at], lastPictureTrack: track))
                return true
            }
            let keep = policy.keepsPicture(open: entry.evidence, track: track, at: at)
            entry.evidence.lastAlertAt = max(entry.evidence.lastAlertAt, at)
            if keep {
                entry.evidence.pictures.append(at)
                entry.evidence.pictures.removeFirst(max(0, entry.evidence.pictures.count - policy.perTicket))
                entry.evidence.lastPictureTrack = track
            }
            s.open[key] = entry
            return keep
        }
    }

    /// The store wrote an alert of `key` into ticket `ticketID`; `created` when it raised the
    /// ticket. A ticket raised without a picture (closed and raised again between the decision
    /// and the write) starts over, so its next alert brings one.
    public func written(_ key: MergeKey, ticketID: Int64, created: Bool, withPicture: Bool) {
        state.withLock { s in
            if created {
                if let old = s.open[key]?.ticketID { s.keys[old] = nil }
                if withPicture {
                    s.open[key, default: Entry(ticketID: nil, evidence: .init(lastAlertAt: .distantPast, pictures: [], lastPictureTrack: nil))].ticketID = ticketID
                } else {
                    s.open[key] = nil
                }
            } else {
                s.open[key]?.ticketID = ticketID
            }
            if s.open[key] != nil { s.keys[ticketID] = key }
        }
    }

    /// Ticket `ticketID` no longer takes alerts (handled, closed, false alarm): the next alert
    /// of its key raises a new ticket, with a picture.
    public func closed(ticketID: Int64) {
        state.withLock { s in
            guard let key = s.keys.removeValue(forKey: ticketID) else { return }
            if s.open[key]?.ticketID == ticketID { s.open[key] = nil }
        }
    }
}
