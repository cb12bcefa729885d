import CFFmpeg
#if canImport(Glibc)
import Glibc
#endif

/// A failed FFmpeg call: the return code, FFmpeg's message for it, and the function that returned it.
public struct FFmpegError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Why a call failed, where it is not just "FFmpeg said so".
    public enum Reason: Sendable, Equatable {
        /// FFmpeg returned `code`.
        case ffmpeg
        /// Our own deadline interrupted an open or a read.
        case timedOut
        /// No frame with an advancing timestamp arrived within the stall timeout.
        case stalled
        /// The owner asked the stream to stop.
        case stopped
        /// Something FFmpeg did not fail on but we cannot use (no video stream ...).
        case unusable
    }

    public let code: Int32
    public let message: String
    public let function: String
    public let reason: Reason

    public init(code: Int32, function: String) {
        self.code = code
        self.function = function
        self.message = FFmpegError.describe(code)
        self.reason = .ffmpeg
    }

    /// An error that did not come from an FFmpeg return code.
    public init(message: String, function: String, reason: Reason = .unusable) {
        self.code = 0
        self.function = function
        self.message = message
        self.reason = reason
    }

    public var description: String { "\(function): \(message)" }

    static func describe(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        cff_err2str(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// What kind of failure this is, for a person: the catalogue says each in their language
    /// (FFmpeg's own text is English only).
    public enum Kind: Sendable, Equatable {
        case refused, reset, unreachable, timedOut, stalled, authFailed, notFound, forbidden, badData, noSuchFile, unusable, other
    }

    public var kind: Kind {
        switch reason {
        case .timedOut: return .timedOut
        case .stalled: return .stalled
        case .unusable, .stopped: return .unusable
        case .ffmpeg: break
        }
        switch code {
        case cff_averror_http_unauthorized(): return .authFailed
        case cff_averror_http_forbidden(): return .forbidden
        case cff_averror_http_not_found(): return .notFound
        case cff_averror(ECONNREFUSED): return .refused
        case cff_averror(ECONNRESET), cff_averror(ECONNABORTED), cff_averror(EPIPE), cff_averror_eof(): return .reset
        case cff_averror(EHOSTUNREACH), cff_averror(EHOSTDOWN), cff_averror(ENETUNREACH), cff_averror(ENETDOWN): return .unreachable
        case cff_averror(ETIMEDOUT): return .timedOut
        case cff_averror(ENOENT): return .noSuchFile
        case cff_averror_invaliddata(): return .badData
        default: return .other
        }
    }

    /// The camera refused our credentials (RTSP 401 or 403).
    public var isAuthenticationFailure: Bool {
        code == cff_averror_http_unauthorized() || code == cff_averror_http_forbidden()
    }

    /// Nothing usable answered at the network level: the connection was refused, reset or
    /// cut, the host is unreachable, or an open or a read ran out of time. A camera that is
    /// rebooting or behind a broken link fails like this; one that answers but refuses or
    /// sends something unusable does not.
    public var isUnanswered: Bool {
        switch reason {
        case .timedOut, .stalled: return true
        case .stopped, .unusable: return false
        case .ffmpeg: break
        }
        let network = [ECONNREFUSED, ECONNRESET, ECONNABORTED, EHOSTUNREACH, EHOSTDOWN, ENETUNREACH, ENETDOWN, ETIMEDOUT, EPIPE, EIO]
        return code == cff_averror_eof() || network.contains { code == cff_averror($0) }
    }
}

/// What a non-failing FFmpeg call reported: a value, "try again" or end of stream.
enum FFmpegResult: Equatable {
    case ok(Int32)
    case again
    case endOfFile
}

/// The one gate every FFmpeg return code passes through, shaped like NIO's `syscall`:
/// negative codes throw, except EAGAIN and EOF, which are results.
@discardableResult
func ffcheck(_ code: Int32, _ function: StaticString = #function) throws(FFmpegError) -> FFmpegResult {
    if code >= 0 { return .ok(code) }
    if code == cff_averror(EAGAIN) { return .again }
    if code == cff_averror_eof() { return .endOfFile }
    throw FFmpegError(code: code, function: "\(function)")
}

/// For calls where EAGAIN and EOF are errors too (opening, allocating, configuring).
func ffrequire(_ code: Int32, _ function: StaticString = #function) throws(FFmpegError) {
    if code < 0 { throw FFmpegError(code: code, function: "\(function)") }
}
