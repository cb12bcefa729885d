import Foundation

/// The language operator-facing text is rendered in. Every message has a Chinese and an
/// English entry (`zh.swift`, `en.swift`); `bilingual` is Chinese then English, for readers
/// whose language is not known (a log read by whoever is on call, an API client that sent no
/// `Accept-Language`).
public enum Language: String, Sendable, CaseIterable, Codable {
    case zh
    case en
    case bilingual

    /// From a POSIX locale as gettext reads it: `LC_ALL`, then `LC_MESSAGES`, then `LANG`
    /// (the first that is set and not empty). `zh*` is Chinese; any other named language is
    /// English; no locale, `C` or `POSIX` is `fallback`.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment,
                                       fallback: Language) -> Language {
        let locale = [env["LC_ALL"], env["LC_MESSAGES"], env["LANG"]].compactMap { $0 }.first { !$0.isEmpty } ?? ""
        let lower = locale.lowercased()
        if lower.hasPrefix("zh") { return .zh }
        if lower.isEmpty || lower == "c" || lower.hasPrefix("c.") || lower == "posix" { return fallback }
        return .en
    }

    /// The language an HTTP client asked for (RFC 9110 §12.5.4): the acceptable range with the
    /// highest weight that we have (`zh`, `zh-CN`, `zh-Hans-CN` … are Chinese; `en`, `en-US`
    /// … English; `*` whichever we prefer, Chinese). No header, an empty or malformed one,
    /// or one naming only languages we lack gives `bilingual`. Ties keep the header's order.
    public static func negotiate(acceptLanguage header: String?) -> Language {
        guard let header, !header.trimmingCharacters(in: .whitespaces).isEmpty else { return .bilingual }
        // Each language's weight and place in the header; `*` speaks for the languages the
        // header does not name (RFC 9110 §12.5.4), Chinese first.
        var named: [Language: (weight: Double, place: Int)] = [:]
        var star: (weight: Double, place: Int)?
        for (place, item) in header.split(separator: ",").enumerated() {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let range = parts.first?.lowercased(), !range.isEmpty else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if pair.count == 2, pair[0].lowercased() == "q" {
                    guard let q = Double(pair[1]), (0...1).contains(q) else { weight = -1; break }
                    weight = q
                }
            }
            guard weight >= 0 else { continue }
            let language: Language? =
                range == "zh" || range.hasPrefix("zh-") ? .zh
                : range == "en" || range.hasPrefix("en-") ? .en
                : nil
            if range == "*" {
                if star == nil { star = (weight, place) }
            } else if let language, named[language] == nil {
                named[language] = (weight, place)
            }
        }
        var best: (language: Language, weight: Double, place: Int)?
        for language in [Language.zh, .en] {
            guard let w = named[language] ?? star, w.weight > 0 else { continue }
            if best == nil || w.weight > best!.weight || (w.weight == best!.weight && w.place < best!.place) {
                best = (language, w.weight, w.place)
            }
        }
        return best?.language ?? .bilingual
    }

    /// The daemon's own log lines and startup errors: the language of its locale (a systemd
    /// unit inherits the machine's `LANG`), both when the locale names none.
    public static let log = fromEnvironment(fallback: .bilingual)

    /// The `Content-Language` of an answer in this language.
    public var contentLanguage: String {
        switch self {
        case .zh: "zh-CN"
        case .en: "en"
        case .bilingual: "zh-CN, en"
        }
    }
}

/// Something that reads in each language: a message of the catalogue.
public protocol Localized: Sendable {
    /// The Chinese entry (`zh.swift`).
    var zh: String { get }
    /// The English entry (`en.swift`).
    var en: String { get }
}

extension Localized {
    /// This message in `language`; bilingual is "中文 / English".
    public func text(_ language: Language) -> String {
        switch language {
        case .zh: zh
        case .en: en
        case .bilingual: zh == en ? zh : "\(zh) / \(en)"
        }
    }
}
