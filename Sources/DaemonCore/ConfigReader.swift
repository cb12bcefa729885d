import Foundation
import Yams

/// A configuration error that names the file, the line and the key.
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
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
        ConfigNode(file: file, path: path.isEmpty ? key : "\(path).\(key)", node: node, parentLine: line)
    }

    /// The value under `key` of this mapping (missing if absent).
    subscript(key: String) -> ConfigNode {
        guard let mapping = node?.mapping else { return child(key, nil) }
        for (k, v) in mapping where k.string == key { return child(key, v) }
        return child(key, nil)
    }

    /// Fails on keys this mapping does not know: a typo must not be silently ignored.
    func requireMapping(allowed: Set<String>) throws(ConfigError) {
        if isMissing { return }
        guard let mapping = node?.mapping else { throw error("expected a mapping of keys to values") }
        for (k, _) in mapping {
            let name = k.string ?? "?"
            if !allowed.contains(name) {
                let known = allowed.sorted().joined(separator: ", ")
                throw ConfigError(file: file, line: k.mark?.line, key: path.isEmpty ? name : "\(path).\(name)", message: "unknown key (known keys: \(known))")
            }
        }
    }

    /// The keys of this mapping with their values, in file order.
    func entries() throws(ConfigError) -> [(key: String, value: ConfigNode)] {
        if isMissing { return [] }
        guard let mapping = node?.mapping else { throw error("expected a mapping of keys to values") }
        return mapping.map { k, v in (k.string ?? "?", child(k.string ?? "?", v)) }
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
    /// Parse `text` (from `file`) into its root node, or a ConfigError with the line of the syntax error.
    static func root(text: String, file: String) throws(ConfigError) -> ConfigNode {
        do {
            let node = try Yams.compose(yaml: text)
            return ConfigNode(file: file, path: "", node: node, parentLine: 1)
        } catch let error as YamlError {
            throw ConfigError(file: file, line: line(of: error), key: "", message: "YAML syntax error: \(summary(of: error))")
        } catch {
            throw ConfigError(file: file, line: nil, key: "", message: "YAML syntax error: \(error)")
        }
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case let .scanner(_, _, mark, _), let .parser(_, _, mark, _), let .composer(_, _, mark, _):
            return mark.line
        default:
            return nil
        }
    }

    private static func summary(of error: YamlError) -> String {
        switch error {
        case let .scanner(context, problem, _, _), let .parser(context, problem, _, _), let .composer(context, problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
        default:
            return "\(error)"
        }
    }
}
