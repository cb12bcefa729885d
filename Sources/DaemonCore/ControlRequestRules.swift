import Catalog
import Foundation
import Hummingbird
import HTTPTypes
import Synchronization

/// Text a person typed (a note, an assignee, a reason) or a query parameter: no control
/// characters. C0 (U+0000–U+001F, tab and line breaks included), DEL and C1 (U+0080–U+009F)
/// could forge log lines, rewrite a terminal that shows them (ESC, CSI) or cut a value short
/// (NUL) further down; none belongs in a one-line field. A note is a handling report and
/// may run over several lines: it may hold line feeds and tabs (logs escape them).
enum PlainText {
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// The first control character and its position (in characters' scalars), if any.
    static func firstControl(in text: String, allowingLines: Bool = false) -> (scalar: Unicode.Scalar, offset: Int)? {
        for (offset, scalar) in text.unicodeScalars.enumerated() where isControl(scalar) {
            if allowingLines && (scalar == "\n" || scalar == "\t") { continue }
            return (scalar, offset)
        }
        return nil
    }

    static func hex(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// A 400 naming `field` when `text` holds a control character (line feeds and tabs are
    /// allowed where `allowingLines`).
    static func check(_ text: String?, field: String, allowingLines: Bool = false) throws {
        guard let text, let found = firstControl(in: text, allowingLines: allowingLines) else { return }
        throw ControlError.badRequest(.controlCharacter(field: field, scalar: hex(found.scalar), offset: found.offset, linesAllowed: allowingLines))
    }

    /// Whether `text` has nothing but white space, as ECMA-262's `\\s` reads it (the API's
    /// schema says "non-blank" with `\\S`, so the two agree on every character).
    static func isBlank(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { s in
            switch s.value {
            case 0x09...0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF: true
            default: false
            }
        }
    }

    /// A number written in plain decimal digits only (no sign, no spaces, no radix prefix):
    /// Swift's `Int64("+5")` is 5, and `/v1/tickets/+5` must not be ticket 5. Nil past Int64.
    static func digits(_ text: String) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return Int64(text)
    }
}

/// Request bodies are JSON (RFC 8259: UTF-8). A `Content-Type` naming anything else is a 415
/// (RFC 9110 §15.5.16); a body without one is read as JSON.
enum JSONMediaType {
    static func check(_ contentType: String?) throws {
        guard let contentType else { return }
        let parts = contentType.split(separator: ";", omittingEmptySubsequences: false)
        let type = parts[0].trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/json" else {
            throw ControlError.unsupportedMediaType(.notJSON(contentType: contentType))
        }
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "charset" else { continue }
            let charset = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")).lowercased()
            guard charset == "utf-8" || charset == "utf8" else {
                throw ControlError.unsupportedMediaType(.notUTF8(charset: pair[1]))
            }
        }
    }
}

/// Query strings are percent-encoded UTF-8 (RFC 3986 §2.1). Hummingbird keeps a value whose
/// escapes do not decode as it was sent, so `q=%ZZ` searched for the text "%ZZ": here a bad
/// escape, escapes that decode to bytes that are not UTF-8, or a control character are a 400
/// naming the parameter, before any route reads it.
struct QueryValidationMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let query = request.uri.query { try Self.check(query) }
        return try await next(request, context)
    }

    /// Percent-decode `text` into a string, or say what is wrong with it.
    static func decode(_ text: Substring) -> Result<String, QueryProblem> {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var i = text.utf8.startIndex
        let utf8 = text.utf8
        func hexValue(_ b: UInt8) -> UInt8? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        while i != utf8.endIndex {
            let b = utf8[i]
            if b == UInt8(ascii: "%") {
                let first = utf8.index(after: i)
                let second = first == utf8.endIndex ? first : utf8.index(after: first)
                guard first != utf8.endIndex, second != utf8.endIndex, let high = hexValue(utf8[first]), let low = hexValue(utf8[second]) else {
                    let end = utf8.index(i, offsetBy: min(3, utf8.distance(from: i, to: utf8.endIndex)))
                    return .failure(.badEscape(String(decoding: utf8[i..<end], as: UTF8.self)))
                }
                bytes.append(high << 4 | low)
                i = utf8.index(after: second)
            } else {
                bytes.append(b)
                i = utf8.index(after: i)
            }
        }
        let decoded = String(decoding: bytes, as: UTF8.self)
        guard decoded.utf8.elementsEqual(bytes) else { return .failure(.notUTF8) }
        if let found = PlainText.firstControl(in: decoded) { return .failure(.control(found.scalar)) }
        return .success(decoded)
    }

    static func check(_ query: String) throws {
        for pair in query.split(separator: "&") {
            let name = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let value = pair.dropFirst(name.count + 1)
            for part in [name, value] {
                guard case let .failure(problem) = decode(part) else { continue }
                let parameter = String(name)
                let message: APIMessage = switch problem {
                case let .badEscape(escape): .queryBadEscape(parameter: parameter, escape: escape)
                case .notUTF8: .queryNotUTF8(parameter: parameter)
                case let .control(scalar): .queryControlCharacter(parameter: parameter, scalar: PlainText.hex(scalar))
                }
                throw ControlError.badRequest(message)
            }
        }
    }
}

enum QueryProblem: Error, Equatable {
    case badEscape(String)
    case notUTF8
    case control(Unicode.Scalar)
}

/// The paths and methods the router serves, to tell "no such path" (404) from "not with this
/// method" (405 with `Allow`, RFC 9110 §15.5.6). Filled once the routes are added. A path is
/// matched as Hummingbird's trie matches it: segment by segment, a literal before a
/// parameter, so `POST /v1/tickets/5/snapshot` is the GET-only snapshot path, not an action.
final class RouteTable: Sendable {
    private struct Route: Sendable {
        var segments: [String]
        var method: String
    }

    private let routes = Mutex<[Route]>([])

    func load(_ descriptions: [Router<ControlContext>.RouteDescription]) {
        // A parameter reads "{id}" (":id" where it was declared); both become ":".
        let loaded = descriptions.map { route in
            Route(
                segments: "\(route.path)".split(separator: "/").map { $0.hasPrefix(":") || ($0.hasPrefix("{") && $0.hasSuffix("}")) ? ":" : String($0) },
                method: route.method.rawValue)
        }
        routes.withLock { $0 = loaded }
    }

    /// The methods served at `path` (HEAD wherever GET is), sorted; empty for an unknown path.
    func methods(for path: String) -> [String] {
        let parts = path.split(separator: "/").map(String.init)
        let all = routes.withLock { $0 }
        // A literal segment (1) outranks a parameter (0), leftmost first.
        func rank(_ segments: [String]) -> [Int] { segments.map { $0 == ":" ? 0 : 1 } }
        let matching = all.filter { route in
            route.segments.count == parts.count && zip(route.segments, parts).allSatisfy { $0 == ":" || $0 == $1 }
        }
        guard let best = matching.map(\.segments).max(by: { rank($0).lexicographicallyPrecedes(rank($1)) }) else { return [] }
        var methods = Set(matching.filter { $0.segments == best }.map(\.method))
        if methods.contains("GET") { methods.insert("HEAD") }
        return methods.sorted()
    }
}

/// Times in query strings, as the API's schema says (`format: date` or `format: date-time`,
/// RFC 3339 §5.6): every valid one is taken, nothing else. A date is local midnight.
enum TimeText {
    static func parse(_ text: String, timeZone: TimeZone = .current) -> Date? {
        let b = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var n = 0
            for i in from..<(from + count) {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                n = n * 10 + Int(b[i] - 48)
            }
            return n
        }
        guard b.count >= 10, let year = number(0, 4), b[4] == UInt8(ascii: "-"), let month = number(5, 2), b[7] == UInt8(ascii: "-"),
              let day = number(8, 2), (1...12).contains(month) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let monthLength = calendar.range(of: .day, in: .month, for: calendar.date(from: DateComponents(year: year, month: month, day: 1))!)?.count ?? 31
        guard (1...monthLength).contains(day) else { return nil }
        if b.count == 10 {
            return calendar.date(from: DateComponents(year: year, month: month, day: day))
        }
        guard b.count >= 20, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
              let hour = number(11, 2), b[13] == UInt8(ascii: ":"), let minute = number(14, 2), b[16] == UInt8(ascii: ":"),
              let second = number(17, 2), hour <= 23, minute <= 59, second <= 60 else { return nil }
        var i = 19
        var fraction = 0.0
        if b[i] == UInt8(ascii: ".") {
            var scale = 0.1
            i += 1
            let start = i
            while i < b.count, b[i] >= 48 && b[i] <= 57 {
                fraction += Double(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        let offset: Int
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            guard i + 1 == b.count else { return nil }
            offset = 0
        } else {
            guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), i + 6 == b.count, let oh = number(i + 1, 2), b[i + 3] == UInt8(ascii: ":"),
                  let om = number(i + 4, 2), oh <= 23, om <= 59 else { return nil }
            offset = (b[i] == UInt8(ascii: "-") ? -1 : 1) * (oh * 3600 + om * 60)
        }
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        // A leap second (…:60) is the next second's start.
        guard let base = utc.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: min(second, 59))) else { return nil }
        return base.addingTimeInterval(Double(second == 60 ? 1 : 0) + fraction - Double(offset))
    }
}
