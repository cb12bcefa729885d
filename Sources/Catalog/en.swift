// The English catalogue: every message of Gridwatch in English. Codes (states, categories,
// actions) stay codes: they are what commands and filters take.

extension APIMessage {
    public var en: String {
        switch self {
        case let .noSuchEndpoint(method, path): "no such endpoint: \(method) \(path)"
        case let .methodNotAllowed(method, path, allow): "\(path) does not take \(method); it takes \(allow)"
        case let .malformedRequest(detail): "malformed request: \(detail)"
        case .internalError: "internal error"
        case let .diskFull(directory):
            "disk full: no space left in \(directory.map { "the data folder \($0)" } ?? "the data folder"); nothing can be written until space is freed"
        case .daemonStopping: "the daemon is stopping"
        case let .noSuchCamera(id, known): "no such camera '\(id)' (known: \(known.joined(separator: ", ")))"
        case let .noSuchCameraAction(verb): "no such camera action '\(verb)' (one of: enable, disable)"
        case let .badTicketID(text): "ticket id must be a positive whole number in plain digits (like 42), got '\(text)'"
        case let .badOccurrenceID(text): "occurrence id must be a positive whole number in plain digits, got '\(text)'"
        case let .badEventID(text): "Last-Event-ID must be a whole number in plain digits, got '\(text)'"
        case let .unknownParameter(name, known):
            "unknown parameter '\(name)' (\(known.isEmpty ? "this endpoint takes none" : "known: " + known.joined(separator: ", ")))"
        case let .badTime(parameter, text): "\(parameter) must be an RFC 3339 time (2026-11-23T08:00:00+08:00) or a date (YYYY-MM-DD), got '\(text)'"
        case let .badFlag(parameter, text): "\(parameter) must be true or false, got '\(text)'"
        case let .unknownState(text, known): "unknown state '\(text)' (one of: \(known.joined(separator: ", ")))"
        case let .unknownCategory(text, known): "unknown category '\(text)' (one of: \(known.joined(separator: ", ")))"
        case let .unknownGrouping(text, known): "by must be one of: \(known.joined(separator: ", ")), got '\(text)'"
        case let .unknownPeriod(text, known): "period must be one of: \(known.joined(separator: ", ")), got '\(text)'"
        case let .badFormat(text): "format must be json or csv, got '\(text)'"
        case let .badLimit(text): "limit must be 1...1000, got '\(text)'"
        case let .badOffset(text): "offset must be 0 or more, got '\(text)'"
        case let .exportTooLarge(limit): "more than \(limit) tickets match: narrow the export with since/until"
        case let .noSuchTicket(id): "no ticket \(id)"
        case let .noSuchOccurrence(ticket, occurrence): "ticket \(ticket) has no occurrence \(occurrence)"
        case let .evidencePurged(ticket): "evidence of ticket \(ticket) was purged"
        case let .noSnapshot(ticket): "ticket \(ticket) has no snapshot"
        case let .snapshotMissing(ticket): "snapshot of ticket \(ticket) is missing on disk"
        case let .occurrenceWithoutSnapshot(ticket, occurrence):
            "occurrence \(occurrence) of ticket \(ticket) kept no snapshot (repeat alerts keep one only when they add something)"
        case let .occurrenceSnapshotMissing(ticket, occurrence): "snapshot of occurrence \(occurrence) of ticket \(ticket) is missing on disk"
        case let .noteRequired(action): "\(action.map { "\($0) needs a reason" } ?? "a note needs some text"): give a non-blank \"note\""
        case .dispatchNeedsAssignee: "dispatch needs an \"assignee\": a leader or worker of the ticket's grid"
        case let .bodyTooLarge(kib): "body over \(kib) KiB"
        case let .bodyNotObject(example): "body must be JSON like \(example): not a JSON object"
        case let .unknownField(example, field): "body must be JSON like \(example): unknown field '\(field)'"
        case let .nullField(field): "\(field) must be text, not null (leave it out instead)"
        case let .fieldsAreText(example, fields): "body must be JSON like \(example): \(fields.joined(separator: " and ")) \(fields.count == 1 ? "is" : "are") text"
        case let .controlCharacter(field, scalar, offset, linesAllowed):
            "\(field) contains a control character (\(scalar) at position \(offset)): \(linesAllowed ? "only line breaks and tabs are allowed" : "no line breaks, tabs or other control characters are allowed")"
        case let .notJSON(contentType): "request body must be application/json, got '\(contentType)'"
        case let .notUTF8(charset): "request body must be application/json in UTF-8, got charset '\(charset)'"
        case let .queryBadEscape(parameter, escape): "query parameter '\(parameter)' is malformed: '\(escape)' is not a percent-encoded byte (% and two hex digits)"
        case let .queryNotUTF8(parameter): "query parameter '\(parameter)' is malformed: its escapes do not decode to UTF-8 text"
        case let .queryControlCharacter(parameter, scalar): "query parameter '\(parameter)' is malformed: it contains a control character (\(scalar))"
        case let .callerUnknown(detail): "caller identity unavailable\(detail.map { ": \($0)" } ?? "")"
        case let .noRole(actor): "\(actor) has no role here: ask the administrator to add you to a group configured under daemon.roles"
        case let .notPermitted(actor, roles, method, path): "\(actor) (\(roles.joined(separator: ", "))) may not \(method) \(path)"
        case let .mayNotActOnCategory(actor, category): "\(actor) may read but not act on \(category) tickets"
        case let .cameraDisabledNoPicture(camera): "camera \(camera) is disabled: no current picture"
        case let .cameraNotRunningNoPicture(camera): "camera \(camera) is not running: no current picture"
        case let .cameraNotStreamingNoPicture(camera, state): "camera \(camera) is \(state): no current picture"
        case let .noFrameYet(camera): "camera \(camera) has not analysed a frame yet; try again in a moment"
        case let .backupFailed(detail): "backup failed: \(detail)"
        case .backupVanished: "backup file vanished"
        case let .invalidTransition(action, state, allowed):
            "cannot \(action) a ticket that is \(state) (allowed: \(allowed.isEmpty ? "none" : allowed.joined(separator: ", ")))"
        case let .reasonRequired(action): "\(action) needs a reason (note)"
        case let .unknownAssignee(person, grid): "'\(person)' is not a leader or worker of grid '\(grid)'"
        case let .noHigherLevel(grid): "grid '\(grid)' has no higher level to escalate to"
        case .emptyNote: "a note needs some text"
        }
    }
}

extension TicketText.Way {
    var en: String {
        switch self {
        case .leftToRight: "left to right"
        case .rightToLeft: "right to left"
        case .topToBottom: "top to bottom"
        case .bottomToTop: "bottom to top"
        }
    }
}

extension TicketText {
    public var en: String {
        switch self {
        case let .cameraOffline(camera): "Camera offline: \(camera)"
        case let .cameraAuthFailed(camera): "Camera authentication failed: \(camera)"
        case let .zoneEntry(zone, camera): "Zone entry: \(zone) @ \(camera)"
        case let .zoneExit(zone, camera): "Zone exit: \(zone) @ \(camera)"
        case let .crossing(line, way, camera): "Line crossed\(way.map { " \($0.en)" } ?? ""): \(line) @ \(camera)"
        case let .loitering(zone, seconds, camera): "Loitering \(seconds) s: \(zone) @ \(camera)"
        case let .crowding(zone, count, camera): "Crowding (\(count)): \(zone) @ \(camera)"
        case let .plain(text): text
        case let .repeatOf(ticket): "raised again after ticket \(ticket) was handled: repeat ticket"
        case let .streamFault(fault): fault.en
        case let .offlineAgain(since, fault): "offline again since \(since)\(fault.map { " (\($0.en))" } ?? "")"
        case let .recovered(seconds): "recovered after \(seconds) s"
        case .evidenceExpired: "evidence older than the retention period deleted"
        case .evidenceOverBudget: "evidence deleted to stay within the disk budget"
        case .archived: "archived"
        case let .dispatchedTo(name, id): "to \(name) (\(id))"
        case let .escalatedTo(fromGrid, toGrid, toName): "from grid \(fromGrid) to \(toGrid) (\(toName))"
        case let .repeatProblem(reopens, days): "reopened \(reopens) times in \(days) days: repeat problem"
        case let .overdue(acknowledge, close, from, to):
            ([acknowledge ? "not acknowledged in time" : nil, close ? "not closed in time" : nil].compactMap { $0 }.joined(separator: "; "))
                + "; severity \(from) → \(to)"
        }
    }
}

extension StreamText {
    public var en: String {
        switch self {
        case let .refused(detail), let .reset(detail), let .unreachable(detail), let .timedOut(detail), let .stalled(detail), let .notFound(detail),
             let .forbidden(detail), let .badData(detail), let .noSuchFile(detail), let .unusable(detail), let .other(_, detail):
            detail
        case .ended: "stream ended"
        case let .authFailed(detail): "authentication failed (\(detail))"
        }
    }
}

extension LogText {
    public var en: String {
        switch self {
        case let .dataDirInUse(pid, directory):
            "another gridwatchd (PID \(pid.map(String.init) ?? "unknown")) is using the data folder \(directory); stop it first"
        case .spoolUnavailable: "alert spool unavailable: alerts the store cannot take are kept in memory only"
        case .spoolFound: "alerts found in the spool"
        case .spoolKept: "tickets not written at shutdown: kept in the spool, written at the next start"
        case let .spoolLost(count): "tickets not written at shutdown: \(count) alerts lost"
        case .spoolReplayed: "alerts replayed from the spool"
        case .storeRecovered: "ticket writes recovered"
        case .storeFailing: "ticket writes failing: alerts kept and retried"
        case .storeStillFailing: "ticket writes still failing"
        case .noStampFont: "no font with Chinese for the snapshot stamp: snapshots carry no camera name or time; install fonts-wqy-microhei"
        }
    }
}

extension Term {
    public var en: String { code }
}

// MARK: - gridwatchctl
