import Foundation
import MediaIO
import Yams

/// A configuration error that names the file, the line and the key.
///
/// It goes to the terminal, the log and the API: it must never repeat configuration text that
/// could hold a password. Messages quote only values that are not secret (numbers, ids, key
/// names) and stream URLs are redacted here once more, in case one slips into a value.
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    public var file: String
    public var line: Int?
    public var key: String
    public var message: String

    public init(file: String, line: Int?, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = Redaction.redact(key)
        self.message = Redaction.redact(message)
    }

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
    }
}

/// Walks a composed YAML tree, keeping each value's key path and line for error messages.
struct ConfigNode {
    let file: String
    let path: String
    let node: Yams.Node?
    /// The line of the nearest enclosing node, for keys that are missing.
    let parentLine: Int?
    /// A mapping's keys and values, taken out once: a camera looks up some 25 keys, and
    /// iterating Yams's pairs copies (retains) both nodes of every pair each time.
    private let keys: [String]
    private let values: [Yams.Node]

    init(file: String, path: String, node: Yams.Node?, parentLine: Int?) {
        self.file = file
        self.path = path
        self.node = node
        self.parentLine = parentLine
        if case .mapping(let mapping)? = node {
            var keys: [String] = [], values: [Yams.Node] = []
            keys.reserveCapacity(mapping.count)
            values.reserveCapacity(mapping.count)
            for (k, v) in mapping {
                keys.append(k.scalar?.string ?? "?")
                values.append(v)
            }
            self.keys = keys
            self.values = values
        } else {
            keys = []
            values = []
        }
    }

    var line: Int? { node?.mark?.line ?? parentLine }

    func error(_ message: String) -> ConfigError {
        ConfigError(file: file, line: line, key: path, message: message)
    }

    var isMissing: Bool {
        guard let node else { return true }
        if case .scalar(let s) = node, s.tag.rawValue == Tag.Name.null.rawValue || (s.style == .plain && (s.string == "~" || s.string == "null" || s.string.isEmpty)) {
            return true
        }
        return false
    }

    private func child(_ key: String, _ node: Yams.Node?) -> ConfigNode {
        ConfigNode(file: file, path: path.isEmpty ? key : path + "." + key, node: node, parentLine: line)
    }

    /// The value under `key` of this mapping (missing if absent).
    subscript(key: String) -> ConfigNode {
        guard let i = keys.firstIndex(of: key) else { return child(key, nil) }
        return child(key, values[i])
    }

    /// Fails on keys this mapping does not know: a typo must not be silently ignored.
    func requireMapping(allowed: Set<String>) throws(ConfigError) {
        if isMissing { return }
        guard let mapping = node?.mapping else { throw error("expected a mapping of keys to values") }
        for (name, k) in zip(keys, mapping.keys) {
            if !allowed.contains(name) {
                let known = allowed.sorted().joined(separator: ", ")
                throw ConfigError(file: file, line: k.mark?.line, key: path.isEmpty ? name : "\(path).\(name)", message: "unknown key (known keys: \(known))")
            }
        }
    }

    /// The keys of this mapping with their values, in file order.
    func entries() throws(ConfigError) -> [(key: String, value: ConfigNode)] {
        if isMissing { return [] }
        guard node?.mapping != nil else { throw error("expected a mapping of keys to values") }
        return zip(keys, values).map { k, v in (k, child(k, v)) }
    }

    func items() throws(ConfigError) -> [ConfigNode] {
        if isMissing { return [] }
        guard let seq = node?.sequence else { throw error("expected a list") }
        return seq.enumerated().map { i, n in
            ConfigNode(file: file, path: "\(path)[\(i)]", node: n, parentLine: line)
        }
    }

    func string() throws(ConfigError) -> String {
        guard !isMissing else { throw error("is required") }
        guard let s = node?.scalar?.string else { throw error("expected a text value") }
        return s
    }

    func string(default value: String) throws(ConfigError) -> String {
        isMissing ? value : try string()
    }

    func optionalString() throws(ConfigError) -> String? {
        isMissing ? nil : try string()
    }

    func double(default value: Double? = nil, range: ClosedRange<Double>? = nil) throws(ConfigError) -> Double {
        if isMissing {
            guard let value else { throw error("is required") }
            return value
        }
        guard let text = node?.scalar?.string, let v = Double(text), v.isFinite else {
            throw error("expected a number, got '\(node?.scalar?.string ?? "a list or mapping")'")
        }
        if let range, !range.contains(v) {
            throw error("\(text) is out of range \(format(range.lowerBound))...\(format(range.upperBound))")
        }
        return v
    }

    func int(default value: Int? = nil, range: ClosedRange<Int>? = nil) throws(ConfigError) -> Int {
        if isMissing {
            guard let value else { throw error("is required") }
            return value
        }
        guard let text = node?.scalar?.string, let v = Int(text) else {
            throw error("expected a whole number, got '\(node?.scalar?.string ?? "a list or mapping")'")
        }
        if let range, !range.contains(v) {
            throw error("\(v) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    /// Seconds, written as a number or with a unit: "90s", "15m", "4h", "30d".
    func duration(default value: Double, range: ClosedRange<Double>) throws(ConfigError) -> Double {
        if isMissing { return value }
        guard let text = node?.scalar?.string.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            throw error("expected a duration such as 90s, 15m, 4h or 30d")
        }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var number = Substring(text), scale = 1.0
        if let last = text.last, let unit = units[last] {
            number = text.dropLast()
            scale = unit
        }
        guard let v = Double(number), v.isFinite else {
            throw error("expected a duration such as 90s, 15m, 4h or 30d, got '\(text)'")
        }
        let seconds = v * scale
        if !range.contains(seconds) {
            throw error("\(text) is out of range \(format(range.lowerBound)) s...\(format(range.upperBound)) s")
        }
        return seconds
    }

    func bool(default value: Bool) throws(ConfigError) -> Bool {
        if isMissing { return value }
        switch node?.scalar?.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("expected true or false, got '\(node?.scalar?.string ?? "a list or mapping")'")
        }
    }

    func choice<T: RawRepresentable & CaseIterable>(default value: T? = nil) throws(ConfigError) -> T where T.RawValue == String {
        if isMissing {
            guard let value else { throw error("is required") }
            return value
        }
        let text = try string()
        guard let v = T(rawValue: text) else {
            throw error("'\(text)' is not one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return v
    }

    private func format(_ d: Double) -> String {
        d == d.rounded() ? String(Int(d)) : String(d)
    }
}

enum YAMLLoader {
    /// Parse `text` (from `file`) into its root node, or a ConfigError with the line of the error.
    ///
    /// No error repeats the file's text: Yams puts the whole document into some of its error
    /// descriptions (a duplicate key printed every password of the file), so only libyaml's
    /// fixed problem texts, lines and key paths are used.
    static func root(text: String, file: String) throws(ConfigError) -> ConfigNode {
        switch compose(text) {
        case .success(let node):
            return ConfigNode(file: file, path: "", node: node, parentLine: 1)
        case .failure(let error):
            throw configError(error, text: text, file: file)
        }
    }

    /// The basic resolver: keys are compared as text (which is how the configuration reads
    /// them), and Yams does not run its regular expressions on every key to hash it.
    private static func compose(_ text: String) -> Result<Yams.Node?, any Error> {
        do {
            return .success(try Yams.compose(yaml: text, .basic))
        } catch {
            return .failure(error)
        }
    }

    private static func configError(_ error: any Error, text: String, file: String) -> ConfigError {
        guard let error = error as? YamlError else {
            return ConfigError(file: file, line: nil, key: "", message: "YAML syntax error (\(type(of: error)))")
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let summary = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
            return ConfigError(file: file, line: mark.line, key: "", message: "YAML syntax error: \(summary)")
        case let .reader(problem, offset, _, _):
            return ConfigError(file: file, line: offset.map { line(atCharacterOffset: $0, in: text) }, key: "", message: "YAML syntax error: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return DuplicateKeyFinder(text: text, file: file).error(key: duplicates.first ?? "", at: context.mark)
        case .dataCouldNotBeDecoded:
            return ConfigError(file: file, line: nil, key: "", message: "YAML syntax error: the text is not valid UTF-8")
        default:
            return ConfigError(file: file, line: nil, key: "", message: "YAML syntax error")
        }
    }

    /// The 1-based line of the `offset`th character (Yams counts reader errors in characters).
    private static func line(atCharacterOffset offset: Int, in text: String) -> Int {
        var line = 1
        for c in text.prefix(offset) where c.isNewline { line += 1 }
        return line
    }
}

/// Yams refuses a mapping with a duplicate key, saying only where the first of them is (and
/// the whole document). To name the key by its path and give the line of the duplicate, the
/// first occurrence is renamed with a marker and the text composed again, until it composes;
/// then the marker is looked for in the tree. Only runs on a file that has duplicates.
struct DuplicateKeyFinder {
    let text: String
    let file: String

    private struct Renamed {
        var marker: String
        var key: String
    }

    private enum Step {
        case key(String)
        case index(Int)
    }

    func error(key: String, at mark: Yams.Mark) -> ConfigError {
        let fallback = ConfigError(file: file, line: mark.line, key: key, message: "duplicate key")
        var scalars = text.unicodeScalars
        var renamed: [Renamed] = []
        let nonce = UUID().uuidString.prefix(8)
        var next: (key: String, mark: Yams.Mark)? = (key, mark)
        // Each round renames one key; a key written n times takes n - 1 rounds.
        for round in 0..<64 {
            guard let (key, mark) = next, !key.isEmpty,
                  let at = Self.index(in: scalars, line: mark.line, column: mark.column),
                  startsKey(scalars[at...], key: key)
            else { return fallback }
            let marker = "gwdup\(nonce)\(round)_"
            scalars.insert(contentsOf: marker.unicodeScalars, at: at)
            renamed.append(Renamed(marker: marker, key: key))
            do {
                guard let root = try Yams.compose(yaml: String(scalars), .basic) else { return fallback }
                return locate(renamed, in: root) ?? fallback
            } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
                next = (duplicates.first ?? "", context.mark)
            } catch {
                return fallback
            }
        }
        return fallback
    }

    /// Plain keys start at their mark; quoted ones with their quote.
    private func startsKey(_ rest: Substring.UnicodeScalarView, key: String) -> Bool {
        if rest.starts(with: key.unicodeScalars) { return true }
        return rest.first == "\"" || rest.first == "'"
    }

    /// Finds the mapping holding the first renamed key: the duplicate is the next key of the
    /// same name in it.
    private func locate(_ renamed: [Renamed], in root: Yams.Node) -> ConfigError? {
        let first = renamed[0]
        func original(_ key: String) -> String {
            for r in renamed where key.hasPrefix(r.marker) { return String(key.dropFirst(r.marker.count)) }
            return key
        }
        var path: [Step] = []
        func walk(_ node: Yams.Node) -> ConfigError? {
            switch node {
            case .mapping(let mapping):
                if let firstKey = mapping.keys.first(where: { $0.string?.hasPrefix(first.marker) == true }) {
                    let second = mapping.keys
                        .filter { $0 != firstKey && $0.string.map(original) == first.key }
                        .compactMap(\.mark)
                        .min { ($0.line, $0.column) < ($1.line, $1.column) }
                    guard let firstLine = firstKey.mark?.line, let second else { return nil }
                    path.append(.key(first.key))
                    return ConfigError(file: file, line: second.line, key: Self.format(path), message: "duplicate key (first at line \(firstLine))")
                }
                for (k, v) in mapping {
                    path.append(.key(k.string.map(original) ?? "?"))
                    if let found = walk(v) { return found }
                    path.removeLast()
                }
            case .sequence(let sequence):
                for (i, item) in sequence.enumerated() {
                    path.append(.index(i))
                    if let found = walk(item) { return found }
                    path.removeLast()
                }
            case .scalar, .alias:
                break
            }
            return nil
        }
        return walk(root)
    }

    /// As `ConfigNode` writes paths: `cameras[3].zones[0].name`.
    private static func format(_ path: [Step]) -> String {
        var text = ""
        for step in path {
            switch step {
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            case .index(let i): text += "[\(i)]"
            }
        }
        return text
    }

    /// The position of libyaml's 1-based line and column (counted in Unicode scalars; line
    /// breaks are CR, LF, CR LF, NEL, LS and PS; a byte order mark is not counted).
    static func index(in scalars: String.UnicodeScalarView, line: Int, column: Int) -> String.UnicodeScalarView.Index? {
        var i = scalars.startIndex
        if scalars.first == "\u{FEFF}" { i = scalars.index(after: i) }
        var currentLine = 1
        while currentLine < line {
            guard i < scalars.endIndex else { return nil }
            let c = scalars[i]
            i = scalars.index(after: i)
            if c == "\r", i < scalars.endIndex, scalars[i] == "\n" { i = scalars.index(after: i) }
            if isBreak(c) { currentLine += 1 }
        }
        for _ in 1..<max(column, 1) {
            guard i < scalars.endIndex, !isBreak(scalars[i]) else { return nil }
            i = scalars.index(after: i)
        }
        return i
    }

    private static func isBreak(_ c: Unicode.Scalar) -> Bool {
        c == "\n" || c == "\r" || c == "\u{85}" || c == "\u{2028}" || c == "\u{2029}"
    }
}
