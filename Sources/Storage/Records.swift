import Catalog
import Foundation
import GRDB
import Tickets

/// Shared column conventions: snake_case columns, dates as Unix seconds (REAL).
public protocol GridwatchRecord: Codable, FetchableRecord, EncodableRecord, TableRecord, Sendable {}

extension GridwatchRecord {
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .convertFromSnakeCase }
    // GRDB 7 asks per column; a static property of the old name would silently be ignored
    // (schema v1 stored dates as text because of exactly that; v2 converts them).
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .timeIntervalSince1970 }
    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { .timeIntervalSince1970 }
}

public struct GridRecord: GridwatchRecord, PersistableRecord, Equatable {
    public static let databaseTableName = "grids"
    public var id: String
    public var name: String
    public var parentId: String?
    /// village, town or county.
    public var level: String

    public init(id: String, name: String, parentId: String?, level: String) {
        self.id = id
        self.name = name
        self.parentId = parentId
        self.level = level
    }
}

/// A camera an administrator switched off.
public struct CameraSwitchRecord: GridwatchRecord, PersistableRecord, Equatable {
    public static let databaseTableName = "camera_switches"
    public var cameraId: String
    public var disabledBy: String
    public var disabledAt: Date
    public var reason: String?

    public init(cameraId: String, disabledBy: String, disabledAt: Date, reason: String?) {
        self.cameraId = cameraId
        self.disabledBy = disabledBy
        self.disabledAt = disabledAt
        self.reason = reason
    }
}

public struct CameraRecord: GridwatchRecord, PersistableRecord, Equatable {
    public static let databaseTableName = "cameras"
    public var id: String
    public var name: String
    public var gridId: String
    /// The source with credentials removed; the real URL is never stored.
    public var sourceRedacted: String

    public init(id: String, name: String, gridId: String, sourceRedacted: String) {
        self.id = id
        self.name = name
        self.gridId = gridId
        self.sourceRedacted = sourceRedacted
    }
}

public struct ZoneRecord: GridwatchRecord, PersistableRecord, Equatable {
    public static let databaseTableName = "zones"
    public var cameraId: String
    public var id: String
    public var name: String
    /// Set when the zone belongs to another grid than its camera.
    public var gridId: String?
    /// JSON array of [x, y] pairs, normalized.
    public var polygon: String

    public init(cameraId: String, id: String, name: String, gridId: String?, polygon: String) {
        self.cameraId = cameraId
        self.id = id
        self.name = name
        self.gridId = gridId
        self.polygon = polygon
    }
}

public struct TripwireRecord: GridwatchRecord, PersistableRecord, Equatable {
    public static let databaseTableName = "tripwires"
    public var cameraId: String
    public var id: String
    public var name: String
    public var gridId: String?
    /// JSON [[ax, ay], [bx, by]], normalized.
    public var line: String
    public var direction: String

    public init(cameraId: String, id: String, name: String, gridId: String?, line: String, direction: String) {
        self.cameraId = cameraId
        self.id = id
        self.name = name
        self.gridId = gridId
        self.line = line
        self.direction = direction
    }
}

public struct TicketRecord: GridwatchRecord, MutablePersistableRecord, Equatable, Identifiable {
    public static let databaseTableName = "tickets"
    public var id: Int64?
    public var cameraId: String
    public var zoneId: String?
    public var tripwireId: String?
    /// What raised it: zone_enter, zone_exit, crossing, loiter, crowd, camera_offline.
    public var kind: String
    public var trackId: Int64?
    /// JSON array of {x, y, t}: the object's path, normalized, stream seconds.
    public var trajectory: String?
    public var gridId: String
    public var category: TicketCategory
    public var severity: Severity
    public var state: TicketState
    public var title: String
    public var occurredAt: Date
    public var createdAt: Date
    public var updatedAt: Date
    /// Relative to the data directory.
    public var snapshotPath: String?
    /// The grid worker it is dispatched to.
    public var assignee: String? = nil
    public var acknowledgedAt: Date? = nil
    public var resolvedAt: Date? = nil
    /// When it was closed or marked a false alarm.
    public var closedAt: Date? = nil
    public var ackDueAt: Date? = nil
    public var closeDueAt: Date? = nil
    /// Missed deadlines (`Overdue` bits: 1 acknowledge, 2 close).
    public var overdue: Int = 0
    public var escalations: Int = 0
    /// Alerts merged into it, the first included.
    public var occurrences: Int = 1
    public var lastSeenAt: Date? = nil
    public var reopenCount: Int = 0
    public var repeatProblem: Bool = false
    public var evidencePurged: Bool = false
    public var archived: Bool = false
    /// Bytes of evidence files of the ticket and its occurrences, for the disk budget.
    public var evidenceBytes: Int64 = 0
    /// A repeat ticket (重复工单): the earlier ticket of the same camera and rule, handled
    /// within the repeat period, whose problem this one raises again.
    public var repeatOf: Int64? = nil
    /// The title as a catalogue entry (JSON of `TicketText`), so each reader gets it in their
    /// language; nil for tickets written before titles were catalogued (`title` then).
    public var titleText: String? = nil
    /// The evidence clip: the camera's name for it (set with the alert), the file once
    /// written (relative to the data folder), its seconds, bytes, where the event is in it
    /// and how it ended (`ClipEnd`).
    public var clipName: String? = nil
    public var clipPath: String? = nil
    public var clipSeconds: Double? = nil
    public var clipBytes: Int64 = 0
    public var clipEventOffset: Double? = nil
    public var clipEnd: String? = nil
    /// The case number a platform gave the ticket when it took it (`POST /hooks/…`), and
    /// which platform (the notify destination's id).
    public var caseNumber: String? = nil
    public var casePlatform: String? = nil
    /// With a shared store: the node that raised it and the camera lease's epoch it held.
    public var nodeId: String? = nil
    public var leaseEpoch: Int64? = nil

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension TicketRecord {
    /// The title's catalogue entry; a title written before the catalogue reads as it was.
    public var titleEntry: TicketText {
        titleText.flatMap { try? JSONDecoder().decode(TicketText.self, from: Data($0.utf8)) } ?? .plain(title)
    }

    public func title(in language: Language) -> String { titleEntry.text(language) }

    static func encode(_ text: TicketText?) -> String? {
        text.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
    }
}

extension TicketRecord {
    /// The fields the closed loop decides on (`Workflow.apply`, `Supervision.escalate`).
    public var flow: TicketFlow {
        get {
            TicketFlow(state: state, category: category, severity: severity, gridId: gridId, assignee: assignee,
                       acknowledgedAt: acknowledgedAt, resolvedAt: resolvedAt, closedAt: closedAt, ackDueAt: ackDueAt, closeDueAt: closeDueAt,
                       overdue: overdue, escalations: escalations, reopenCount: reopenCount, repeatProblem: repeatProblem, updatedAt: updatedAt)
        }
        set {
            state = newValue.state
            category = newValue.category
            severity = newValue.severity
            gridId = newValue.gridId
            assignee = newValue.assignee
            acknowledgedAt = newValue.acknowledgedAt
            resolvedAt = newValue.resolvedAt
            closedAt = newValue.closedAt
            ackDueAt = newValue.ackDueAt
            closeDueAt = newValue.closeDueAt
            overdue = newValue.overdue
            escalations = newValue.escalations
            reopenCount = newValue.reopenCount
            repeatProblem = newValue.repeatProblem
            updatedAt = newValue.updatedAt
        }
    }
}

/// One more alert of the same rule while the ticket was open.
public struct OccurrenceRecord: GridwatchRecord, MutablePersistableRecord, Equatable, Identifiable {
    public static let databaseTableName = "ticket_occurrences"
    public var id: Int64?
    public var ticketId: Int64
    public var at: Date
    public var trackId: Int64?
    public var trajectory: String?
    public var snapshotPath: String?
    public var evidenceBytes: Int64 = 0
    /// The evidence clip: the camera's name for it (set with the alert), the file once
    /// written (relative to the data folder), its seconds, bytes, where the event is in it
    /// and how it ended (`ClipEnd`).
    public var clipName: String? = nil
    public var clipPath: String? = nil
    public var clipSeconds: Double? = nil
    public var clipBytes: Int64 = 0
    public var clipEventOffset: Double? = nil
    public var clipEnd: String? = nil
    /// With a shared store: the node that raised it and the camera lease's epoch it held.
    public var nodeId: String? = nil
    public var leaseEpoch: Int64? = nil

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// A person who handles a grid's tickets: its leader or one of its workers.
public struct PersonRecord: GridwatchRecord, PersistableRecord, Equatable {
    public static let databaseTableName = "people"
    public var id: String
    public var name: String
    public var gridId: String
    /// leader or worker.
    public var role: String
    public var phone: String?

    public init(id: String, name: String, gridId: String, role: String, phone: String?) {
        self.id = id
        self.name = name
        self.gridId = gridId
        self.role = role
        self.phone = phone
    }
}

public struct TicketEventRecord: GridwatchRecord, MutablePersistableRecord, Equatable, Identifiable {
    public static let databaseTableName = "ticket_events"
    public var id: Int64?
    public var ticketId: Int64
    public var at: Date
    /// Who did it: `gridwatchd` for the daemon, otherwise the caller's identity.
    public var actor: String
    /// created, transition, note, assignment, escalation ...
    public var kind: String
    public var fromState: TicketState?
    public var toState: TicketState?
    /// What the person wrote (for events before the catalogue, also what the daemon said).
    public var note: String?
    /// What the daemon said (JSON of `TicketText`): who it was dispatched to, why evidence
    /// went, a missed deadline.
    public var noteText: String? = nil

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    /// The daemon's words in `language`, then the person's note.
    public func note(in language: Language) -> String? {
        let said = noteText.flatMap { try? JSONDecoder().decode(TicketText.self, from: Data($0.utf8)) }?.text(language)
        let parts = [said, note].compactMap { $0 }.filter { !$0.isEmpty }
        return parts.isEmpty ? nil : parts.joined(separator: language == .zh ? "：" : ": ")
    }
}

extension TicketCategory: DatabaseValueConvertible {}
extension Severity: DatabaseValueConvertible {}
extension TicketState: DatabaseValueConvertible {}

extension TicketRecord: NumberedRecord {}
extension OccurrenceRecord: NumberedRecord {}
extension TicketEventRecord: NumberedRecord {}
