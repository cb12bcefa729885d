import Analysis
import Catalog
import Foundation

/// What a ticket is about. Raw values are stored and shown in the API.
public enum TicketCategory: String, Sendable, Codable, CaseIterable {
    /// Someone or something entered a watched zone.
    case intrusion
    /// A zone or line that belongs to community corrections.
    case corrections
    /// People at the water, smoke or fire, and other dangers.
    case hazard
    /// A camera that stopped delivering pictures.
    case cameraOffline = "camera_offline"
    /// A camera whose picture cannot be trusted: covered, out of focus, turned or frozen.
    case cameraTamper = "camera_tamper"
    /// Smoke or fire seen by a camera (straw burning in the fields, a fire).
    case fireSmoke = "fire_smoke"
}

/// How urgent a ticket is; escalation raises it one step.
public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
    case low, medium, high, critical

    public static func < (a: Severity, b: Severity) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The closed loop a ticket goes through (report → dispatch → handle → verify → close).
public enum TicketState: String, Sendable, Codable, CaseIterable {
    case new
    case acknowledged
    case dispatched
    case inProgress = "in_progress"
    case resolved
    case verified
    case closed
    case falseAlarm = "false_alarm"
    case reopened
}

/// How an evidence clip ended.
public enum ClipEnd: String, Sendable, Codable, CaseIterable {
    /// Its post-roll passed.
    case complete
    /// It reached the longest clip while the event went on.
    case capped
    /// The camera's stream broke off (a reconnect): the clip stops at the gap.
    case gap
    /// The daemon stopped: the clip holds what had arrived.
    case stopped
}

/// What the ticket service is asked to do.
/// Codable for the spool that keeps unwritten commands across a stop; an alert's JPEG is
/// not part of the encoding (the spool stores it beside, as raw bytes).
public enum TicketCommand: Sendable, Codable {
    /// The analysis saw something: a new ticket.
    case alert(Alert)
    /// A camera has been down past its offline threshold since `since`; `fault` says why
    /// when it is known (refused credentials, no answer), for the ticket's history. `title`
    /// and `reason` are the bilingual texts of `titleText` and `fault` (spools written before
    /// the catalogue have only those).
    case cameraOffline(cameraID: String, gridID: String, title: String, since: Date, reason: String?, titleText: TicketText? = nil, fault: StreamText? = nil)
    /// A camera that was reported offline streams again.
    case cameraRecovered(cameraID: String, downFor: Double)
    /// A camera's picture is sound again: `kind` is the tamper ticket's (`tamper_covered` …).
    case tamperCleared(cameraID: String, kind: String, at: Date)
    /// An alert's evidence clip (`Alert.clipName`) is written at `path` (relative to the data
    /// folder): `seconds` long, `bytes` big, the event `eventOffset` seconds in; `end` says
    /// how it ended (`ClipEnd`).
    case clipWritten(name: String, path: String, seconds: Double, bytes: Int, eventOffset: Double, end: ClipEnd)

    /// The alert's JPEG, if any.
    public var picture: [UInt8]? {
        if case let .alert(alert) = self { return alert.snapshotJPEG }
        return nil
    }

    /// The same command with `picture` as the alert's JPEG (other commands have none).
    public func with(picture: [UInt8]?) -> TicketCommand {
        guard case var .alert(alert) = self else { return self }
        alert.snapshotJPEG = picture
        return .alert(alert)
    }
}

/// The lease a camera's alert was raised under: the node, the grant's epoch, and whether
/// the node was still inside the time its last renewal guaranteed (`confirmed`: no other
/// node can have been granted the camera yet). An alert raised past that time (the
/// database away) is written only if nobody else has been granted the camera since.
public struct LeaseStamp: Sendable, Codable, Equatable {
    public var node: String
    public var epoch: Int64
    public var confirmed: Bool

    public init(node: String, epoch: Int64, confirmed: Bool) {
        self.node = node
        self.epoch = epoch
        self.confirmed = confirmed
    }
}

/// An alert the analysis raised that should become a ticket.
public struct Alert: Sendable, Codable {
    public var cameraID: String
    public var zoneID: String?
    /// Set for tripwire crossings.
    public var tripwireID: String?
    /// zone_enter, zone_exit, crossing, loiter, crowd.
    public var kind: String
    /// The anonymous track that caused it, if any.
    public var trackID: Int?
    /// The track's path up to the event: normalized foot points with stream times.
    public var trajectory: [TrajectoryPoint]
    public var gridID: String
    public var category: TicketCategory
    public var severity: Severity
    /// The title in both languages (search, old readers) ...
    public var title: String
    /// ... and as a catalogue entry, for each reader's language. Nil in spools written
    /// before titles were catalogued.
    public var titleText: TicketText?
    /// Wall-clock time of the frame that raised it.
    public var occurredAt: Date
    /// Full-resolution JPEG of that frame. Not encoded: kept beside the encoding where needed.
    public var snapshotJPEG: [UInt8]?
    /// The evidence clip the camera is recording for it (a file name), attached to the
    /// ticket when written (`TicketCommand.clipWritten`); nil for none.
    public var clipName: String?
    /// The camera lease it was raised under, when several daemons share the cameras
    /// (Docs/design/cluster.md); nil on a single box.
    public var lease: LeaseStamp?

    private enum CodingKeys: String, CodingKey {
        case cameraID, zoneID, tripwireID, kind, trackID, trajectory, gridID, category, severity, title, titleText, occurredAt, clipName, lease
    }

    public init(cameraID: String, zoneID: String?, tripwireID: String? = nil, kind: String = "zone_enter", trackID: Int? = nil, trajectory: [TrajectoryPoint] = [], gridID: String, category: TicketCategory, severity: Severity, title: TicketText, occurredAt: Date, snapshotJPEG: [UInt8]?) {
        self.cameraID = cameraID
        self.zoneID = zoneID
        self.tripwireID = tripwireID
        self.kind = kind
        self.trackID = trackID
        self.trajectory = trajectory
        self.gridID = gridID
        self.category = category
        self.severity = severity
        self.title = title.text(.bilingual)
        self.titleText = title
        self.occurredAt = occurredAt
        self.snapshotJPEG = snapshotJPEG
    }
}

/// Operator-facing titles: catalogue entries (`Catalog.TicketText`), each reader gets its
/// language; the stored `title` is the bilingual text, for search and old readers.
public enum TicketTitle {
    public static func cameraOffline(cameraName: String) -> TicketText { .cameraOffline(camera: cameraName) }

    /// A camera that answers but refuses the configured user name or password.
    public static func cameraAuthFailed(cameraName: String) -> TicketText { .cameraAuthFailed(camera: cameraName) }

    public static func zoneEntry(zoneName: String, cameraName: String) -> TicketText { .zoneEntry(zone: zoneName, camera: cameraName) }

    public static func zoneExit(zoneName: String, cameraName: String) -> TicketText { .zoneExit(zone: zoneName, camera: cameraName) }

    /// "越线（由左向右）：路口线 @ 东门".
    public static func crossing(lineName: String, way: Tripwire.ScreenWay?, cameraName: String) -> TicketText {
        let way: TicketText.Way? = switch way {
        case .leftToRight?: .leftToRight
        case .rightToLeft?: .rightToLeft
        case .topToBottom?: .topToBottom
        case .bottomToTop?: .bottomToTop
        case nil: nil
        }
        return .crossing(line: lineName, way: way, camera: cameraName)
    }

    public static func loitering(zoneName: String, seconds: Int, cameraName: String) -> TicketText {
        .loitering(zone: zoneName, seconds: seconds, camera: cameraName)
    }

    public static func crowding(zoneName: String, count: Int, cameraName: String) -> TicketText {
        .crowding(zone: zoneName, count: count, camera: cameraName)
    }

    /// "火情：麦田 @ 东门" or "烟雾：东门" (the whole picture).
    public static func fireSmoke(_ kind: FireSmokeKind, zoneName: String?, cameraName: String) -> TicketText {
        .fireSmoke(kind: kind.rawValue, zone: zoneName, camera: cameraName)
    }

    /// "摄像头被遮挡：东门": one title per tamper reason.
    public static func tamper(_ reason: TamperReason, cameraName: String) -> TicketText {
        .tamper(reason: reason.rawValue, camera: cameraName)
    }
}
