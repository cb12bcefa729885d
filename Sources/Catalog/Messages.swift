import Foundation

// The message ids of the daemon: what the API refuses with, the titles and history notes it
// writes on tickets, and what it says about a camera's stream. Each case is one entry of
// the catalogue; its Chinese text is in `zh.swift`, its English text in `en.swift`, and a
// language missing an entry does not compile. Values in a message (ids, names, paths) are
// its associated values; nothing at a call site is prose.

/// Why the control API refused a request: the `reason` of an error answer, in the language
/// the client's `Accept-Language` asks for, and its `code` (the case name, stable).
public enum APIMessage: Localized, Equatable {
    case noSuchEndpoint(method: String, path: String)
    case methodNotAllowed(method: String, path: String, allow: String)
    case malformedRequest(detail: String)
    case internalError
    case diskFull(directory: String?)
    case daemonStopping
    case noSuchCamera(id: String, known: [String])
    case noSuchCameraAction(verb: String)
    case badTicketID(text: String)
    case badOccurrenceID(text: String)
    case badEventID(text: String)
    case unknownParameter(name: String, known: [String])
    case badTime(parameter: String, text: String)
    case badFlag(parameter: String, text: String)
    case unknownState(text: String, known: [String])
    case unknownCategory(text: String, known: [String])
    case unknownGrouping(text: String, known: [String])
    case unknownPeriod(text: String, known: [String])
    case badFormat(text: String)
    case badLimit(text: String)
    case badOffset(text: String)
    case exportTooLarge(limit: Int)
    case noSuchTicket(id: Int64)
    case noSuchOccurrence(ticket: Int64, occurrence: Int64)
    case evidencePurged(ticket: Int64)
    case noSnapshot(ticket: Int64)
    case snapshotMissing(ticket: Int64)
    case occurrenceWithoutSnapshot(ticket: Int64, occurrence: Int64)
    case occurrenceSnapshotMissing(ticket: Int64, occurrence: Int64)
    case noClip(ticket: Int64)
    case clipMissing(ticket: Int64)
    /// With a shared store: the picture or clip is on the node that raised the alert.
    case evidenceOnNode(ticket: Int64, node: String)
    case occurrenceWithoutClip(ticket: Int64, occurrence: Int64)
    case rangeNotSatisfiable(range: String, size: Int)
    /// `action` is the API's verb, or nil for a plain note.
    case noteRequired(action: String?)
    case dispatchNeedsAssignee
    case bodyTooLarge(kib: Int)
    case bodyNotObject(example: String)
    case unknownField(example: String, field: String)
    case nullField(field: String)
    case fieldsAreText(example: String, fields: [String])
    case controlCharacter(field: String, scalar: String, offset: Int, linesAllowed: Bool)
    case notJSON(contentType: String)
    case notUTF8(charset: String)
    case queryBadEscape(parameter: String, escape: String)
    case queryNotUTF8(parameter: String)
    case queryControlCharacter(parameter: String, scalar: String)
    case callerUnknown(detail: String?)
    case noRole(actor: String)
    case notPermitted(actor: String, roles: [String], method: String, path: String)
    case mayNotActOnCategory(actor: String, category: String)
    case cameraDisabledNoPicture(camera: String)
    case cameraNotRunningNoPicture(camera: String)
    case cameraNotStreamingNoPicture(camera: String, state: String)
    case noFrameYet(camera: String)
    case backupFailed(detail: String)
    case backupVanished
    /// The closed loop's refusals (`WorkflowError`, `TicketActionError`).
    case invalidTransition(action: String, state: String, allowed: [String])
    case reasonRequired(action: String)
    case unknownAssignee(person: String, grid: String)
    case noHigherLevel(grid: String)
    case emptyNote
    case noSuchDestination(id: String, known: [String])
    case noDeadLetter(destination: String, event: Int64)
    /// `/v1/nodes` on a daemon with its own store: there are no other nodes.
    case notClustered
    /// `GET /v1/backup` with the store on PostgreSQL.
    case backupIsPostgres
    case noSuchNode(id: String, known: [String])
    /// `forget` of a node heard from within a lease's time.
    case nodeStillAlive(id: String, seconds: Int)
    /// The shared database did not answer the question about nodes and leases.
    case clusterUnavailable(detail: String)
    /// A platform's callback (`POST /hooks/{id}`) refused: `why` is missing_header,
    /// bad_timestamp, outside_tolerance or bad_signature; `detail` the header or the seconds.
    case callbackNotVerified(why: String, detail: String)
    case callbackReplayed(messageID: String)
    case unknownCallbackType(text: String, known: [String])
    case callbackBodyInvalid(example: String)
    /// The web console: no session (or it ended), or a state change without its CSRF token.
    case loginRequired
    case csrfRefused
    /// Console accounts (`/v1/console-users`).
    case consoleUserExists(name: String)
    case noSuchConsoleUser(name: String)
    case badConsoleUserName(name: String)
    case passwordTooShort(minimum: Int)
    case unknownRole(text: String, known: [String])
    case unknownLanguage(text: String)
    case adminNotLimitedToGrids
    case unknownGrid(id: String, known: [String])
    /// A camera's zones, lines and masks from the editor (`/v1/cameras/{id}/geometry`).
    case geometryInvalid(detail: String)

    /// The case name: a stable code for programs (`no_such_ticket`), whatever the language.
    public var code: String {
        let name = Mirror(reflecting: self).children.first?.label ?? String(describing: self)
        // camelCase to snake_case, an acronym one word: notUTF8 → not_utf8, badTicketID → bad_ticket_id.
        var out = ""
        var previous: Character?
        for c in name {
            if c.isUppercase, let p = previous, p.isLowercase || p.isNumber { out += "_" }
            out += c.lowercased()
            previous = c
        }
        return out
    }
}

/// What a ticket's title and the daemon's own history notes say, kept with the ticket (as
/// JSON) so each reader gets them in their language. Stored: cases and their fields are
/// renamed only with a migration.
public enum TicketText: Localized, Equatable, Codable {
    /// Which way a line was crossed, on screen.
    public enum Way: String, Sendable, Codable {
        case leftToRight, rightToLeft, topToBottom, bottomToTop
    }

    // Titles
    case cameraOffline(camera: String)
    case cameraAuthFailed(camera: String)
    case zoneEntry(zone: String, camera: String)
    case zoneExit(zone: String, camera: String)
    case crossing(line: String, way: Way?, camera: String)
    case loitering(zone: String, seconds: Int, camera: String)
    case crowding(zone: String, count: Int, camera: String)
    /// `reason`: covered, defocused, moved or frozen.
    case tamper(reason: String, camera: String)
    /// `kind`: fire or smoke; `zone` nil: the whole picture.
    case fireSmoke(kind: String, zone: String?, camera: String)
    /// A title the daemon did not write (a load test's, an old ticket's).
    case plain(String)

    // History notes
    case repeatOf(ticket: Int64)
    /// The camera-offline ticket's first note: why the stream is down.
    case streamFault(StreamText)
    case offlineAgain(since: String, fault: StreamText?)
    case recovered(seconds: Int)
    /// The tampered picture is normal again.
    case tamperCleared
    case evidenceExpired
    case evidenceOverBudget
    /// An evidence clip was kept: `seconds` long; `end` how it ended (`complete`, `capped`,
    /// `gap`, `stopped`).
    case clipKept(seconds: Int, end: String)
    case archived
    case dispatchedTo(name: String, id: String)
    /// A platform took the ticket (its callback), under its own case number.
    case dispatchedToPlatform(platform: String, caseNumber: String)
    case escalatedTo(fromGrid: String, toGrid: String, toName: String)
    case repeatProblem(reopens: Int, days: Int)
    case overdue(acknowledge: Bool, close: Bool, from: String, to: String)
}

/// Why a camera's stream is not delivering, as the camera list shows it. The English text
/// is FFmpeg's own (redacted); the Chinese says what it means and keeps FFmpeg's code.
public enum StreamText: Localized, Equatable, Codable {
    case refused(detail: String)
    case reset(detail: String)
    case unreachable(detail: String)
    case timedOut(detail: String)
    case stalled(detail: String)
    case ended
    case authFailed(detail: String)
    case notFound(detail: String)
    case forbidden(detail: String)
    case badData(detail: String)
    case noSuchFile(detail: String)
    case unusable(detail: String)
    case other(code: Int32, detail: String)
}

/// The daemon's own lines that a person acts on (logs read on call).
public enum LogText: Localized, Equatable {
    case dataDirInUse(pid: Int32?, directory: String)
    case spoolUnavailable
    case spoolFound
    case spoolKept
    case spoolLost(count: Int)
    case spoolReplayed
    case storeRecovered
    case storeFailing
    case storeStillFailing
    case noStampFont
}

/// The messages sent to messenger groups (WeCom, DingTalk): a heading per kind of change,
/// labelled lines, and how to act.
public enum NotifyText: Localized, Equatable {
    /// `type` is the notification's type (`ticket.created` …).
    case heading(type: String, ticket: Int64)
    case camera(String)
    case grid(String)
    case occurredAt(String)
    case severity(String)
    case state(String)
    /// Acknowledge by this time (not yet acknowledged).
    case acknowledgeBy(String)
    /// Handle (close) by this time.
    case deadline(String)
    case assignee(name: String, phone: String?)
    case actor(String)
    case note(String)
    case caseNumber(platform: String, number: String)
    case howToAct(ticket: Int64, state: String)
    /// A platform took the case: it reports back when it is handled.
    case platformHandles(platform: String, ticket: Int64)
}

/// A code of the API (a state, category, severity, history event, grouping, action) in words.
/// English shows the code itself: it is what commands and filters take.
public struct Term: Localized, Equatable {
    public let code: String
    public init(_ code: String) { self.code = code }
}
