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
        case let .noClip(ticket): "ticket \(ticket) has no clip (a clip is written about ten seconds after the alert; none while a camera has just connected or with clips off)"
        case let .clipMissing(ticket): "clip of ticket \(ticket) is missing on disk"
        case let .occurrenceWithoutClip(ticket, occurrence): "occurrence \(occurrence) of ticket \(ticket) has no clip (a ticket keeps a few clips at most)"
        case let .rangeNotSatisfiable(range, size): "byte range \(range) is beyond the file (\(size) bytes)"
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
        case let .noSuchDestination(id, known): "no notify destination '\(id)' (known: \(known.isEmpty ? "none; add them under notify: in the configuration" : known.joined(separator: ", ")))"
        case let .noDeadLetter(destination, event): "destination \(destination) has no dead letter \(event)"
        case let .callbackNotVerified(why, detail):
            switch why {
            case "missing_header": "the callback has no \(detail) header (sign it as Standard Webhooks says)"
            case "bad_timestamp": "the callback's webhook-timestamp is not Unix seconds"
            case "outside_tolerance": "the callback's timestamp is \(detail) s away from this machine's clock, more than the 300 s allowed (check both clocks, or this is an old message replayed)"
            default: "the callback's signature is wrong (check that both sides have the same secret)"
            }
        case let .callbackReplayed(messageID): "callback \(messageID) was received and applied before; not applied again"
        case .loginRequired: "log in to the console first (no session, or it has ended)"
        case .csrfRefused: "the request lacks a valid anti-forgery token (form field csrf or header X-CSRF-Token); reload the page and try again"
        case let .consoleUserExists(name): "console user '\(name)' already exists"
        case let .noSuchConsoleUser(name): "no console user '\(name)'"
        case let .badConsoleUserName(name): "user name '\(name)' is not valid: ASCII letters, digits, Chinese characters and . _ - @ only, at most 64 characters"
        case let .passwordTooShort(minimum): "the password needs at least \(minimum) characters"
        case let .unknownRole(text, known): "no role '\(text)' (known: \(known.joined(separator: ", ")))"
        case let .unknownLanguage(text): "language is zh or en, got '\(text)'"
        case .adminNotLimitedToGrids: "an admin manages the whole daemon (backups, configuration, accounts) and cannot be limited to grids; use viewer, operator or corrections"
        case let .unknownGrid(id, known): "no grid '\(id)' (known: \(known.joined(separator: ", ")))"
        case let .geometryInvalid(detail): "the zones and lines are not valid: \(detail)"
        case let .unknownCallbackType(text, known): "unknown callback type '\(text)' (known: \(known.joined(separator: ", ")))"
        case let .callbackBodyInvalid(example): "the callback's body should be JSON such as \(example)"
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
        case let .tamper(reason, camera):
            switch reason {
            case "covered": "Camera covered: \(camera)"
            case "defocused": "Camera out of focus: \(camera)"
            case "moved": "Camera turned away: \(camera)"
            case "frozen": "Camera picture frozen: \(camera)"
            default: "Camera picture unusable: \(camera)"
            }
        case let .fireSmoke(kind, zone, camera):
            "\(kind == "fire" ? "Fire" : "Smoke") seen: \(zone.map { "\($0) @ " } ?? "")\(camera)"
        case .tamperCleared: "the picture is normal again"
        case let .plain(text): text
        case let .repeatOf(ticket): "raised again after ticket \(ticket) was handled: repeat ticket"
        case let .streamFault(fault): fault.en
        case let .offlineAgain(since, fault): "offline again since \(since)\(fault.map { " (\($0.en))" } ?? "")"
        case let .recovered(seconds): "recovered after \(seconds) s"
        case .evidenceExpired: "evidence older than the retention period deleted"
        case .evidenceOverBudget: "evidence deleted to stay within the disk budget"
        case let .clipKept(seconds, end):
            switch end {
            case "gap": "\(seconds) s clip kept (the camera's stream broke off: the clip ends at the gap)"
            case "stopped": "\(seconds) s clip kept (the daemon stopped: the clip ends early)"
            case "capped": "\(seconds) s clip kept (the longest clip reached)"
            default: "\(seconds) s clip kept"
            }
        case .archived: "archived"
        case let .dispatchedToPlatform(platform, caseNumber): "dispatched by platform \(platform)\(caseNumber.isEmpty ? "" : ", case \(caseNumber)")"
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

extension NotifyText {
    public var en: String {
        switch self {
        case let .heading(type, ticket): "[\(Self.enHeading(type))] ticket #\(ticket)"
        case let .camera(name): "Camera: \(name)"
        case let .grid(name): "Grid: \(name)"
        case let .occurredAt(time): "Occurred: \(time)"
        case let .severity(level): "Severity: \(level)"
        case let .state(state): "State: \(state)"
        case let .acknowledgeBy(time): "Acknowledge by: \(time)"
        case let .deadline(time): "Deadline: \(time)"
        case let .assignee(name, phone): "Dispatched to: \(name)\(phone.map { " (\($0))" } ?? "")"
        case let .actor(who): "By: \(who)"
        case let .note(text): "Note: \(text)"
        case let .caseNumber(platform, number): "Platform case: \(number) (\(platform))"
        case let .howToAct(ticket, state):
            switch state {
            case "new", "reopened": "Acknowledge it: gridwatchctl ack \(ticket)"
            case "acknowledged", "dispatched": "Go and handle it, then: gridwatchctl resolve \(ticket) --note WHAT-WAS-DONE"
            case "in_progress": "When handled: gridwatchctl resolve \(ticket) --note WHAT-WAS-DONE"
            case "resolved": "Check the result: gridwatchctl verify \(ticket)"
            case "verified": "Checked; close it: gridwatchctl close \(ticket)"
            default: "Details: gridwatchctl ticket \(ticket)"
            }
        case let .platformHandles(platform, ticket): "Taken by platform \(platform), which reports back when handled; details: gridwatchctl ticket \(ticket)"
        }
    }

    static func enHeading(_ type: String) -> String {
        switch type {
            case "ticket.created": "New ticket"
            case "ticket.occurred": "Alert again"
            case "ticket.acknowledged": "Ticket acknowledged"
            case "ticket.dispatched": "Ticket dispatched"
            case "ticket.escalated": "Ticket escalated"
            case "ticket.started": "Ticket in progress"
            case "ticket.resolved": "Ticket resolved"
            case "ticket.verified": "Ticket verified"
            case "ticket.closed": "Ticket closed"
            case "ticket.false_alarm": "Ticket marked false alarm"
            case "ticket.reopened": "Ticket reopened"
            case "ticket.overdue": "Ticket overdue"
            case "ticket.note": "Note on ticket"
            default: "Ticket updated"
            }
    }
}

extension Term {
    public var en: String { code }
}

// MARK: - gridwatchctl

extension CtlText {
    public var en: String {
        switch self {
        // Commands
        case .rootAbstract: "Talk to gridwatchd over its control socket."
        case .healthAbstract: "Daemon health."
        case .camerasAbstract: "Cameras and their state."
        case .showCameraAbstract: "One camera and its state."
        case .cameraSnapshotAbstract: "Save a camera's current picture (JPEG, privacy masks black)."
        case .enableAbstract: "Switch a camera back on (administrators)."
        case .disableAbstract: "Switch a camera off (administrators): not pulled, not analysed, no offline tickets; stays off across restarts."
        case .showConfigAbstract: "The running configuration: file, when and by whom it was loaded (administrators)."
        case .checkConfigAbstract: "Validate the daemon's configuration file and say what a reload would change (administrators)."
        case .reloadAbstract: "Reload the configuration file (administrators); a bad file changes nothing."
        case .backupAbstract:
            "Back up the ticket store while the daemon runs (SQLite online backup; administrators). Snapshots are plain files: copy them separately."
        case .ticketsAbstract: "List tickets, newest first."
        case .showTicketAbstract: "One ticket with its history."
        case .snapshotAbstract: "Save a ticket's snapshot (JPEG)."
        case .clipAbstract: "Save a ticket's clip (MP4, the seconds before and after the alert)."
        case .notifyAbstract: "Notifications: each destination's queue (platform, WeCom/DingTalk group, script) and dead letters."
        case .notifyListAbstract: "Each destination's pending count, last success, last error and dead letters."
        case .notifyRetryAbstract: "Put dead letters back in the queue (all of them without an id)."
        case .notifyDropAbstract: "Give dead letters up (all of them without an id)."
        case .notifyEnableAbstract: "Switch on a destination its receiver switched off with 410."
        case .consoleUserAbstract: "Web console users: add, list, disable, change passwords (admin)."
        case .consoleUserListAbstract: "List console users with their role, grids and last login."
        case .consoleUserAddAbstract: "Add a console user; the password is read from standard input (asked twice on a terminal)."
        case .consoleUserPasswdAbstract: "Set a console user's password (read from standard input); their sessions end."
        case .consoleUserDisableAbstract: "Disable a console user; their sessions end at once."
        case .consoleUserEnableAbstract: "Enable a console user again."
        case .consoleUserNameHelp: "User name (ASCII letters, digits, Chinese characters and . _ - @)"
        case let .consoleRoleHelp(roles): "Role: \(roles.joined(separator: ", "))"
        case .consoleGridHelp: "Sees only this grid and the grids below it (repeatable; none: every grid)"
        case .consoleLanguageHelp: "Language of the pages: zh (default) or en"
        case .consoleUserHeader: "NAME\tROLE\tGRIDS\tLANGUAGE\tSTATE\tLAST LOGIN"
        case let .consoleUserDone(verb, name): "console user \(name): \(["add": "added", "passwd": "password changed, sessions ended", "disable": "disabled", "enable": "enabled"][verb] ?? verb)"
        case .noConsoleUsers: "No console users yet (gridwatchctl console-user add NAME --role operator)"
        case .passwordPrompt: "Password: "
        case .passwordAgainPrompt: "Again: "
        case .passwordsDiffer: "the passwords differ"
        case .passwordNeeded: "no password on standard input"
        case .destinationIDHelp: "the destination's id (notify: in the configuration)"
        case .deadLetterIDHelp: "the dead letter's event_id (gridwatchctl notify lists them)"
        case .notifyHeader: "DESTINATION\tTYPE\tTARGET\tPENDING\tDUE\tDELIVERED\tDEAD\tLAST SUCCESS\tOLDEST PENDING"
        case let .notifyDisabledLine(destination, reason): "\(destination): switched off (\(reason)); once fixed: gridwatchctl notify enable \(destination)"
        case let .notifyPausedLine(destination, until): "\(destination): the receiver asked us to wait until \(until)"
        case let .notifyErrorLine(destination, at, error): "\(destination): last error (\(at)): \(error)"
        case let .deadLetterLine(destination, event, ticket, sequence, type, attempts, error):
            "\(destination) dead letter \(event): ticket #\(ticket) change \(sequence) \(type), \(attempts) attempts, \(error)"
        case let .notifyDone(verb, destination, count):
            "\(destination): \(verb == "retry" ? "\(count) dead letters queued again" : verb == "drop" ? "\(count) dead letters given up" : (count > 0 ? "switched on" : "was on already"))"
        case .noDestinations: "no notify destinations configured (notify: in the configuration file)"
        case .mp4OutputHelp: "Where to write the MP4."
        case .fieldClip: "clip"
        case .fieldCase: "platform case"
        case let .clipAvailable(ticket, seconds, end):
            "\(seconds) s" + (end == "gap" ? " (ends where the camera's stream broke off)" : end == "stopped" ? " (ended early: the daemon stopped)" : "")
                + " (gridwatchctl clip \(ticket) -o FILE)"
        case .acknowledgeAbstract: "Acknowledge a new ticket."
        case .dispatchAbstract: "Dispatch to a leader or worker of the ticket's grid."
        case .escalateAbstract: "Hand the ticket to the grid one level up."
        case .startAbstract: "Handling has started."
        case .resolveAbstract: "Handled, with what was done (a note is required)."
        case .verifyAbstract: "Checked that it was handled."
        case .closeAbstract: "Close a verified ticket."
        case .falseAlarmAbstract: "Mark a new or acknowledged ticket a false alarm, with the reason."
        case .reopenAbstract: "Reopen a resolved, verified or closed ticket, with the reason."
        case .noteAbstract: "Add a note to a ticket's history."
        case .supervisionAbstract: "Open tickets past a deadline (the supervision list)."
        case .statsAbstract: "Ticket statistics the towns report."
        case .exportAbstract: "Tickets as CSV (UTF-8), for reports; --json for JSON."
        case .peopleAbstract: "Grid leaders and workers, who tickets go to."
        case .watchAbstract: "Follow ticket and camera changes as they happen, one line each."

        // Options, flags and arguments
        case .socketHelp: "Control socket of gridwatchd (default: $GRIDWATCH_SOCKET or /run/gridwatch/control.sock)."
        case .jsonHelp: "Print the daemon's JSON answer instead of a table."
        case let .stateFilterHelp(states): "Only tickets in this state (\(states.joined(separator: ", ")))."
        case .openFilterHelp: "Only open tickets (not closed, not false alarms)."
        case .cameraFilterHelp: "Only tickets of this camera."
        case .zoneFilterHelp: "Only tickets of this zone."
        case .gridFilterHelp: "Only tickets of this grid."
        case let .categoryFilterHelp(categories): "Only this category (\(categories.joined(separator: ", ")))."
        case .overdueFilterHelp: "Only tickets past a deadline."
        case .repeatFilterHelp: "Only tickets flagged as repeat problems."
        case .sinceFilterHelp:
            "Occurred at or after: a date or a time as tables show them (2026-11-24, 2026-11-24 08:30), local to the daemon; or RFC 3339."
        case .untilFilterHelp: "Occurred before: as --since."
        case .textFilterHelp: "Words in the title."
        case .archivedFilterHelp: "Include archived tickets."
        case .limitHelp: "At most this many (1-1000)."
        case .offsetHelp: "Skip this many (for the next page)."
        case .exportOutputHelp: "Write here instead of standard output."
        case let .periodHelp(periods): "\(Self.orList(periods)), ending now."
        case let .byHelp(groupings): "Group by \(Self.orList(groupings))."
        case .statsSinceHelp: "From (a date or a time as tables show them, local to the daemon; or RFC 3339), instead of the period."
        case .statsUntilHelp: "Until (as --since); the period ends here."
        case .csvHelp: "CSV instead of a table."
        case .statsOutputHelp: "With --csv: write here."
        case .peopleGridHelp: "Only this grid."
        case .ticketIDHelp: "Ticket id."
        case .noteHelp: "A note for the history."
        case .dispatchToHelp: "Id of a leader or worker of the ticket's grid (see: gridwatchctl people)."
        case .escalateNoteHelp: "Why."
        case .resolveNoteHelp: "What was done (required)."
        case .falseAlarmNoteHelp: "Why it is a false alarm (required)."
        case .reopenNoteHelp: "Why (required)."
        case .noteTextHelp: "The note."
        case .occurrenceHelp: "The snapshot of this occurrence (repeat alert) instead of the ticket's own; ids as `gridwatchctl ticket` lists them."
        case .jpegOutputHelp: "Where to write the JPEG."
        case .afterHelp: "Resume after this event id (as printed with --json)."
        case .eachRepeatHelp: "A line for every repeat alert (default: the first, then a count at most once a minute per ticket)."
        case .cameraIDHelp: "Camera id."
        case .disableReasonHelp: "Why (shown with the camera's state)."
        case .backupFileHelp: "Where to write the copy (written as FILE.partial, then renamed)."

        // Failures
        case let .unreachable(path, reason): "cannot reach gridwatchd at \(path): \(reason). Is the daemon running?"
        case let .socketError(_, reason): reason
        case let .refused(status, reason): "refused (\(status)): \(reason)"
        case let .unreadableAnswer(detail): "unreadable answer: \(detail)"
        case let .permissionDenied(path):
            "permission denied on the control socket \(path): ask an administrator to add this user to the socket's group (daemon.socket_group), or run with sudo"
        case let .cannotWriteLocal(path, reason): "cannot write \(path) on this machine: \(reason)"
        case let .cannotWrite(path, reason): "cannot write \(path): \(reason)"
        case let .noFolder(file, folder): "cannot write \(file): no folder \(folder)"
        case let .noWritePermission(file, folder): "cannot write \(file): no permission to write in \(folder)"
        case let .streamUnreachable(path, reason): "cannot reach gridwatchd at \(path): \(reason); retrying every 2 s"
        case let .streamUnreadable(detail): "unreadable answer from gridwatchd: \(detail); retrying every 2 s"
        case .streamEnded: "the stream ended; reconnecting"

        // Field lists
        case let .fieldLabel(label): "\(label):"
        case .fieldStatus: "status"
        case .fieldVersion: "version"
        case .fieldStarted: "started"
        case .fieldCameras: "cameras"
        case .fieldTickets: "tickets"
        case .fieldStore: "store"
        case .fieldName: "name"
        case .fieldGrid: "grid"
        case .fieldState: "state"
        case .fieldSource: "source"
        case .fieldDisabled: "disabled"
        case .fieldSize: "size"
        case .fieldCodec: "codec"
        case .fieldFPS: "fps"
        case .fieldFrames: "frames"
        case .fieldErrors: "errors"
        case .fieldLastFrame: "last frame"
        case .fieldOffline: "offline"
        case .fieldLastError: "last error"
        case .fieldZones: "zones"
        case .fieldTripwires: "tripwires"
        case .fieldSceneMode: "scene mode"
        case .fieldPicture: "picture"
        case .pictureSound: "sound"
        case .sceneDay: "day (colour)"
        case .fieldSeverity: "severity"
        case .fieldCategory: "category"
        case .fieldCamera: "camera"
        case .fieldZone: "zone"
        case .fieldTripwire: "tripwire"
        case .fieldEvent: "event"
        case .fieldTrajectory: "trajectory"
        case .fieldOccurred: "occurred"
        case .fieldDeadlines: "deadlines"
        case .fieldRepeatProblem: "REPEAT PROBLEM"
        case .fieldEvidence: "evidence"
        case .fieldNext: "next"
        case .fieldSnapshot: "snapshot"
        case .fieldRepeatSnapshots: "repeat snapshots"
        case .fieldFile: "file"
        case .fieldRunning: "running"
        case let .fieldAdded(applied): applied ? "added" : "to add"
        case let .fieldRemoved(applied): applied ? "removed" : "to remove"
        case let .fieldReconnected(applied): applied ? "reconnected" : "to reconnect"
        case let .fieldRulesUpdated(applied): applied ? "rules updated" : "rules to update"
        case .fieldUnchanged: "unchanged"
        case .fieldSections: "sections"
        case .fieldNeedRestart: "need a restart"

        // Table headers
        case .columnName: "NAME"
        case .columnGrid: "GRID"
        case .columnState: "STATE"
        case .columnSize: "SIZE"
        case .columnCodec: "CODEC"
        case .columnInputFPS: "IN FPS"
        case .columnAnalysedFPS: "ANA FPS"
        case .columnDecoded: "DECODED"
        case .columnAnalysed: "ANALYSED"
        case .columnDropped: "DROPPED"
        case .columnErrors: "ERRORS"
        case .columnReconnects: "RECONN"
        case .columnLastFrame: "LAST FRAME"
        case .columnSource: "SOURCE"
        case .columnTime: "TIME"
        case .columnSeverity: "SEV"
        case .columnCategory: "CATEGORY"
        case .columnCamera: "CAMERA"
        case .columnZoneOrLine: "ZONE/LINE"
        case .columnCount: "N"
        case .columnDue: "DUE"
        case .columnAssignee: "ASSIGNEE"
        case .columnTitle: "TITLE"
        case .columnActor: "ACTOR"
        case .columnEvent: "EVENT"
        case .columnFrom: "FROM"
        case .columnTo: "TO"
        case .columnNote: "NOTE"
        case .columnPersonName: "NAME"
        case .columnRole: "ROLE"
        case .columnPhone: "PHONE"
        case let .columnGroup(by): by.uppercased()
        case .columnRaised: "RAISED"
        case .columnAcknowledgedOnTime: "ACK ON TIME"
        case .columnClosedOnTime: "CLOSED ON TIME"
        case .columnDone: "DONE"
        case .columnFalseAlarms: "FALSE"
        case .columnRepeat: "REPEAT"
        case .columnOverdue: "OVERDUE"
        case .columnAcknowledgeTimes: "ACK mean/p90"
        case .columnCloseTimes: "CLOSE mean/p90"
        case .columnCooldown: "COOLDOWN"

        // Values
        case .healthOK: "ok"
        case .healthDegraded: "degraded"
        case let .camerasStreaming(streaming, total, disabled): "\(streaming)/\(total) streaming" + (disabled > 0 ? ", \(disabled) disabled" : "")
        case let .ticketCount(total, overdue): "\(total)" + (overdue.map { ", \($0) overdue" } ?? "")
        case let .storeState(state, error, pending): state + (error.map { " (\($0); \(pending) pending)" } ?? "")
        case let .recordStream(camera, state, codec, size, seconds, kib, source, lastError):
            "\(camera) record stream: \(state) \(codec) \(size), \(seconds) s buffered (\(kib) KiB), \(source)" + (lastError.map { ", last error: \($0)" } ?? "")
        case let .cameraOfflineSince(camera, since): "\(camera) offline since \(since)"
        case let .cameraDisabledBy(camera, by, at, reason): "\(camera) disabled by \(by) at \(at)\(reason.map { ": \($0)" } ?? "")"
        case let .cameraLastError(camera, error): "\(camera) last error: \(error)"
        case let .disabledDetail(by, at, reason): "\(by), \(at)\(reason.map { ": \($0)" } ?? "")"
        case let .framesPerSecond(input, analysed): "in \(input), analysed \(analysed)"
        case let .frameCounts(decoded, analysed, dropped): "decoded \(decoded), analysed \(analysed), dropped \(dropped)"
        case let .errorCounts(decodeErrors, reconnects): "\(decodeErrors) decode errors, \(reconnects) reconnects"
        case let .since(time): "since \(time)"
        case let .cameraHeading(id): "Camera \(id)"
        case let .cameraSwitched(id, state): "camera \(id) → \(state)"
        case let .cameraUnchanged(id, _, enabled): "camera \(id) already was \(enabled ? "enabled" : "disabled"); nothing changed"
        case let .overdueColumn(overdue): "overdue " + overdue.joined(separator: "+")
        case let .ticketsShown(shown, total): "\(shown) of \(total) tickets"
        case let .ticketNow(id, state, assignee, grid): "ticket #\(id) → \(state)\(assignee.map { ", assignee \($0)" } ?? "") (grid \(grid))"
        case let .noteAdded(id): "ticket #\(id): note added"
        case let .ticketHeading(id, title): "Ticket #\(id)  \(title)"
        case let .eventKind(kind, track): kind + (track.map { " (track \($0))" } ?? "")
        case let .trajectory(points, last): "\(points) points, last: \(last.joined(separator: " → "))"
        case let .gridAndAssignee(grid, assignee): grid + (assignee.map { ", assignee \($0)" } ?? "")
        case let .occurred(at, occurrences, last): at + (occurrences > 1 ? ", \(occurrences) occurrences, last \(last)" : "")
        case let .deadlines(acknowledgeBy, closeBy, overdue):
            "acknowledge by \(acknowledgeBy), close by \(closeBy)" + (overdue.isEmpty ? "" : "  OVERDUE: " + overdue.joined(separator: ", "))
        case let .reopenedTimes(count): "reopened \(count) times"
        case .evidencePurged: "purged by retention"
        case let .nextActions(_, commands): commands.isEmpty ? "-" : commands.joined(separator: ", ")
        case let .snapshotAvailable(ticket): "yes (gridwatchctl snapshot \(ticket) -o FILE)"
        case .noSnapshot: "no"
        case let .repeatSnapshots(count, list, ticket):
            "\(count): \(list.joined(separator: ", ")) (gridwatchctl snapshot \(ticket) --occurrence ID -o FILE)"
        case .historyHeading: "history:"
        case let .loaded(at, by, cameras, grids): "loaded \(at) by \(by): \(cameras) cameras, \(grids) grids"
        case .configReloaded: "configuration reloaded."
        case .configValid: "the configuration file is valid."
        case .configHasErrors: "the configuration file has errors:"
        case .configNotLoaded: "the configuration file has errors; not loaded, the running configuration is kept:"
        case let .backedUp(file, kib): "backed up to \(file) (\(kib) KiB)"
        case let .statsHeading(since, until, by): "Statistics \(since) — \(until), by \(by)"
        case .totalRow: "total"
        case let .durationSeconds(n): "\(n)s"
        case let .durationMinutes(n): "\(n)m"
        case let .durationHours(n): "\(n)h"
        case .missedChanges: "-- changes were missed: reload the lists"
        case let .repeatDigest(ticket, repeats, all, place, title): "ticket #\(ticket)  \(repeats) more repeat alerts (\(all) in all)  \(place)  \(title)"
        case let .cameraChange(camera, from, to): "camera \(camera): \(from) → \(to)"
        case let .ticketChange(ticket, change, state, severity, place, title, actor):
            "ticket #\(ticket)  \(change)  \(state)  \(severity)  \(place)  \(title)  (\(actor))"

        // ArgumentParser's words, exactly as it writes them
        case let .apOverview(text): "OVERVIEW: \(text)"
        case let .apUsage(text): "USAGE: \(text)"
        case let .apErrorUsage(text): "Usage: \(text)"
        case .apArgumentsHeader: "ARGUMENTS:"
        case .apOptionsHeader: "OPTIONS:"
        case .apSubcommandsHeader: "SUBCOMMANDS:"
        case .apShowHelp: "Show help information."
        case .apShowVersion: "Show the version."
        case .apShowSubcommandHelp: "Show subcommand help information."
        case .apDefaultSubcommand: " (default)"
        case let .apDefault(value): "(default: \(value))"
        case .apOptionsPlaceholder: "<options>"
        case .apSubcommandPlaceholder: "<subcommand>"
        case .apSubcommandsPlaceholder: "<subcommands>"
        case let .apSeeDetailedHelp(command): "See '\(command) <subcommand>' for detailed help."
        case let .apSeeMoreInformation(command): "See '\(command)' for more information."
        case let .apError(message): "Error: \(message)"
        case let .apHelpLine(text): "Help:  \(text)"
        case let .apMissingArgument(name): "Missing expected argument '\(name)'"
        case let .apMissingOneOf(names): "Missing one of: \(names)"
        case let .apMissingValue(option): "Missing value for '\(option)'"
        case let .apUnknownOption(option): "Unknown option '\(option)'"
        case let .apUnknownOptionSuggestion(option, suggestion): "Unknown option '\(option)'. Did you mean '\(suggestion)'?"
        case let .apUnexpectedArgument(argument): "Unexpected argument '\(argument)'"
        case let .apUnexpectedArguments(count, list): "\(count) unexpected arguments: \(list)"
        case let .apInvalidValue(value, name, detail): "The value '\(value)' is invalid for '\(name)'\(detail)"
        case let .apOptionTakesNoValue(option, value): "The option '\(option)' does not take any value, but '\(value)' was specified."
        case .apMissingSubcommand: "Missing required subcommand."
        case let .apInvalidOption(option): "Invalid option: \(option)"
        }
    }

    /// "a, b or c".
    private static func orList(_ items: [String]) -> String {
        items.count < 2 ? items.joined() : items.dropLast().joined(separator: ", ") + " or " + items.last!
    }
}

// MARK: - console

extension ConsoleText {
    public var en: String {
        switch self {
        case .product: "Gridwatch"
        case .navQueue: "Queue"
        case .navCameras: "Cameras"
        case .navStats: "Statistics"
        case .logout: "Log out"
        case .otherLanguage: "中文"
        case let .signedInAs(user, role): "\(user) (\(role))"
        case .loginTitle: "Log in"
        case .username: "User name"
        case .password: "Password"
        case .loginButton: "Log in"
        case .loginFailed: "Wrong user name or password"
        case let .lockedOut(minutes): "Too many failed logins: locked, try again in \(minutes) minutes"
        case .loginBusy: "Too many logins at once; try again shortly"
        case .sessionEnded: "Your session has ended; please log in again"
        case .queueTitle: "Ticket queue"
        case .filterGrid: "Grid"
        case .filterCategory: "Category"
        case .filterState: "State"
        case .filterCamera: "Camera"
        case .all: "All"
        case .applyFilters: "Filter"
        case .colTicket: "Ticket"
        case .colSnapshot: "Snapshot"
        case .colCamera: "Camera"
        case .colGrid: "Grid"
        case .colCategory: "Category"
        case .colState: "State"
        case .colAge: "Age"
        case .colDeadline: "Deadline"
        case .supervised: "Supervised"
        case .emptyQueue: "No open tickets"
        case .newHazard: "New hazard ticket"
        case .silence: "Mute"
        case .unsilence: "Unmute"
        case .live: "Live"
        case .reconnecting: "Connection lost, reconnecting"
        case .overdueBy: "{t} overdue"
        case .dueIn: "{t} left"
        case let .openCount(n): n == 1 ? "1 open ticket" : "\(n) open tickets"
        case let .ticketHeading(id): "Ticket #\(id)"
        case .fieldState: "State"
        case .fieldSeverity: "Severity"
        case .fieldCategory: "Category"
        case .fieldCamera: "Camera"
        case .fieldGrid: "Grid"
        case .fieldAssignee: "Assignee"
        case .fieldOccurred: "Occurred"
        case .fieldAckDue: "Acknowledge by"
        case .fieldCloseDue: "Close by"
        case .fieldOccurrences: "Occurrences"
        case .fieldCase: "Case number"
        case .snapshotHeading: "Snapshot"
        case .noSnapshot: "No snapshot"
        case .clipHeading: "Clip"
        case .noClip: "No clip yet"
        case .occurrencesHeading: "Occurrences"
        case .historyHeading: "History"
        case .colTime: "Time"
        case .colActor: "By"
        case .colChange: "Change"
        case .colNote: "Note"
        case .actionsHeading: "Actions"
        case .noteLabel: "Note"
        case .noteRequired: "(required)"
        case .assigneeLabel: "Assign to"
        case .addNote: "Add note"
        case .noActionsAllowed: "No action is possible in this state"
        case .readOnly: "Your role may look but not act on tickets"
        case let .actionDone(action): "Done: \(Term(action).en)"
        case .ticketChanged: "This ticket has changed: click to reload"
        case .backToQueue: "Back to the queue"
        case .legendZone: "Zone"
        case .legendTripwire: "Tripwire"
        case .legendTrajectory: "Trajectory"
        case .legendMask: "Mask"
        case .camerasTitle: "Camera wall"
        case .fps: "fps"
        case .noPicture: "No picture"
        case let .cameraHeading(name): "Camera: \(name)"
        case .editGeometry: "Edit zones and lines"
        case let .editorTitle(name): "Zones and lines: \(name)"
        case .editorHelp: "Click on the picture to add points, drag a point to move it; double-click ends a polygon. A tripwire's arrow is the direction that alarms. Saving applies at once without reconnecting the stream."
        case .addZone: "Add zone"
        case .addTripwire: "Add tripwire"
        case .addMotionMask: "Add ignore mask"
        case .addPrivacyMask: "Add privacy mask"
        case .flipDirection: "Flip direction"
        case .deleteShape: "Delete"
        case .save: "Save"
        case .saved: "Saved and applied"
        case .shapeName: "Name"
        case .statsTitle: "Statistics"
        case .periodDay: "Today"
        case .periodWeek: "Last 7 days"
        case .periodMonth: "Last 30 days"
        case .statsByGrid: "By grid"
        case .statsByCategory: "By category"
        case .statsByHour: "Hot spots by hour"
        case .statsByRule: "False alarms by rule"
        case .statsByCamera: "False alarms by camera"
        case .colRaised: "Raised"
        case .colCompletion: "Completion"
        case .colAckOnTime: "Acknowledged on time"
        case .colCloseOnTime: "Closed on time"
        case .colMeanClose: "Mean time to close"
        case .colP90Close: "90th percentile to close"
        case .colRepeats: "Repeats"
        case .colFalseAlarms: "False-alarm rate"
        case .exportCSV: "Export CSV"
        case .total: "Total"
        case .csrfRefused: "The request lacks a valid anti-forgery (CSRF) token; reload the page and try again"
        case .notFound: "No such page"
        case .forbidden: "Your role may not open this page"
        case let .minutes(n): n == 1 ? "1 minute" : "\(n) minutes"
        case let .hours(n): n == 1 ? "1 hour" : "\(n) hours"
        case let .days(n): n == 1 ? "1 day" : "\(n) days"
        case let .occurrenceLine(n): "#\(n)"
        }
    }
}
