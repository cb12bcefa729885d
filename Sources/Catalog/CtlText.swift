import Foundation

// The message ids of gridwatchctl: its help (the abstract of each command and the help of
// each option, flag and argument), table headers, field labels, confirmations and error
// lines, and ArgumentParser's own fixed words (`ap…`), which the CLI rewrites under a
// Chinese locale. Chinese texts are in `zh.swift`, English in `en.swift`, below their
// `// MARK: - gridwatchctl` lines. Values (ids, paths, counts, times already formatted)
// are associated values; codes (states, categories, actions) are passed as codes and put
// into words by the entries (`Term`).

/// What gridwatchctl says.
public enum CtlText: Localized, Equatable {
    // MARK: Commands
    case rootAbstract
    case healthAbstract
    case camerasAbstract
    case showCameraAbstract
    case cameraSnapshotAbstract
    case enableAbstract
    case disableAbstract
    case showConfigAbstract
    case checkConfigAbstract
    case reloadAbstract
    case backupAbstract
    case ticketsAbstract
    case showTicketAbstract
    case snapshotAbstract
    case clipAbstract
    case notifyAbstract
    case notifyListAbstract
    case notifyRetryAbstract
    case nodesAbstract
    case nodeAbstract
    case nodeDrainAbstract
    case nodeUndrainAbstract
    case nodeForgetAbstract
    case nodeForgotten(node: String, leases: Int)
    case nodeIDHelp
    case nodeDone(node: String, draining: Bool)
    case columnHeartbeat
    case columnLive
    case columnDraining
    case columnCameras
    case columnCPU
    case columnNode
    case notifyDropAbstract
    case notifyEnableAbstract
    case consoleUserAbstract
    case consoleUserListAbstract
    case consoleUserAddAbstract
    case consoleUserPasswdAbstract
    case consoleUserDisableAbstract
    case consoleUserEnableAbstract
    case consoleUserNameHelp
    case consoleRoleHelp(roles: [String])
    case consoleGridHelp
    case consoleLanguageHelp
    case consoleUserHeader
    case consoleUserDone(verb: String, name: String)
    case noConsoleUsers
    case passwordPrompt
    case passwordAgainPrompt
    case passwordsDiffer
    case passwordNeeded
    case destinationIDHelp
    case deadLetterIDHelp
    case notifyHeader
    case notifyDisabledLine(destination: String, reason: String)
    case notifyPausedLine(destination: String, until: String)
    case notifyErrorLine(destination: String, at: String, error: String)
    case deadLetterLine(destination: String, event: Int64, ticket: Int64, sequence: Int64, type: String, attempts: Int, error: String)
    case notifyDone(verb: String, destination: String, count: Int)
    case noDestinations
    case mp4OutputHelp
    case fieldClip
    case fieldCase
    case clipAvailable(ticket: Int64, seconds: Int, end: String)
    case acknowledgeAbstract
    case dispatchAbstract
    case escalateAbstract
    case startAbstract
    case resolveAbstract
    case verifyAbstract
    case closeAbstract
    case falseAlarmAbstract
    case reopenAbstract
    case noteAbstract
    case supervisionAbstract
    case statsAbstract
    case exportAbstract
    case peopleAbstract
    case watchAbstract

    // MARK: Options, flags and arguments
    case socketHelp
    case jsonHelp
    /// `--state`: the states, as codes to type with their words.
    case stateFilterHelp(states: [String])
    case openFilterHelp
    case cameraFilterHelp
    case zoneFilterHelp
    case gridFilterHelp
    /// `--category`: the categories, as codes to type with their words.
    case categoryFilterHelp(categories: [String])
    case overdueFilterHelp
    case repeatFilterHelp
    case sinceFilterHelp
    case untilFilterHelp
    case textFilterHelp
    case archivedFilterHelp
    case limitHelp
    case offsetHelp
    case exportOutputHelp
    /// `stats --period`: the periods, as codes.
    case periodHelp(periods: [String])
    /// `stats --by`: the groupings, as codes.
    case byHelp(groupings: [String])
    case statsSinceHelp
    case statsUntilHelp
    case csvHelp
    case statsOutputHelp
    case peopleGridHelp
    case ticketIDHelp
    case noteHelp
    case dispatchToHelp
    case escalateNoteHelp
    case resolveNoteHelp
    case falseAlarmNoteHelp
    case reopenNoteHelp
    case noteTextHelp
    case occurrenceHelp
    case jpegOutputHelp
    case afterHelp
    case eachRepeatHelp
    case cameraIDHelp
    case disableReasonHelp
    case backupFileHelp

    // MARK: Failures
    case unreachable(path: String, reason: String)
    /// Why the control socket could not be reached: `code` is the errno (the C library's
    /// English `reason` is what English shows).
    case socketError(code: Int32, reason: String)
    case refused(status: Int, reason: String)
    case unreadableAnswer(detail: String)
    case permissionDenied(path: String)
    case cannotWriteLocal(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case noFolder(file: String, folder: String)
    case noWritePermission(file: String, folder: String)
    /// `watch`: the daemon went away; it tries again.
    case streamUnreachable(path: String, reason: String)
    case streamUnreadable(detail: String)
    case streamEnded

    // MARK: Field lists
    /// "label:" before a value.
    case fieldLabel(String)
    case fieldStatus
    case fieldVersion
    case fieldStarted
    case fieldCameras
    case fieldTickets
    case fieldStore
    case fieldName
    case fieldGrid
    case fieldState
    case fieldSource
    case fieldDisabled
    case fieldSize
    case fieldCodec
    case fieldFPS
    case fieldFrames
    case fieldErrors
    case fieldLastFrame
    case fieldOffline
    case fieldLastError
    case fieldZones
    case fieldTripwires
    case fieldSceneMode
    case fieldPicture
    /// The picture is sound (no tamper reason).
    case pictureSound
    case sceneDay
    case fieldSeverity
    case fieldCategory
    case fieldCamera
    case fieldZone
    case fieldTripwire
    case fieldEvent
    case fieldTrajectory
    case fieldOccurred
    case fieldDeadlines
    case fieldRepeatProblem
    case fieldEvidence
    case fieldNext
    case fieldSnapshot
    case fieldRepeatSnapshots
    case fieldFile
    case fieldRunning
    case fieldAdded(applied: Bool)
    case fieldRemoved(applied: Bool)
    case fieldReconnected(applied: Bool)
    case fieldRulesUpdated(applied: Bool)
    case fieldUnchanged
    case fieldSections
    case fieldNeedRestart

    // MARK: Table headers
    case columnName
    case columnGrid
    case columnState
    case columnSize
    case columnCodec
    case columnInputFPS
    case columnAnalysedFPS
    case columnDecoded
    case columnAnalysed
    case columnDropped
    case columnErrors
    case columnReconnects
    case columnLastFrame
    case columnSource
    case columnTime
    case columnSeverity
    case columnCategory
    case columnCamera
    case columnZoneOrLine
    case columnCount
    case columnDue
    case columnAssignee
    case columnTitle
    case columnActor
    case columnEvent
    case columnFrom
    case columnTo
    case columnNote
    case columnPersonName
    case columnRole
    case columnPhone
    /// The first column of a statistics table: what it is grouped by (a grouping code).
    case columnGroup(by: String)
    case columnRaised
    case columnAcknowledgedOnTime
    case columnClosedOnTime
    case columnDone
    case columnFalseAlarms
    case columnRepeat
    case columnOverdue
    case columnAcknowledgeTimes
    case columnCloseTimes
    case columnCooldown

    // MARK: Values
    case healthOK
    case healthDegraded
    case camerasStreaming(streaming: Int, total: Int, disabled: Int)
    case ticketCount(total: Int, overdue: Int?)
    /// The store's state (`ok` or a code), its last error and the alerts waiting.
    case storeState(state: String, error: String?, pending: Int)
    case recordStream(camera: String, state: String, codec: String, size: String, seconds: String, kib: Int, source: String, lastError: String?)
    case cameraOfflineSince(camera: String, since: String)
    case cameraDisabledBy(camera: String, by: String, at: String, reason: String?)
    case cameraLastError(camera: String, error: String)
    case disabledDetail(by: String, at: String, reason: String?)
    case framesPerSecond(input: String, analysed: String)
    case frameCounts(decoded: Int, analysed: Int, dropped: Int)
    case errorCounts(decodeErrors: Int, reconnects: Int)
    case since(String)
    case cameraHeading(id: String)
    /// After enable/disable: the camera's state (a code) now.
    case cameraSwitched(id: String, state: String)
    case cameraUnchanged(id: String, state: String, enabled: Bool)
    /// The deadlines column: what is overdue (`acknowledge`, `close`).
    case overdueColumn(overdue: [String])
    case ticketsShown(shown: Int, total: Int)
    /// After a workflow action: the ticket's state (a code) now.
    case ticketNow(id: Int64, state: String, assignee: String?, grid: String)
    case noteAdded(id: Int64)
    case ticketHeading(id: Int64, title: String)
    /// A ticket's rule event (`zone_enter`, …) and the track it followed.
    case eventKind(kind: String, track: Int64?)
    /// The last points of a trajectory, already formatted.
    case trajectory(points: Int, last: [String])
    case gridAndAssignee(grid: String, assignee: String?)
    case occurred(at: String, occurrences: Int, last: String)
    case deadlines(acknowledgeBy: String, closeBy: String, overdue: [String])
    case reopenedTimes(Int)
    case evidencePurged
    /// The actions a ticket allows (API codes) and the command that does each.
    case nextActions(actions: [String], commands: [String])
    case snapshotAvailable(ticket: Int64)
    case noSnapshot
    case repeatSnapshots(count: Int, list: [String], ticket: Int64)
    case historyHeading
    case loaded(at: String, by: String, cameras: Int, grids: Int)
    case configReloaded
    case configValid
    case configHasErrors
    case configNotLoaded
    case backedUp(file: String, kib: Int)
    case statsHeading(since: String, until: String, by: String)
    case totalRow
    case durationSeconds(String)
    case durationMinutes(String)
    case durationHours(String)
    case missedChanges
    case repeatDigest(ticket: Int64, repeats: Int, all: Int, place: String, title: String)
    case cameraChange(camera: String, from: String, to: String)
    case ticketChange(ticket: Int64, change: String, state: String, severity: String, place: String, title: String, actor: String)

    // MARK: ArgumentParser's words
    // The fixed English of ArgumentParser 1.8 (HelpGenerator, MessageInfo and
    // ErrorMessageGenerator). Each `en` is ArgumentParser's phrase exactly, so rewriting
    // into English gives the text back unchanged.
    case apOverview(String)
    case apUsage(String)
    case apErrorUsage(String)
    case apArgumentsHeader
    case apOptionsHeader
    case apSubcommandsHeader
    case apShowHelp
    case apShowVersion
    case apShowSubcommandHelp
    case apDefault(String)
    /// The mark of a command's default subcommand in its list.
    case apDefaultSubcommand
    case apOptionsPlaceholder
    case apSubcommandPlaceholder
    case apSubcommandsPlaceholder
    /// "See 'gridwatchctl help <subcommand>' for detailed help." (`command` is "gridwatchctl help").
    case apSeeDetailedHelp(command: String)
    /// "See 'gridwatchctl dispatch --help' for more information."
    case apSeeMoreInformation(command: String)
    case apError(String)
    case apHelpLine(String)
    case apMissingArgument(String)
    case apMissingOneOf(String)
    case apMissingValue(String)
    case apUnknownOption(String)
    case apUnknownOptionSuggestion(option: String, suggestion: String)
    case apUnexpectedArgument(String)
    case apUnexpectedArguments(count: String, list: String)
    /// `detail` is what ArgumentParser appends (": why" or ". Please provide one of …"), or "".
    case apInvalidValue(value: String, for: String, detail: String)
    case apOptionTakesNoValue(option: String, value: String)
    case apMissingSubcommand
    case apInvalidOption(String)
}

// MARK: - ArgumentParser's help and usage errors

extension CtlText {
    /// ArgumentParser's help screen or usage error (`fullMessage(for:)`) with its fixed
    /// English words rewritten into `language`: section headers, `OVERVIEW:`, `USAGE:`, the
    /// built-in `--help` and `--version` lines, `(default: …)`, the closing "See …" lines,
    /// `Error:`, `Help:` and its parse errors. Our own texts (abstracts and option help) are
    /// already in the language. Anything else (a version string, a completion script, a JSON
    /// dump of the help) comes back as it is, and so does a line this table does not know.
    /// English rewrites to the same text; so does `bilingual`, which the CLI never uses.
    public static func rewriteArgumentParser(_ text: String, language: Language) -> String {
        guard language == .zh,
              ["OVERVIEW: ", "USAGE: ", "Error: ", "Usage: "].contains(where: { text.hasPrefix($0) })
        else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { rewriteLine(String($0), language) }
            .joined(separator: "\n")
    }

    private static func rewriteLine(_ line: String, _ language: Language) -> String {
        func after(_ prefix: String) -> String? { line.hasPrefix(prefix) ? String(line.dropFirst(prefix.count)) : nil }
        func say(_ m: CtlText) -> String { m.text(language) }
        func placeholders(_ usage: String) -> String {
            usage.replacingOccurrences(of: "<options>", with: say(.apOptionsPlaceholder))
                .replacingOccurrences(of: "<subcommand>", with: say(.apSubcommandPlaceholder))
                .replacingOccurrences(of: "<subcommands>", with: say(.apSubcommandsPlaceholder))
        }
        if let rest = after("OVERVIEW: ") { return say(.apOverview(builtIn(rest).map(say) ?? rest)) }
        if let rest = after("USAGE: ") { return say(.apUsage(placeholders(rest))) }
        if let rest = after("Usage: ") { return say(.apErrorUsage(placeholders(rest))) }
        if let rest = after("Error: ") { return say(.apError(rewriteError(rest, language))) }
        if let rest = after("Help:  ") { return say(.apHelpLine(rest)) }
        switch line {
        case "  <subcommands>": return "  " + say(.apSubcommandsPlaceholder)
        case "ARGUMENTS:": return say(.apArgumentsHeader)
        case "OPTIONS:": return say(.apOptionsHeader)
        case "SUBCOMMANDS:": return say(.apSubcommandsHeader)
        default: break
        }
        if let m = line.wholeMatch(of: /(\s*)See '(.+) <subcommand>' for detailed help\./) {
            return String(m.1) + say(.apSeeDetailedHelp(command: String(m.2)))
        }
        if let m = line.wholeMatch(of: /(\s*)See '(.+)' for more information\./) {
            return String(m.1) + say(.apSeeMoreInformation(command: String(m.2)))
        }
        // An option or subcommand line: the built-in descriptions, and the default value
        // ArgumentParser appends to a description.
        for english in builtInDescriptions.keys where line.hasSuffix("  " + english) {
            return String(line.dropLast(english.count)) + say(builtIn(english)!)
        }
        if let m = line.wholeMatch(of: /(\s+\S+) \(default\)(\s+)(.*)/) {
            // "  list (default)   …" keeps its column: the mark's width in terminal cells.
            let mark = say(.apDefaultSubcommand)
            let cells = mark.unicodeScalars.reduce(0) { $0 + ($1.value > 0x2E80 ? 2 : 1) }
            return String(m.1) + mark + String(repeating: " ", count: max(1, m.2.count + 10 - cells)) + String(m.3)
        }
        if let m = line.wholeMatch(of: /(.*\S) \(default: ([^()]*)\)/) {
            // "…。 (default: 50)" becomes "…。（默认：50）": the full-width bracket brings its own space.
            return String(m.1) + (language == .zh ? "" : " ") + say(.apDefault(String(m.2)))
        }
        return line
    }

    /// The descriptions ArgumentParser gives its own `--help`, `--version` and `help`.
    private static let builtInDescriptions: [String: CtlText] = [
        "Show help information.": .apShowHelp, "Show the version.": .apShowVersion, "Show subcommand help information.": .apShowSubcommandHelp,
    ]

    private static func builtIn(_ english: String) -> CtlText? { builtInDescriptions[english] }

    /// The message after "Error: ".
    private static func rewriteError(_ message: String, _ language: Language) -> String {
        func say(_ m: CtlText) -> String { m.text(language) }
        if let m = message.wholeMatch(of: /Missing expected argument '(.+)'/) { return say(.apMissingArgument(String(m.1))) }
        if let m = message.wholeMatch(of: /Missing one of: (.+)/) { return say(.apMissingOneOf(String(m.1))) }
        if let m = message.wholeMatch(of: /Missing value for '(.+)'/) { return say(.apMissingValue(String(m.1))) }
        if let m = message.wholeMatch(of: /Unknown option '(.+)'\. Did you mean '(.+)'\?/) {
            return say(.apUnknownOptionSuggestion(option: String(m.1), suggestion: String(m.2)))
        }
        if let m = message.wholeMatch(of: /Unknown option '(.+)'/) { return say(.apUnknownOption(String(m.1))) }
        if let m = message.wholeMatch(of: /Unexpected argument '(.+)'/) { return say(.apUnexpectedArgument(String(m.1))) }
        if let m = message.wholeMatch(of: /(\d+) unexpected arguments: (.+)/) {
            return say(.apUnexpectedArguments(count: String(m.1), list: String(m.2)))
        }
        if let m = message.wholeMatch(of: /The value '(.*)' is invalid for '([^']+)'(.*)/.dotMatchesNewlines()) {
            return say(.apInvalidValue(value: String(m.1), for: String(m.2), detail: String(m.3)))
        }
        if let m = message.wholeMatch(of: /The option '(.+)' does not take any value, but '(.*)' was specified\./) {
            return say(.apOptionTakesNoValue(option: String(m.1), value: String(m.2)))
        }
        if message == "Missing required subcommand." { return say(.apMissingSubcommand) }
        if let m = message.wholeMatch(of: /Invalid option: (.+)/) { return say(.apInvalidOption(String(m.1))) }
        return message
    }
}

// MARK: - Wrapping for a terminal

extension CtlText {
    /// Lines longer than `width` terminal cells broken at spaces or between Chinese
    /// characters, counting a wide character as two cells (ArgumentParser counts characters
    /// and breaks only at spaces, which leaves Chinese lines far too long). A continuation
    /// line is indented like the description it continues: an option's or subcommand's
    /// description column (26), the width of "用法：", or the line's own indentation.
    /// Closing punctuation never starts a line and opening punctuation never ends one.
    public static func wrapForTerminal(_ text: String, width: Int) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .flatMap { wrapLine(String($0), width: width) }
            .joined(separator: "\n")
    }

    /// Terminal cells of `s`: two for a wide (CJK, full-width) character, one otherwise.
    public static func cells(_ s: some StringProtocol) -> Int {
        s.unicodeScalars.reduce(0) { $0 + (isWide($1) ? 2 : 1) }
    }

    static func isWide(_ c: Character) -> Bool {
        c.unicodeScalars.first.map(isWide) ?? false
    }

    static func isWide(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v)
    }

    /// ArgumentParser's description column (`HelpGenerator.labelColumnWidth`).
    static let descriptionColumn = 26
    /// A bracketed remark at most this wide is never split.
    static let shortRemark = 20

    private static let closing: Set<Character> = ["，", "。", "、", "；", "：", "！", "？", "）", "》", "」", "』", "”", "’", ")", ",", ".", ";", ":"]
    private static let opening: Set<Character> = ["（", "《", "「", "『", "“", "‘"]

    private static func wrapLine(_ line: String, width: Int) -> [String] {
        guard cells(line) > width else { return [line] }
        // The part that stays on the first line as it is, and the indent of the others.
        let indent: Int
        let leading = line.prefix { $0 == " " }.count
        if line.hasPrefix("用法：") {
            indent = cells("用法：")
        } else if leading == descriptionColumn
                    || (leading == 2 && line.count > descriptionColumn
                        && line.prefix(descriptionColumn).hasSuffix("  ")
                        && line.dropFirst(descriptionColumn).first != " "
                        && cells(line.prefix(descriptionColumn)) == descriptionColumn) {
            indent = descriptionColumn
        } else {
            indent = leading
        }
        guard indent < width / 2 else { return [line] }
        var head = "", rest = Substring(line)
        while cells(head) < indent, let c = rest.first {
            head.append(c)
            rest = rest.dropFirst()
        }
        // Pieces that may not be split: a run of narrow non-space characters, or one wide
        // character, with closing punctuation held to what it closes and opening
        // punctuation to what it opens, and a short bracketed remark (（默认：50）) whole;
        // and the runs of spaces between them. In a usage line an optional group
        // ([--note <note>]) and an option with its value (--to <to>) stay together.
        let usage = indent > 0 && line.hasPrefix("用法：")
        let chars = Array(rest)
        var pieces: [String] = []
        var piece = ""
        var depth = 0
        func flush() {
            if !piece.isEmpty { pieces.append(piece) }
            piece = ""
        }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            defer { i += 1 }
            if usage {
                if c == "[" { depth += 1 } else if c == "]" { depth = max(0, depth - 1) }
            }
            if c == " " {
                if usage && (depth > 0 || chars.dropFirst(i + 1).first == "<") {
                    piece.append(c)
                    continue
                }
                flush()
                if pieces.last?.first == " " { pieces[pieces.count - 1].append(c) } else { pieces.append(" ") }
                continue
            }
            if closing.contains(c) {
                if piece.isEmpty, let last = pieces.last, last.first != " " { piece = pieces.removeLast() }
                piece.append(c)
                continue
            }
            // A line may break between two characters when either is wide, unless the first opens.
            if let last = piece.last, !opening.contains(last), isWide(c) || isWide(last) { flush() }
            if c == "（", let close = chars[i...].firstIndex(of: "）"), !chars[(i + 1)..<close].contains("（"),
               cells(String(chars[i...close])) <= shortRemark {
                piece += String(chars[i...close])
                i = close
                continue
            }
            piece.append(c)
        }
        flush()
        var lines: [String] = []
        var current = head
        var currentHasText = false
        var pendingSpace = ""
        for p in pieces {
            if p.allSatisfy({ $0 == " " }) {
                pendingSpace = p
                continue
            }
            if currentHasText && cells(current) + cells(pendingSpace) + cells(p) > width {
                lines.append(current)
                current = String(repeating: " ", count: indent) + p
            } else {
                current += pendingSpace + p
            }
            currentHasText = true
            pendingSpace = ""
        }
        lines.append(current)
        return lines
    }
}
