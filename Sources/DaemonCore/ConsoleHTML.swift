import Catalog
import ControlProtocol
import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import Storage
import Tickets

/// HTML written as Swift string interpolation: every interpolated `String` is escaped, an
/// `HTML` value is inserted as it is. A page cannot put a camera name or a note into markup
/// unescaped by mistake; the compiler checks every template (Docs/design/console.md).
struct HTML: ExpressibleByStringInterpolation, Sendable {
    var text: String

    init(stringLiteral value: String) { text = value }
    init(stringInterpolation: Interpolation) { text = stringInterpolation.text }
    init(raw text: String) { self.text = text }

    struct Interpolation: StringInterpolationProtocol {
        var text = ""
        init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity + 16 * interpolationCount) }
        mutating func appendLiteral(_ literal: String) { text += literal }
        mutating func appendInterpolation(_ value: String) { text += HTML.escape(value) }
        mutating func appendInterpolation(_ value: String?) { text += HTML.escape(value ?? "") }
        mutating func appendInterpolation(_ value: HTML) { text += value.text }
        mutating func appendInterpolation(_ values: [HTML]) { for v in values { text += v.text } }
        mutating func appendInterpolation<T: BinaryInteger>(_ value: T) { text += String(value) }
        mutating func appendInterpolation(_ value: Double) { text += String(value) }
    }

    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func join(_ parts: [HTML], separator: String = "") -> HTML {
        HTML(raw: parts.map(\.text).joined(separator: separator))
    }
}

/// What every page knows: the user, their language and the session's CSRF token.
struct PageContext: Sendable {
    var session: ConsoleSession?
    var language: Language
    var access: Access

    func t(_ text: ConsoleText) -> String { text.text(language) }
    func term(_ code: String) -> String { Term(code).text(language) }
    var csrf: String { session?.csrf ?? "" }
    var csrfField: HTML { "<input type=\"hidden\" name=\"csrf\" value=\"\(csrf)\">" }
    var lang: String { language == .en ? "en" : "zh-CN" }

    func time(_ date: Date?) -> String { date.map(LocalTime.text) ?? "" }

    /// "3 分钟", "2 小时", "1 天": how long ago or how long left, rounded down.
    func span(_ seconds: TimeInterval) -> String {
        let s = max(0, Int(seconds))
        if s < 3600 { return t(.minutes(s / 60)) }
        if s < 86_400 { return t(.hours(s / 3600)) }
        return t(.days(s / 86_400))
    }
}

enum ConsolePage {
    static let contentType = "text/html; charset=utf-8"

    /// The frame of every page after login: header, navigation, the user, the language
    /// switch and logging out, then `body`.
    static func layout(_ page: PageContext, title: String, active: String, body: HTML, script: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        let nav: [HTML] = [("/", ConsoleText.navQueue, "queue"), ("/cameras", .navCameras, "cameras"), ("/stats", .navStats, "stats")].map { href, text, key in
            "<a href=\"\(href)\" class=\"\(key == active ? "active" : "")\">\(page.t(text))</a>"
        }
        let user: HTML = page.session.map { s in
            """
            <span class="who">\(page.t(.signedInAs(user: s.user.name, role: page.term(s.user.role.rawValue))))</span>
            <form method="post" action="/language" class="inline"><input type="hidden" name="language" value="\(page.language == .en ? "zh" : "en")">\(page.csrfField)<button type="submit" class="link" id="language-switch">\(page.t(.otherLanguage))</button></form>
            <form method="post" action="/logout" class="inline">\(page.csrfField)<button type="submit" class="link" id="logout">\(page.t(.logout))</button></form>
            """
        } ?? ""
        let scripts: HTML = script.map { "<script src=\"/assets/\($0)\" defer></script>" } ?? ""
        let html: HTML = """
            <!DOCTYPE html>
            <html lang="\(page.lang)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="csrf-token" content="\(page.csrf)">
            <title>\(title) · \(page.t(.product))</title>
            <link rel="stylesheet" href="/assets/console.css">
            <script src="/assets/console.js" defer></script>
            \(scripts)
            </head>
            <body data-lang="\(page.lang)">
            <header class="top"><span class="brand">\(page.t(.product))</span>\(page.session == nil ? "" : "<nav>\(nav)</nav>" as HTML)<span class="user">\(user)</span></header>
            <main>
            \(body)
            </main>
            </body>
            </html>
            """
        return response(html, status: status)
    }

    static func response(_ html: HTML, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields: HTTPFields = [.contentType: contentType]
        fields.append(contentsOf: headers)
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: html.text)))
    }

    static func redirect(_ location: String, headers: HTTPFields = [:]) -> Response {
        var fields: HTTPFields = [.location: location]
        fields.append(contentsOf: headers)
        return Response(status: .seeOther, headers: fields)
    }

    /// A refusal or failure as a page in the user's language (the API's answer would be JSON).
    static func errorPage(_ error: any Error, language: Language, logger: Logger, path: String) -> Response {
        let status: HTTPResponse.Status
        let reason: String
        switch error {
        case let error as ControlError:
            status = error.status
            reason = error.reason.text(language)
        case let error as HTTPError where error.status == .notFound:
            status = .notFound
            reason = ConsoleText.notFound.text(language)
        case let error as HTTPError:
            status = error.status
            reason = APIMessage.malformedRequest(detail: error.body ?? error.status.reasonPhrase).text(language)
        default:
            logger.error("console page failed", metadata: ["path": "\(path)", "error": "\(error)"])
            status = DiskFull.matches(error) ? .init(code: 507, reasonPhrase: "Insufficient Storage") : .internalServerError
            reason = (DiskFull.matches(error) ? APIMessage.diskFull(directory: nil) : .internalError).text(language)
        }
        let page = PageContext(session: nil, language: language, access: Access(roles: []))
        return layout(page, title: "\(status.code)", active: "", body: """
            <section class="error"><h1>\(status.code)</h1><p class="reason">\(reason)</p><p><a href="/">\(page.t(.backToQueue))</a></p></section>
            """, status: status)
    }
}
