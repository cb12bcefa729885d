import Analysis
import Catalog
import Foundation
import Tickets

/// The control API's version prefix. Paths are `/v1/...`.
public enum ControlAPI {
    public static let version = "v1"
    public static let defaultSocketPath = "/run/gridwatch/control.sock"

    /// JSON as the API speaks it: snake_case keys, ISO 8601 times with milliseconds.
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(formatDate(date))
        }
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let s = try c.decode(String.self)
            guard let date = parseDate(s) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an ISO 8601 time: \(s)")
            }
            return date
        }
        return d
    }

    /// RFC 3339 in `zone`, with its offset: `2026-11-30T08:00:00+08:00` (for CSV, which
    /// people open in spreadsheets). Without a zone, the process's local time (`TZ`), by the
    /// C library rather than Foundation, which would load ICU's zone data.
    public static func formatLocal(_ date: Date, zone: TimeZone? = nil) -> String {
        guard let zone else { return LocalTime.format(date, "%Y-%m-%dT%H:%M:%S%z", colonOffset: true) }
        var style = Date.ISO8601FormatStyle(timeZone: zone)
        style = style.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .colon)
        return date.formatted(style)
    }

    public static func formatDate(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    public static func parseDate(_ s: String) -> Date? {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(s))
            ?? (try? Date.ISO8601FormatStyle().parse(s))
    }
}

/// `GET /v1/health`
public struct HealthResponse: Codable, Sendable, Equatable {
    /// `ok`, or `degraded` when an enabled camera is down or the store cannot write.
    public var status: String
    public var version: String
    public var startedAt: Date
    public var camerasTotal: Int
    public var camerasStreaming: Int
    public var ticketsTotal: Int
    /// Open tickets past a deadline (the supervision list).
    public var ticketsOverdue: Int? = nil
    /// `ok`, or `failing` while ticket writes fail (they are kept and retried).
    public var store: String? = nil
    public var storeError: String? = nil
    public var storePending: Int? = nil
    /// Cameras an administrator switched off (counted in the total, never as down).
    public var camerasDisabled: Int? = nil
    /// The daemon's time zone (IANA name): tables show times in it, and dates typed in
    /// filters mean its local midnight.
    public var timezone: String? = nil

    public init(status: String, version: String, startedAt: Date, camerasTotal: Int, camerasStreaming: Int, ticketsTotal: Int) {
        self.status = status
        self.version = version
        self.startedAt = startedAt
        self.camerasTotal = camerasTotal
        self.camerasStreaming = camerasStreaming
        self.ticketsTotal = ticketsTotal
    }
}

/// A camera's record stream (main stream kept as packets for evidence, never decoded).
public struct RecordStatus: Codable, Sendable, Equatable {
    public var source: String
    public var state: String
    public var codec: String?
    public var width: Int?
    public var height: Int?
    public var packets: Int
    public var reconnects: Int
    /// Seconds of packets held, from a keyframe.
    public var bufferedSeconds: Double
    public var bufferedBytes: Int
    public var lastError: String?

    public init(source: String, state: String, codec: String?, width: Int?, height: Int?, packets: Int, reconnects: Int, bufferedSeconds: Double, bufferedBytes: Int, lastError: String?) {
        self.source = source
        self.state = state
        self.codec = codec
        self.width = width
        self.height = height
        self.packets = packets
        self.reconnects = reconnects
        self.bufferedSeconds = bufferedSeconds
        self.bufferedBytes = bufferedBytes
        self.lastError = lastError
    }
}

/// One camera's health, as `GET /v1/cameras` lists it.
public struct CameraStatus: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var gridId: String
    /// The detect stream's source with credentials removed.
    public var source: String
    /// connecting, streaming, stalled, backoff, offline, auth_failed, stopped, disabled
    public var state: String
    public var codec: String?
    public var width: Int?
    public var height: Int?
    /// Decoded frames per second with advancing timestamps, over the last 5 s.
    public var inputFps: Double
    /// Frames analysed per second, over the last 5 s.
    public var analysedFps: Double
    public var framesDecoded: Int
    public var framesAnalysed: Int
    /// Frames the analysis could not keep up with (replaced before it read them).
    public var framesDropped: Int
    /// Packets the decoder rejected as corrupt.
    public var decodeErrors: Int
    public var reconnects: Int
    public var lastFrameAt: Date?
    /// Set once the camera has been down past `offline_after`.
    public var offlineSince: Date?
    public var lastError: String?
    public var record: RecordStatus?
    /// False while an administrator has switched the camera off (it is not pulled or analysed).
    public var enabled: Bool = true
    /// Who disabled it, when and why (kept across restarts).
    public var disabledBy: String? = nil
    public var disabledAt: Date? = nil
    public var disabledReason: String? = nil
    /// Zones and tripwires configured on the camera.
    public var zones: [String]? = nil
    public var tripwires: [String]? = nil
    /// `day` (colour) or `night` (infrared), as the integrity checks see the picture; absent
    /// when they are off or have not looked yet.
    public var sceneMode: String? = nil
    /// Why the picture cannot be trusted now (covered, defocused, moved, frozen); empty when
    /// it is sound. Motion alerts are held back while it is not.
    public var tampered: [String]? = nil
    /// Decode-on-demand: `full` (every frame decoded) or `keyframes` (the scene is still:
    /// keyframes only, the packets between them watched); absent while not streaming.
    public var decodeMode: String? = nil
    /// Packets never decoded because the scene was still.
    public var framesSkipped: Int? = nil
    /// With a shared store: the node analysing the camera (nil: none holds its lease now),
    /// and the seconds since that node was granted it. Absent on a single box.
    public var node: String? = nil
    public var leaseAge: Double? = nil

    public init(id: String, name: String, gridId: String, source: String, state: String, codec: String?, width: Int?, height: Int?, inputFps: Double, analysedFps: Double, framesDecoded: Int, framesAnalysed: Int, framesDropped: Int, decodeErrors: Int, reconnects: Int, lastFrameAt: Date?, offlineSince: Date?, lastError: String?, record: RecordStatus?) {
        self.id = id
        self.name = name
        self.gridId = gridId
        self.source = source
        self.state = state
        self.codec = codec
        self.width = width
        self.height = height
        self.inputFps = inputFps
        self.analysedFps = analysedFps
        self.framesDecoded = framesDecoded
        self.framesAnalysed = framesAnalysed
        self.framesDropped = framesDropped
        self.decodeErrors = decodeErrors
        self.reconnects = reconnects
        self.lastFrameAt = lastFrameAt
        self.offlineSince = offlineSince
        self.lastError = lastError
        self.record = record
    }
}

/// A node among the daemons sharing one store (`GET /v1/nodes`).
public struct NodeStatus: Codable, Sendable, Equatable {
    public var id: String
    /// Seconds since its last heartbeat, by the database's clock.
    public var heartbeatAge: Double
    /// Alive: heard from within a lease's time.
    public var live: Bool
    /// Handing its cameras over (`gridwatchctl node drain`), taking none.
    public var draining: Bool
    /// Cameras it holds unexpired leases on.
    public var cameras: Int
    /// Its CPU use in cores at its last heartbeat.
    public var cpu: Double?
    /// The node that answered.
    public var this: Bool

    public init(id: String, heartbeatAge: Double, live: Bool, draining: Bool, cameras: Int, cpu: Double?, this: Bool) {
        self.id = id
        self.heartbeatAge = heartbeatAge
        self.live = live
        self.draining = draining
        self.cameras = cameras
        self.cpu = cpu
        self.this = this
    }
}

/// The answer to `POST /v1/nodes/{id}/drain` and `/undrain`.
public struct NodeActionResult: Codable, Sendable, Equatable {
    public var node: String
    public var draining: Bool
    public init(node: String, draining: Bool) {
        self.node = node
        self.draining = draining
    }
}

/// Answer of `POST /v1/nodes/{id}/forget`.
public struct NodeForgotten: Codable, Sendable, Equatable {
    public var node: String
    public var forgotten: Bool
    /// Leases it still named, now free.
    public var leasesFreed: Int
    public init(node: String, leasesFreed: Int) {
        self.node = node
        forgotten = true
        self.leasesFreed = leasesFreed
    }
}

public struct NodeList: Codable, Sendable, Equatable {
    public var nodes: [NodeStatus]
    public init(nodes: [NodeStatus]) { self.nodes = nodes }
}

public struct CameraList: Codable, Sendable, Equatable {
    public var cameras: [CameraStatus]
    public init(cameras: [CameraStatus]) { self.cameras = cameras }
}

/// Body of `POST /v1/cameras/{id}/enable` and `/disable` (optional).
public struct CameraActionRequest: Codable, Sendable, Equatable {
    /// Why, for the log and the camera's status (for example "maintenance until Friday").
    public var reason: String?
    public init(reason: String? = nil) { self.reason = reason }
}

/// The answer to enable and disable: the camera now, and whether anything changed.
public struct CameraActionResponse: Codable, Sendable, Equatable {
    public var camera: CameraStatus
    /// False when the camera already was in the state asked for.
    public var changed: Bool
    public init(camera: CameraStatus, changed: Bool) {
        self.camera = camera
        self.changed = changed
    }
}

/// A problem found in a configuration file.
public struct ConfigIssue: Codable, Sendable, Equatable {
    public var file: String
    public var line: Int?
    public var key: String
    public var message: String
    public init(file: String, line: Int?, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }
}

/// What a reload changes, camera by camera.
public struct ConfigChanges: Codable, Sendable, Equatable {
    /// Cameras new in the file: started.
    public var added: [String] = []
    /// Cameras gone from the file: stopped.
    public var removed: [String] = []
    /// Cameras whose stream settings changed: reconnected.
    public var restarted: [String] = []
    /// Cameras whose zones, tripwires, masks, name or grid changed: applied without reconnecting.
    public var rulesChanged: [String] = []
    /// Cameras left as they were.
    public var unchanged: [String] = []
    /// Other sections applied: grids, people, roles, tickets.
    public var sections: [String] = []
    /// Settings that take effect only when the daemon restarts (the running value is kept).
    public var restartRequired: [String] = []
    public init() {}
}

/// `GET /v1/config`, `POST /v1/config/check` and `POST /v1/reload`.
public struct ConfigReport: Codable, Sendable, Equatable {
    /// The configuration file the daemon reads.
    public var file: String
    /// Whether the file on disk is valid.
    public var valid: Bool
    /// True when this request applied the file (reload only).
    public var applied: Bool
    public var errors: [ConfigIssue]
    /// What applying the file changes (check) or changed (reload), against the running configuration.
    public var changes: ConfigChanges?
    /// When the running configuration was loaded, and by whom (start, SIGHUP, or a caller).
    public var loadedAt: Date
    public var loadedBy: String
    public var cameras: Int
    public var grids: Int
    public init(file: String, valid: Bool, applied: Bool, errors: [ConfigIssue], changes: ConfigChanges?, loadedAt: Date, loadedBy: String, cameras: Int, grids: Int) {
        self.file = file
        self.valid = valid
        self.applied = applied
        self.errors = errors
        self.changes = changes
        self.loadedAt = loadedAt
        self.loadedBy = loadedBy
        self.cameras = cameras
        self.grids = grids
    }
}

/// A ticket as lists show it.
public struct TicketSummary: Codable, Sendable, Equatable {
    public var id: Int64
    public var cameraId: String
    public var zoneId: String?
    public var tripwireId: String?
    /// What raised it: zone_enter, zone_exit, crossing, loiter, crowd, camera_offline.
    public var kind: String
    public var trackId: Int64?
    public var gridId: String
    public var category: TicketCategory
    public var severity: Severity
    public var state: TicketState
    public var title: String
    public var occurredAt: Date
    public var createdAt: Date
    public var updatedAt: Date
    public var hasSnapshot: Bool
    public var assignee: String? = nil
    public var acknowledgedAt: Date? = nil
    public var closedAt: Date? = nil
    public var ackDueAt: Date? = nil
    public var closeDueAt: Date? = nil
    /// Missed deadlines: acknowledge, close.
    public var overdue: [String]? = nil
    public var escalations: Int? = nil
    /// Alerts merged into it, the first included.
    public var occurrences: Int? = nil
    public var lastSeenAt: Date? = nil
    public var reopenCount: Int? = nil
    public var repeatProblem: Bool? = nil
    /// A repeat ticket (重复工单): the earlier ticket whose problem this one raises again.
    public var repeatOf: Int64? = nil
    public var evidencePurged: Bool? = nil
    public var archived: Bool? = nil
    /// The evidence clip, once written (`GET /v1/tickets/{id}/clip`).
    public var clip: ClipInfo? = nil
    /// The case number a platform gave it (its callback), and which platform.
    public var caseNumber: String? = nil
    public var casePlatform: String? = nil

    public init(id: Int64, cameraId: String, zoneId: String?, tripwireId: String?, kind: String, trackId: Int64?, gridId: String, category: TicketCategory, severity: Severity, state: TicketState, title: String, occurredAt: Date, createdAt: Date, updatedAt: Date, hasSnapshot: Bool) {
        self.id = id
        self.cameraId = cameraId
        self.zoneId = zoneId
        self.tripwireId = tripwireId
        self.kind = kind
        self.trackId = trackId
        self.gridId = gridId
        self.category = category
        self.severity = severity
        self.state = state
        self.title = title
        self.occurredAt = occurredAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.hasSnapshot = hasSnapshot
    }
}

public struct TicketList: Codable, Sendable, Equatable {
    public var tickets: [TicketSummary]
    /// All tickets matching the filter, not only this page.
    public var total: Int
    public init(tickets: [TicketSummary], total: Int) {
        self.tickets = tickets
        self.total = total
    }
}

/// One row of a ticket's history (the audit trail).
public struct TicketEventInfo: Codable, Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var actor: String
    public var kind: String
    public var fromState: TicketState?
    public var toState: TicketState?
    public var note: String?

    public init(id: Int64, at: Date, actor: String, kind: String, fromState: TicketState?, toState: TicketState?, note: String?) {
        self.id = id
        self.at = at
        self.actor = actor
        self.kind = kind
        self.fromState = fromState
        self.toState = toState
        self.note = note
    }
}

/// One more alert merged into a ticket.
/// `GET /v1/tickets/{id}/occurrences`: every alert merged into a ticket, oldest first.
public struct OccurrenceList: Codable, Sendable, Equatable {
    public var ticketId: Int64
    public var occurrences: [OccurrenceInfo]
    public init(ticketId: Int64, occurrences: [OccurrenceInfo]) {
        self.ticketId = ticketId
        self.occurrences = occurrences
    }
}

/// An evidence clip: how long, how big, where the event is in it, how it ended
/// (`complete`, `capped`, `gap`: the camera's stream broke off, `stopped`: the daemon stopped).
public struct ClipInfo: Codable, Sendable, Equatable {
    public var seconds: Double
    public var bytes: Int64
    public var eventOffset: Double
    public var end: String
    public init(seconds: Double, bytes: Int64, eventOffset: Double, end: String) {
        self.seconds = seconds
        self.bytes = bytes
        self.eventOffset = eventOffset
        self.end = end
    }
}

public struct OccurrenceInfo: Codable, Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var trackId: Int64?
    public var hasSnapshot: Bool
    /// Its evidence clip, once written.
    public var clip: ClipInfo? = nil
    public init(id: Int64, at: Date, trackId: Int64?, hasSnapshot: Bool) {
        self.id = id
        self.at = at
        self.trackId = trackId
        self.hasSnapshot = hasSnapshot
    }
}

/// `GET /v1/tickets/{id}`
public struct TicketDetail: Codable, Sendable, Equatable {
    public var ticket: TicketSummary
    public var events: [TicketEventInfo]
    /// The object's path up to the event: normalized foot points with stream seconds.
    public var trajectory: [TrajectoryPoint]
    public var occurrences: [OccurrenceInfo]? = nil
    /// What may be done next, for clients to offer.
    public var allowedActions: [TicketAction]? = nil
    public init(ticket: TicketSummary, events: [TicketEventInfo], trajectory: [TrajectoryPoint]) {
        self.ticket = ticket
        self.events = events
        self.trajectory = trajectory
    }
}

/// Body of `POST /v1/tickets/{id}/{action}` and `POST /v1/tickets/{id}/notes`.
public struct ActionRequest: Codable, Sendable, Equatable {
    public var note: String?
    /// For dispatch: the id of a leader or worker of the ticket's grid.
    public var assignee: String?
    public init(note: String? = nil, assignee: String? = nil) {
        self.note = note
        self.assignee = assignee
    }
}

/// `GET /v1/stats`
public struct StatsResponse: Codable, Sendable, Equatable {
    public var since: Date
    public var until: Date
    public var by: StatsGrouping
    public var groups: [TicketStats]
    public var total: TicketStats
    public init(since: Date, until: Date, by: StatsGrouping, groups: [TicketStats], total: TicketStats) {
        self.since = since
        self.until = until
        self.by = by
        self.groups = groups
        self.total = total
    }
}

/// A grid leader or worker (`GET /v1/people`).
public struct PersonInfo: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var gridId: String
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

public struct PeopleList: Codable, Sendable, Equatable {
    public var people: [PersonInfo]
    public init(people: [PersonInfo]) { self.people = people }
}

/// Every error answer: `{"error": {"status": 404, "reason": "...", "code": "no_such_ticket"}}`.
/// `reason` is in the language the request's `Accept-Language` asked for; `code` names the
/// reason whatever the language.
public struct ErrorResponse: Codable, Sendable, Equatable {
    public struct Body: Codable, Sendable, Equatable {
        public var status: Int
        public var reason: String
        public var code: String?
    }
    public var error: Body
    public init(status: Int, reason: String, code: String? = nil) {
        error = Body(status: status, reason: reason, code: code)
    }
}

/// One change on `GET /v1/events` (Server-Sent Events): the `data` of an event whose
/// `event` is `ticket` or `camera` and whose `id` is `id`.
public struct LiveEvent: Codable, Sendable, Equatable {
    public var id: Int64
    /// `ticket` or `camera`.
    public var type: String
    public var at: Date
    /// For tickets: created, occurrence, an action's name, note, escalation, offline_again, recovered.
    public var change: String?
    public var actor: String?
    public var ticket: TicketSummary?
    public var cameraId: String?
    /// For cameras: the state now and before.
    public var state: String?
    public var previousState: String?

    public init(id: Int64, type: String, at: Date, change: String? = nil, actor: String? = nil, ticket: TicketSummary? = nil,
                cameraId: String? = nil, state: String? = nil, previousState: String? = nil) {
        self.id = id
        self.type = type
        self.at = at
        self.change = change
        self.actor = actor
        self.ticket = ticket
        self.cameraId = cameraId
        self.state = state
        self.previousState = previousState
    }
}

// MARK: - Notifications

/// The body of a webhook (`notify:` type `webhook`; an `exec` program gets it on standard
/// input): `{type, timestamp, data}` as Standard Webhooks suggests.
public struct WebhookMessage: Codable, Sendable, Equatable {
    /// `ticket.created`, `ticket.dispatched` … (`Docs/ref/notify.md`).
    public var type: String
    /// When the change happened.
    public var timestamp: Date
    public var data: WebhookData

    public init(type: String, timestamp: Date, data: WebhookData) {
        self.type = type
        self.timestamp = timestamp
        self.data = data
    }
}

public struct WebhookData: Codable, Sendable, Equatable {
    /// The message's stable id, also in the `webhook-id` header: the same on every retry.
    public var messageId: String
    /// The ticket's own count of the changes sent out, from 1: retries can reorder
    /// deliveries, so a receiver keeps the highest it has seen.
    public var sequence: Int64
    /// The ticket as `GET /v1/tickets/{id}` shows it, right after the change.
    public var ticket: TicketSummary
    /// The change, as the ticket's history has it.
    public var change: WebhookChange
    /// The ticket's snapshot: where to fetch it, or the picture itself (`attach: snapshot`).
    public var snapshot: WebhookSnapshot?

    public init(messageId: String, sequence: Int64, ticket: TicketSummary, change: WebhookChange, snapshot: WebhookSnapshot? = nil) {
        self.messageId = messageId
        self.sequence = sequence
        self.ticket = ticket
        self.change = change
        self.snapshot = snapshot
    }
}

public struct WebhookChange: Codable, Sendable, Equatable {
    public var at: Date
    public var actor: String
    /// The history's kind: created, occurrence, an action's name, note, escalation …
    public var kind: String
    public var fromState: TicketState?
    public var toState: TicketState?
    /// What a person wrote.
    public var note: String?
    /// What the daemon said, in Chinese and English.
    public var text: String?

    public init(at: Date, actor: String, kind: String, fromState: TicketState? = nil, toState: TicketState? = nil, note: String? = nil, text: String? = nil) {
        self.at = at
        self.actor = actor
        self.kind = kind
        self.fromState = fromState
        self.toState = toState
        self.note = note
        self.text = text
    }
}

public struct WebhookSnapshot: Codable, Sendable, Equatable {
    /// The control API's path of the picture (no host: the receiver knows where it reaches us).
    public var ref: String
    public var bytes: Int64
    public var contentType: String
    /// The JPEG in base64, when asked for and within the destination's cap.
    public var base64: String?

    public init(ref: String, bytes: Int64, contentType: String = "image/jpeg", base64: String? = nil) {
        self.ref = ref
        self.bytes = bytes
        self.contentType = contentType
        self.base64 = base64
    }
}

/// What a platform posts to `POST /hooks/{destination}`, signed as Standard Webhooks says.
public struct PlatformCallback: Codable, Sendable, Equatable {
    /// `case.dispatched`, `case.resolved` or `case.closed`.
    public var type: String
    public var data: PlatformCallbackData

    public init(type: String, data: PlatformCallbackData) {
        self.type = type
        self.data = data
    }
}

public struct PlatformCallbackData: Codable, Sendable, Equatable {
    public var ticketId: Int64
    /// The platform's own number for the case.
    public var caseNumber: String?
    public var note: String?

    public init(ticketId: Int64, caseNumber: String? = nil, note: String? = nil) {
        self.ticketId = ticketId
        self.caseNumber = caseNumber
        self.note = note
    }
}

/// `GET /v1/notify`: each destination's queue.
public struct NotifyStatusList: Codable, Sendable, Equatable {
    public var destinations: [NotifyDestinationStatus]
    public init(destinations: [NotifyDestinationStatus]) {
        self.destinations = destinations
    }
}

public struct NotifyDestinationStatus: Codable, Sendable, Equatable {
    public var id: String
    /// webhook, wecom, dingtalk or exec.
    public var type: String
    /// Where it posts (keys hidden), or the program it runs.
    public var target: String
    /// Changes waiting to go (due now or waiting for a retry).
    public var pending: Int
    public var due: Int
    public var delivered: Int
    public var deadLetters: Int
    public var oldestPendingAt: Date?
    public var lastSuccessAt: Date?
    public var lastError: String?
    public var lastErrorAt: Date?
    /// Switched off by the receiver (410) until `POST /v1/notify/{id}/enable`.
    public var disabled: Bool
    public var disabledReason: String?
    /// The receiver asked us to wait (`Retry-After`) until then.
    public var pausedUntil: Date?
    /// The oldest dead letters (at most 20).
    public var dead: [DeadLetterInfo]

    public init(id: String, type: String, target: String, pending: Int, due: Int, delivered: Int, deadLetters: Int, disabled: Bool, dead: [DeadLetterInfo]) {
        self.id = id
        self.type = type
        self.target = target
        self.pending = pending
        self.due = due
        self.delivered = delivered
        self.deadLetters = deadLetters
        self.disabled = disabled
        self.dead = dead
    }
}

public struct DeadLetterInfo: Codable, Sendable, Equatable {
    public var eventId: Int64
    public var messageId: String
    public var ticketId: Int64
    public var sequence: Int64
    public var type: String
    public var at: Date
    public var attempts: Int
    public var lastError: String?

    public init(eventId: Int64, messageId: String, ticketId: Int64, sequence: Int64, type: String, at: Date, attempts: Int, lastError: String?) {
        self.eventId = eventId
        self.messageId = messageId
        self.ticketId = ticketId
        self.sequence = sequence
        self.type = type
        self.at = at
        self.attempts = attempts
        self.lastError = lastError
    }
}

/// Body of `POST /v1/notify/{id}/retry` and `/drop`: one dead letter, or all of them.
public struct DeadLetterRequest: Codable, Sendable, Equatable {
    public var eventId: Int64?
    enum CodingKeys: String, CodingKey { case eventId = "event_id" }
    public init(eventId: Int64? = nil) {
        self.eventId = eventId
    }
}

/// Answer of `retry`, `drop` and `enable`.
public struct NotifyActionResult: Codable, Sendable, Equatable {
    public var destination: String
    public var count: Int
    public init(destination: String, count: Int) {
        self.destination = destination
        self.count = count
    }
}

/// A web console account (`GET /v1/console-users`); never its password or hash.
public struct ConsoleUserInfo: Codable, Sendable, Equatable {
    public var name: String
    public var role: Role
    /// The grids the user sees (with those below them); empty: all.
    public var grids: [String]
    /// zh or en.
    public var language: String
    public var disabled: Bool
    public var disabledAt: Date?
    public var createdAt: Date
    public var lastLoginAt: Date?
    public init(name: String, role: Role, grids: [String], language: String, disabled: Bool, disabledAt: Date?, createdAt: Date, lastLoginAt: Date?) {
        self.name = name
        self.role = role
        self.grids = grids
        self.language = language
        self.disabled = disabled
        self.disabledAt = disabledAt
        self.createdAt = createdAt
        self.lastLoginAt = lastLoginAt
    }
}

public struct ConsoleUserList: Codable, Sendable, Equatable {
    public var users: [ConsoleUserInfo]
    public init(users: [ConsoleUserInfo]) { self.users = users }
}

/// Body of `POST /v1/console-users` (a new account) and of
/// `POST /v1/console-users/{name}/password` (only `password`).
public struct ConsoleUserRequest: Codable, Sendable, Equatable {
    public var name: String?
    public var role: String?
    public var grids: [String]?
    public var language: String?
    public var password: String?
    public init(name: String? = nil, role: String? = nil, grids: [String]? = nil, language: String? = nil, password: String? = nil) {
        self.name = name
        self.role = role
        self.grids = grids
        self.language = language
        self.password = password
    }
}

/// A camera's zones, tripwires and masks as the console's editor draws them
/// (`GET`/`PUT /v1/cameras/{id}/geometry`); points are normalized [x, y] in 0...1.
public struct CameraGeometry: Codable, Sendable, Equatable {
    public struct Zone: Codable, Sendable, Equatable {
        public var id: String
        public var name: String?
        public var polygon: [[Double]]
        public init(id: String, name: String?, polygon: [[Double]]) {
            self.id = id
            self.name = name
            self.polygon = polygon
        }
    }

    public struct Tripwire: Codable, Sendable, Equatable {
        public var id: String
        public var name: String?
        public var a: [Double]
        public var b: [Double]
        /// a_to_b, b_to_a or both.
        public var direction: String
        public init(id: String, name: String?, a: [Double], b: [Double], direction: String) {
            self.id = id
            self.name = name
            self.a = a
            self.b = b
            self.direction = direction
        }
    }

    public struct Masks: Codable, Sendable, Equatable {
        public var motion: [[[Double]]]
        public var privacy: [[[Double]]]
        public init(motion: [[[Double]]] = [], privacy: [[[Double]]] = []) {
            self.motion = motion
            self.privacy = privacy
        }
    }

    public var zones: [Zone]
    public var tripwires: [Tripwire]
    public var masks: Masks
    /// Where the camera's shapes come from: the geometry file (written by the editor) or
    /// the main configuration file.
    public var file: String?

    public init(zones: [Zone], tripwires: [Tripwire], masks: Masks, file: String? = nil) {
        self.zones = zones
        self.tripwires = tripwires
        self.masks = masks
        self.file = file
    }
}
