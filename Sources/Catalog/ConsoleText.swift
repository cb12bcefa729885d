import Foundation

// The message ids of the web console: its navigation, forms, column heads, badges and
// refusals. Chinese texts are in `zh.swift`, English in `en.swift`, below their
// `// MARK: - console` lines. Codes (states, categories, actions, roles) are put into words
// by `Term`; values are associated values.

/// What the web console says.
public enum ConsoleText: Localized, Equatable, CaseIterable {
    public static let allCases: [ConsoleText] = [
        .product, .navQueue, .navCameras, .navStats, .logout, .otherLanguage, .signedInAs(user: "u", role: "r"),
        .loginTitle, .username, .password, .loginButton, .loginFailed, .lockedOut(minutes: 15), .loginBusy, .sessionEnded,
        .queueTitle, .filterGrid, .filterCategory, .filterState, .filterCamera, .all, .applyFilters, .colTicket, .colSnapshot,
        .colCamera, .colGrid, .colCategory, .colState, .colAge, .colDeadline, .supervised, .emptyQueue, .newHazard, .silence, .unsilence,
        .live, .reconnecting, .overdueBy, .dueIn, .openCount(1), .ticketHeading(id: 1), .fieldState, .fieldSeverity, .fieldCategory,
        .fieldCamera, .fieldGrid, .fieldAssignee, .fieldOccurred, .fieldAckDue, .fieldCloseDue, .fieldOccurrences, .fieldCase, .snapshotHeading,
        .noSnapshot, .clipHeading, .noClip, .occurrencesHeading, .historyHeading, .colTime, .colActor, .colChange, .colNote, .actionsHeading,
        .noteLabel, .noteRequired, .assigneeLabel, .addNote, .noActionsAllowed, .readOnly, .actionDone(action: "acknowledge"), .backToQueue, .ticketChanged,
        .legendZone, .legendTripwire, .legendTrajectory, .legendMask, .camerasTitle, .fps, .noPicture, .cameraHeading(name: "n"),
        .editGeometry, .editorTitle(name: "n"), .editorHelp, .addZone, .addTripwire, .addMotionMask, .addPrivacyMask, .flipDirection, .deleteShape,
        .save, .saved, .shapeName, .statsTitle, .periodDay, .periodWeek, .periodMonth, .statsByGrid, .statsByCategory, .statsByHour,
        .statsByRule, .statsByCamera, .colRaised, .colAckOnTime, .colCompletion, .colCloseOnTime, .colMeanClose, .colP90Close, .colRepeats, .colFalseAlarms,
        .exportCSV, .csrfRefused, .notFound, .forbidden, .total, .minutes(5), .hours(2), .days(1), .occurrenceLine(n: 1),
    ]

    // MARK: Layout
    case product
    case navQueue
    case navCameras
    case navStats
    case logout
    /// The link to the other language, in that language.
    case otherLanguage
    case signedInAs(user: String, role: String)

    // MARK: Login
    case loginTitle
    case username
    case password
    case loginButton
    case loginFailed
    case lockedOut(minutes: Int)
    case loginBusy
    case sessionEnded

    // MARK: Queue
    case queueTitle
    case filterGrid
    case filterCategory
    case filterState
    case filterCamera
    case all
    case applyFilters
    case colTicket
    case colSnapshot
    case colCamera
    case colGrid
    case colCategory
    case colState
    case colAge
    case colDeadline
    /// 督办: past a deadline, under the supervisor's eye.
    case supervised
    case emptyQueue
    case newHazard
    case silence
    case unsilence
    case live
    case reconnecting
    /// Countdowns: `{t}` is where the script puts the time (h:mm:ss).
    case overdueBy
    case dueIn
    case openCount(Int)

    // MARK: Ticket
    case ticketHeading(id: Int64)
    case fieldState
    case fieldSeverity
    case fieldCategory
    case fieldCamera
    case fieldGrid
    case fieldAssignee
    case fieldOccurred
    case fieldAckDue
    case fieldCloseDue
    case fieldOccurrences
    case fieldCase
    case snapshotHeading
    case noSnapshot
    case clipHeading
    case noClip
    case occurrencesHeading
    case historyHeading
    case colTime
    case colActor
    case colChange
    case colNote
    case actionsHeading
    case noteLabel
    case noteRequired
    case assigneeLabel
    case addNote
    case noActionsAllowed
    case readOnly
    case actionDone(action: String)
    case backToQueue
    case ticketChanged
    case legendZone
    case legendTripwire
    case legendTrajectory
    case legendMask

    // MARK: Cameras
    case camerasTitle
    case fps
    case noPicture
    case cameraHeading(name: String)
    case editGeometry
    case editorTitle(name: String)
    case editorHelp
    case addZone
    case addTripwire
    case addMotionMask
    case addPrivacyMask
    case flipDirection
    case deleteShape
    case save
    case saved
    case shapeName

    // MARK: Statistics
    case statsTitle
    case periodDay
    case periodWeek
    case periodMonth
    case statsByGrid
    case statsByCategory
    case statsByHour
    case statsByRule
    case statsByCamera
    case colRaised
    case colAckOnTime
    case colCompletion
    case colCloseOnTime
    case colMeanClose
    case colP90Close
    case colRepeats
    case colFalseAlarms
    case exportCSV
    case total

    // MARK: Refusals and units
    case csrfRefused
    case notFound
    case forbidden
    case minutes(Int)
    case hours(Int)
    case days(Int)
    case occurrenceLine(n: Int)
}
