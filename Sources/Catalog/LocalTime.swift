import Foundation

/// Times as people read them, formatted by the C library (`localtime_r`, `strftime`) in the
/// daemon's zone (`daemon.timezone`, set as `TZ`). Not Foundation's formatters: those load
/// ICU's locale and zone data, megabytes of resident memory in every daemon for a few dates.
public enum LocalTime {
    /// `2026-12-01 08:30:05`, as in tickets, their history and messages.
    public static func text(_ date: Date) -> String {
        format(date, "%Y-%m-%d %H:%M:%S")
    }

    /// The name of the zone local times are in (`Asia/Shanghai`): `TZ` as `daemon.timezone`
    /// sets it, else the zone `/etc/localtime` links to, else `/etc/timezone`, else `UTC`.
    public static var zoneName: String {
        if let tz = getenv("TZ").map({ String(cString: $0) }).map({ $0.hasPrefix(":") ? String($0.dropFirst()) : $0 }), !tz.isEmpty {
            return tz.hasPrefix("/") ? zoneName(ofFile: tz) ?? "UTC" : tz
        }
        if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/etc/localtime"), let name = zoneName(ofFile: link) {
            return name
        }
        if let text = try? String(contentsOfFile: "/etc/timezone", encoding: .utf8) {
            let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !name.isEmpty { return name }
        }
        return "UTC"
    }

    /// `Asia/Shanghai` of `/usr/share/zoneinfo/Asia/Shanghai` (or `../usr/share/zoneinfo/…`).
    static func zoneName(ofFile path: String) -> String? {
        guard let range = path.range(of: "zoneinfo/") else { return nil }
        let name = String(path[range.upperBound...])
        return name.isEmpty ? nil : name
    }

    /// `date` through `strftime(pattern)`, in local time or in UTC. With `colonOffset`, a
    /// trailing `%z` offset is written `+08:00` (RFC 3339) rather than `+0800`.
    public static func format(_ date: Date, _ pattern: String, utc: Bool = false, colonOffset: Bool = false) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        if utc { gmtime_r(&seconds, &parts) } else { localtime_r(&seconds, &parts) }
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, pattern, &parts)
        var text = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if colonOffset, text.count >= 5 { text.insert(":", at: text.index(text.endIndex, offsetBy: -2)) }
        return text
    }
}
