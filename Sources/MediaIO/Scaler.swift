import CFFmpeg

/// Owns a `SwsContext` converting decoded frames to one output size and format.
/// Rebuilt automatically when the source size or format changes (a camera reconfigured).
final class Scaler {
    private var context: OpaquePointer?
    private let output: Frame
    private var key: (Int32, Int32, Int32, Int32, Int32, Int32) = (0, 0, -1, 0, 0, -1)

    init() throws(FFmpegError) {
        output = try Frame()
    }

    /// Convert `source` to `width`×`height` in `format`; the result lives until the next call.
    func scale(_ source: Frame, width: Int32, height: Int32, format: AVPixelFormat, range: AVColorRange = AVCOL_RANGE_UNSPECIFIED) throws(FFmpegError) -> Frame {
        let newKey = (source.width, source.height, source.format.rawValue, width, height, format.rawValue)
        if newKey != key {
            context = sws_getCachedContext(
                context, source.width, source.height, source.format,
                width, height, format, SWS_BILINEAR, nil, nil, nil)
            guard context != nil else {
                throw FFmpegError(message: "cannot convert \(source.width)x\(source.height) to \(width)x\(height)", function: "sws_getCachedContext")
            }
            output.unref()
            output.pointer.pointee.width = width
            output.pointer.pointee.height = height
            output.pointer.pointee.format = format.rawValue
            output.pointer.pointee.color_range = range
            try ffrequire(av_frame_get_buffer(output.pointer, 0), "av_frame_get_buffer")
            key = newKey
        }
        try ffrequire(av_frame_make_writable(output.pointer), "av_frame_make_writable")
        try ffrequire(sws_scale_frame(context, output.pointer, source.pointer), "sws_scale_frame")
        return output
    }

    deinit {
        sws_freeContext(context)
    }
}

/// Scales decoded frames to the analysis size: gray, a fixed width, height by aspect ratio (even).
public final class GrayScaler {
    private let scaler: Scaler
    public let targetWidth: Int

    public init(width: Int = 320) throws(FFmpegError) {
        scaler = try Scaler()
        targetWidth = width
    }

    public static func outputSize(sourceWidth: Int, sourceHeight: Int, width: Int) -> (width: Int, height: Int) {
        guard sourceWidth > 0, sourceHeight > 0 else { return (width, width * 9 / 16) }
        let w = min(width, sourceWidth)
        var h = Int((Double(sourceHeight) * Double(w) / Double(sourceWidth)).rounded())
        h = max(2, h & ~1)
        return (w, h)
    }

    public func gray(_ frame: VideoFrame) throws(FFmpegError) -> GrayImage {
        let size = Self.outputSize(sourceWidth: frame.width, sourceHeight: frame.height, width: targetWidth)
        let out = try scaler.scale(frame.frame, width: Int32(size.width), height: Int32(size.height), format: AV_PIX_FMT_GRAY8)
        let stride = Int(cff_frame_linesize(out.pointer, 0))
        let base = cff_frame_plane(out.pointer, 0)!
        var pixels = [UInt8](repeating: 0, count: size.width * size.height)
        pixels.withUnsafeMutableBufferPointer { dst in
            for y in 0..<size.height {
                (dst.baseAddress! + y * size.width).update(from: base + y * stride, count: size.width)
            }
        }
        return GrayImage(width: size.width, height: size.height, pixels: pixels)
    }
}
