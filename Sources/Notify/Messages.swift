import Catalog
import Foundation

/// What a messenger message says about one change to a ticket: looked up by the delivery
/// service (names, the assignee's phone) and turned into a robot's JSON here.
public struct TicketNotice: Sendable, Equatable {
    public var type: NotifyEventType
    public var ticketID: Int64
    public var title: String
    public var camera: String
    public var grid: String
    public var severity: String
    public var state: String
    /// Local times, already formatted.
    public var occurredAt: String
    public var deadline: String?
    /// The deadline is for acknowledging (the ticket is not acknowledged yet), not for handling.
    public var deadlineIsAcknowledge = false
    public var assigneeName: String?
    public var assigneePhone: String?
    public var actor: String?
    public var note: String?
    public var caseNumber: (platform: String, number: String)?

    public init(type: NotifyEventType, ticketID: Int64, title: String, camera: String, grid: String, severity: String, state: String, occurredAt: String) {
        self.type = type
        self.ticketID = ticketID
        self.title = title
        self.camera = camera
        self.grid = grid
        self.severity = severity
        self.state = state
        self.occurredAt = occurredAt
    }

    public static func == (a: TicketNotice, b: TicketNotice) -> Bool {
        a.type == b.type && a.ticketID == b.ticketID && a.title == b.title && a.camera == b.camera && a.grid == b.grid
            && a.severity == b.severity && a.state == b.state && a.occurredAt == b.occurredAt && a.deadline == b.deadline
            && a.deadlineIsAcknowledge == b.deadlineIsAcknowledge
            && a.assigneeName == b.assigneeName && a.assigneePhone == b.assigneePhone && a.actor == b.actor && a.note == b.note
            && a.caseNumber?.platform == b.caseNumber?.platform && a.caseNumber?.number == b.caseNumber?.number
    }

    /// Whom to `@`: the assignee, on the change that dispatched it to them.
    public var mention: String? {
        type == .dispatched ? assigneePhone.flatMap { $0.isEmpty ? nil : $0 } : nil
    }

    /// The lines of the message, heading first, in `language`.
    public func lines(_ language: Language) -> [String] {
        var lines = [NotifyText.heading(type: type.rawValue, ticket: ticketID).text(language), title]
        lines.append(NotifyText.camera(camera).text(language))
        lines.append(NotifyText.grid(grid).text(language))
        lines.append(NotifyText.occurredAt(occurredAt).text(language))
        lines.append(NotifyText.severity(severity).text(language))
        lines.append(NotifyText.state(state).text(language))
        if let deadline {
            lines.append((deadlineIsAcknowledge ? NotifyText.acknowledgeBy(deadline) : NotifyText.deadline(deadline)).text(language))
        }
        if let assigneeName { lines.append(NotifyText.assignee(name: assigneeName, phone: assigneePhone).text(language)) }
        if let caseNumber { lines.append(NotifyText.caseNumber(platform: caseNumber.platform, number: caseNumber.number).text(language)) }
        if let actor, actor != "gridwatchd" { lines.append(NotifyText.actor(actor).text(language)) }
        if let note, !note.isEmpty { lines.append(NotifyText.note(note).text(language)) }
        if let caseNumber, ["dispatched", "in_progress"].contains(state) {
            lines.append(NotifyText.platformHandles(platform: caseNumber.platform, ticket: ticketID).text(language))
        } else {
            lines.append(NotifyText.howToAct(ticket: ticketID, state: state).text(language))
        }
        return lines
    }
}

/// Messenger robots' message bodies.
public enum RobotMessage {
    /// Markdown's special characters are escaped so a note or a name cannot turn into a link,
    /// emphasis or a heading (`#` only matters at the start of a line), and a line break in
    /// a note cannot start a new element.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            if "\\`*_[]()<>!|".contains(c) || (c == "#" && out.isEmpty) { out.append("\\") }
            if c == "\n" || c == "\r" { out.append(" "); continue }
            out.append(c)
        }
        return out
    }

    /// A WeCom (企业微信 / 政务微信) group robot's body: `markdown` (bold heading, one line per
    /// fact; WeCom's markdown cannot `@` by phone), or, when the change dispatches the
    /// ticket to someone with a phone, `text` with `mentioned_mobile_list`, which can.
    public static func wecom(_ notice: TicketNotice, language: Language = .zh) -> [UInt8] {
        let lines = notice.lines(language)
        let body: [String: Any]
        if let phone = notice.mention {
            body = ["msgtype": "text", "text": ["content": lines.joined(separator: "\n"), "mentioned_mobile_list": [phone]]]
        } else {
            let md = (["**\(escape(lines[0]))**"] + lines.dropFirst().map { "> " + escape($0) }).joined(separator: "\n")
            body = ["msgtype": "markdown", "markdown": ["content": md]]
        }
        return json(body)
    }

    /// A DingTalk (钉钉 / 浙政钉) group robot's body: `markdown` with a title (what the chat list
    /// shows) and, when dispatching to someone with a phone, `at.atMobiles` with the phone
    /// written in the text, as DingTalk requires for the mention to show.
    public static func dingtalk(_ notice: TicketNotice, language: Language = .zh) -> [UInt8] {
        let lines = notice.lines(language)
        var md = (["#### " + escape(lines[0])] + lines.dropFirst().map { "- " + escape($0) }).joined(separator: "\n")
        var at: [String: Any] = ["isAtAll": false]
        if let phone = notice.mention {
            md += "\n\n@\(phone)"
            at["atMobiles"] = [phone]
        }
        return json(["msgtype": "markdown", "markdown": ["title": lines[0], "text": md], "at": at])
    }

    static func json(_ object: [String: Any]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }

    /// A robot's answer: WeCom and DingTalk say `{"errcode": 0, "errmsg": "ok"}` with HTTP
    /// 200, and a failure (a wrong key, too many messages a minute) with another code and
    /// HTTP 200 too. nil when the body is not such an answer.
    public static func robotError(_ body: [UInt8]) -> (code: Int, message: String)? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let code = object["errcode"] as? Int else { return nil }
        return (code, object["errmsg"] as? String ?? "")
    }
}
