import CFFmpeg

/// Owns one `AVPacket`.
final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() throws(FFmpegError) {
        guard let p = av_packet_alloc() else { throw FFmpegError(message: "out of memory", function: "av_packet_alloc") }
        pointer = p
    }

    /// A new reference to `other`'s data (no copy where it is reference-counted).
    convenience init(referencing other: Packet) throws(FFmpegError) {
        try self.init()
        try ffrequire(av_packet_ref(pointer, other.pointer), "av_packet_ref")
    }

    func unref() { av_packet_unref(pointer) }

    deinit {
        var p: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&p)
    }
}

/// Owns one `AVFrame`. Decoded frames leave MediaIO only inside a `VideoFrame`.
final class Frame {
    let pointer: UnsafeMutablePointer<AVFrame>

    init() throws(FFmpegError) {
        guard let f = av_frame_alloc() else { throw FFmpegError(message: "out of memory", function: "av_frame_alloc") }
        pointer = f
    }

    var width: Int32 { pointer.pointee.width }
    var height: Int32 { pointer.pointee.height }
    var format: AVPixelFormat { AVPixelFormat(rawValue: pointer.pointee.format) }

    func unref() { av_frame_unref(pointer) }

    deinit {
        var f: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&f)
    }
}

/// A decoded picture at full resolution, with its presentation time in seconds.
/// The pixels stay in FFmpeg's buffer (reference counted); MediaIO's scaler and
/// JPEG encoder read them, nothing else does.
public final class VideoFrame {
    let frame: Frame
    /// Presentation time in seconds on the stream's clock (continuous across file loops).
    public let time: Double
    /// 0-based index of this frame among all the decoder produced, in decode order.
    public let index: Int
    /// Seconds between reading this frame's packet and decoding it (a batch held it).
    public let waited: Double
    public var width: Int { Int(frame.width) }
    public var height: Int { Int(frame.height) }
    /// Whether its packet was marked a keyframe: the mark decode-on-demand goes by, so
    /// owner and reader agree on which frames are keyframes.
    public let isKeyframe: Bool

    init(frame: Frame, time: Double, index: Int, waited: Double = 0, isKeyframe: Bool = false) {
        self.frame = frame
        self.time = time
        self.index = index
        self.waited = waited
        self.isKeyframe = isKeyframe
    }
}

/// An 8-bit gray picture, rows packed without padding, with its colour at half size
/// when the source has any. The only form in which pixels leave MediaIO.
public struct GrayImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]
    /// Cb and Cr at (width / 2)×(height / 2), 128 is no colour; empty for gray sources.
    public var u: [UInt8] = []
    public var v: [UInt8] = []

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height, "pixel count does not match size")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}
