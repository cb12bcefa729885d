import CFFmpeg
import CFFmpegLog
import Synchronization

/// Routes FFmpeg's own log lines to a Swift handler, with credentials redacted.
public enum FFmpegLog {
    public enum Level: Sendable { case error, warning, info, debug }

    private static let handler = Mutex<(@Sendable (Level, String) -> Void)?>(nil)

    /// Install `handler` for FFmpeg messages up to `maxLevel`.
    public static func install(maxLevel: Level = .warning, _ handler: @escaping @Sendable (Level, String) -> Void) {
        self.handler.withLock { $0 = handler }
        let avLevel: Int32 = switch maxLevel {
        case .error: AV_LOG_ERROR
        case .warning: AV_LOG_WARNING
        case .info: AV_LOG_INFO
        case .debug: AV_LOG_DEBUG
        }
        cfflog_install({ level, line in
            guard let line else { return }
            FFmpegLog.deliver(level: level, line: String(cString: line))
        }, avLevel)
    }

    static func deliver(level: Int32, line: String) {
        let mapped: Level = level <= AV_LOG_ERROR ? .error : level <= AV_LOG_WARNING ? .warning : level <= AV_LOG_INFO ? .info : .debug
        let h = handler.withLock { $0 }
        h?(mapped, Redaction.redact(line))
    }
}
