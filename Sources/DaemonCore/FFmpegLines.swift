import Foundation
import Logging
import MediaIO
import Synchronization

/// FFmpeg's own log lines, routed so a failing camera says each thing once.
///
/// A line from a camera's stream thread (named `cam-<id>` or `rec-<id>`) is that stream's
/// detail: it goes to debug, and the stream's next "stream down" line carries it
/// (`ffmpeg` field), so a dead camera logs one line per change of state rather than
/// FFmpeg's warning and ours on every retry. Any other line (the JPEG encoder, the replay)
/// is logged the first time; the same line again (addresses aside) is counted and said with
/// its count at most once every `summaryInterval`.
enum FFmpegLines {
    static let summaryInterval: TimeInterval = 600

    private struct Seen {
        var lastLogged: Date
        var since = 0
    }

    private static let lastByStream = Mutex<[String: (line: String, at: Date)]>([:])
    private static let seen = Mutex<[String: Seen]>([:])
    /// Distinct lines remembered at most (the oldest said is forgotten first).
    static let maxRemembered = 256
    /// A stream's line older than this is not its latest failure's detail.
    static let detailFor: TimeInterval = 60

    /// Install as FFmpeg's log handler (errors only reach it: `maxLevel: .error`).
    static func install(logger: Logger) {
        FFmpegLog.install(maxLevel: .error) { level, line in
            handle(level: level, line: line.trimmingCharacters(in: .whitespacesAndNewlines), thread: currentStream, logger: logger)
        }
    }

    static func handle(level: FFmpegLog.Level, line: String, thread: String, logger: Logger, now: Date = Date()) {
        if thread.hasPrefix("cam-") || thread.hasPrefix("rec-") {
            lastByStream.withLock { $0[thread] = (line, now) }
            logger.debug("ffmpeg", metadata: ["ffmpeg.message": "\(line)", "thread": "\(thread)"])
            return
        }
        guard level == .error else {
            logger.debug("ffmpeg", metadata: ["ffmpeg.message": "\(line)"])
            return
        }
        let key = kind(line)
        let say = seen.withLock { seen -> Int? in
            guard var entry = seen[key] else {
                if seen.count >= maxRemembered, let oldest = seen.min(by: { $0.value.lastLogged < $1.value.lastLogged })?.key {
                    seen[oldest] = nil
                }
                seen[key] = Seen(lastLogged: now)
                return 0
            }
            entry.since += 1
            defer { seen[key] = entry }
            guard now.timeIntervalSince(entry.lastLogged) >= summaryInterval else { return nil }
            let count = entry.since
            entry.lastLogged = now
            entry.since = 0
            return count
        }
        guard let say else { return }
        var metadata: Logger.Metadata = ["ffmpeg.message": "\(line)"]
        if say > 0 { metadata["repeats"] = "\(say)" }
        logger.warning("ffmpeg", metadata: metadata)
    }

    /// The stream the calling thread runs (`StreamRunner` marks its thread), or "".
    static var currentStream: String {
        Thread.current.threadDictionary[streamKey] as? String ?? ""
    }

    static let streamKey = "gridwatch.stream"

    /// FFmpeg's last line from `thread` since the last call, for the stream's own log line.
    static func take(thread: String, now: Date = Date()) -> String? {
        guard let entry = lastByStream.withLock({ $0.removeValue(forKey: thread) }), now.timeIntervalSince(entry.at) < detailFor else { return nil }
        return entry.line
    }

    /// The line without the object addresses FFmpeg prefixes (`[tcp @ 0x7f…]`).
    static func normalised(_ line: String) -> String {
        line.replacing(/\s@\s0x[0-9a-fA-F]+/, with: "")
    }

    /// The line as a kind of message: addresses gone and every number one `#`, so
    /// "error while decoding MB 12 34" is one line however often the numbers change.
    static func kind(_ line: String) -> String {
        normalised(line).replacing(/[0-9]+/, with: "#")
    }
}
