import Foundation
import Catalog
import Logging
import Synchronization

/// Log lines on standard error, in one of two shapes:
/// - to the journal (systemd sets `JOURNAL_STREAM` to standard error's device and inode):
///   `<3>message key=value`, a syslog priority prefix and no time stamp (the journal adds
///   its own), so `journalctl -p err` selects by level;
/// - otherwise, for people: `2026-11-24T01:10:11+0000 notice message key=value`.
public struct DaemonLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let journal: Bool
    private static let lock = Mutex(())

    public init(logLevel: Logger.Level, journal: Bool) {
        self.logLevel = logLevel
        self.journal = journal
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The syslog priority of a level (sd-daemon(3)).
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Whether standard error is the journal: `JOURNAL_STREAM` ("device:inode") names it.
    public static func stderrIsJournal(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(STDERR_FILENO, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    public static func line(level: Logger.Level, message: String, metadata: Logger.Metadata, journal: Bool, time: Date = Date()) -> String {
        let fields = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        // One record per line, and nothing that acts on a terminal: every control character
        // (a newline would start a new journal entry; ESC, CR, NUL, DEL and the C1 range could
        // rewrite what an administrator sees) is written as an escape.
        let text = escape(message + (fields.isEmpty ? "" : " " + fields))
        if journal { return "<\(priority(level))>\(text)\n" }
        let stamp = LocalTime.format(time, "%Y-%m-%dT%H:%M:%S%z")
        return "\(stamp) \(level) \(text)\n"
    }

    /// `text` with each control character (U+0000–U+001F, U+007F–U+009F) and the backslash
    /// written as an escape: `\n`, `\r`, `\t`, `\\`, else `\u{1B}`.
    public static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "\\" }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value):
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let text = Self.line(level: event.level, message: "\(event.message)", metadata: all, journal: journal)
        Self.lock.withLock { _ in
            FileHandle.standardError.write(Data(text.utf8))
        }
    }
}
