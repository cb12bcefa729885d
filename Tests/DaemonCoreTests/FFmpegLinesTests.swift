@testable import DaemonCore
import Foundation
import Logging
import MediaIO
import Synchronization
import Testing

/// Collects log records, for checking what reaches the log.
final class RecordingLog: @unchecked Sendable {
    let records = Mutex<[(Logger.Level, String, Logger.Metadata)]>([])
    var logger: Logger {
        Logger(label: "test") { _ in Handler(log: self) }
    }

    struct Handler: LogHandler {
        let log: RecordingLog
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            log.records.withLock { $0.append((event.level, "\(event.message)", event.metadata ?? [:])) }
        }
    }
}

@Suite(.serialized) struct FFmpegLinesTests {
    @Test func aStreamsLinesWaitForItsStateLineAndOtherRepeatsAreSummarised() {
        let log = RecordingLog()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        // From a camera's thread: debug only, kept for the stream's next "stream down" line.
        FFmpegLines.handle(level: .error, line: "[tcp @ 0x7f00] Connection refused", thread: "cam-gate", logger: log.logger, now: t0)
        #expect(log.records.withLock { $0.allSatisfy { $0.0 == .debug } })
        #expect(FFmpegLines.take(thread: "cam-gate") == "[tcp @ 0x7f00] Connection refused")
        #expect(FFmpegLines.take(thread: "cam-gate") == nil)
        // Elsewhere: once, then counted, then said with the count after the interval.
        let line = "[mjpeg @ 0x55aa] something odd \(UUID())"
        for i in 0..<5 {
            FFmpegLines.handle(level: .error, line: line.replacingOccurrences(of: "0x55aa", with: "0x\(i)"), thread: "", logger: log.logger, now: t0.addingTimeInterval(Double(i)))
        }
        FFmpegLines.handle(level: .error, line: line, thread: "", logger: log.logger, now: t0.addingTimeInterval(FFmpegLines.summaryInterval + 10))
        let warnings = log.records.withLock { $0.filter { $0.0 == .warning } }
        #expect(warnings.count == 2)
        #expect(warnings.last?.2["repeats"] == "5")
    }
}
