import CFFmpeg

/// A failed FFmpeg call: the return code, FFmpeg's message for it, and the function that returned it.
public struct FFmpegError: Error, CustomStringConvertible, Sendable, Equatable {
    public let code: Int32
    public let message: String
    public let function: String

    public init(code: Int32, function: String) {
        self.code = code
        self.function = function
        self.message = FFmpegError.describe(code)
    }

    /// An error that did not come from an FFmpeg return code (missing stream, unknown codec ...).
    public init(message: String, function: String) {
        self.code = 0
        self.function = function
        self.message = message
    }

    public var description: String { "\(function): \(message)" }

    static func describe(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        cff_err2str(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var isEndOfFile: Bool { code == cff_averror_eof() }
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
