import CFFmpeg
import Foundation

/// A stream's codec parameters (codec, picture size, the parameter sets a container needs),
/// copied out of FFmpeg so that a clip can be written after the connection that gave them
/// has gone.
///
/// @unchecked Sendable: the copy is written once, in `init`, and only read afterwards
/// (`avcodec_parameters_copy` from it).
public final class StreamParameters: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVCodecParameters>
    /// FFmpeg's codec name (`h264`, `hevc`, ...).
    public let codec: String
    public let width: Int
    public let height: Int

    init(copying source: UnsafePointer<AVCodecParameters>) throws(FFmpegError) {
        guard let copy = avcodec_parameters_alloc() else {
            throw FFmpegError(message: "out of memory", function: "avcodec_parameters_alloc")
        }
        pointer = copy
        let status = avcodec_parameters_copy(copy, source)
        codec = String(cString: avcodec_get_name(source.pointee.codec_id))
        width = Int(source.pointee.width)
        height = Int(source.pointee.height)
        if status < 0 {
            var p: UnsafeMutablePointer<AVCodecParameters>? = copy
            avcodec_parameters_free(&p)
            throw FFmpegError(code: status, function: "avcodec_parameters_copy")
        }
    }

    deinit {
        var p: UnsafeMutablePointer<AVCodecParameters>? = pointer
        avcodec_parameters_free(&p)
    }
}

/// What a written clip holds.
public struct ClipSummary: Sendable, Equatable {
    /// Seconds from the first picture to the end of the last.
    public var duration: Double
    public var bytes: Int
    public var packets: Int
    /// Stream time (seconds) of the clip's first picture: the clip's time zero.
    public var start: Double
}

/// Writes compressed packets into an MP4 file without decoding or encoding them.
public enum ClipWriter {
    /// The MP4 tag for H.265 that browsers and Apple players accept (`hvc1`: parameter sets
    /// in the sample description), where FFmpeg's default is `hev1`.
    static let hvc1 = UInt32(UInt8(ascii: "h")) | UInt32(UInt8(ascii: "v")) << 8 | UInt32(UInt8(ascii: "c")) << 16 | UInt32(UInt8(ascii: "1")) << 24

    /// Write `packets` to `path` as MP4: from the first keyframe that has a timestamp,
    /// timestamps counted from that picture (so the file starts at zero), the index at the
    /// front (`+faststart`: a browser can play and seek before it has the whole file), and
    /// `metadata` (MP4 keys such as `title`, `comment`, `creation_time`). The file is written
    /// under `path + ".partial"` and renamed to `path` only when complete; on failure nothing
    /// is left at either name.
    public static func write(_ packets: [RecordedPacket], parameters: StreamParameters, to path: String,
                             metadata: [(String, String)] = []) throws(FFmpegError) -> ClipSummary {
        guard let first = packets.firstIndex(where: { $0.isKeyframe && $0.time != nil }), let zero = packets[first].dts ?? packets[first].pts else {
            throw FFmpegError(message: "no keyframe to start a clip from", function: "ClipWriter.write")
        }
        let partial = path + ".partial"
        var context: UnsafeMutablePointer<AVFormatContext>?
        var written = false
        defer {
            if let context {
                if context.pointee.pb != nil { avio_closep(&context.pointee.pb) }
                avformat_free_context(context)
            }
            if !written { unlink(partial) }
        }
        try ffrequire(avformat_alloc_output_context2(&context, nil, "mp4", partial), "avformat_alloc_output_context2")
        guard let context else { throw FFmpegError(message: "no MP4 muxer", function: "avformat_alloc_output_context2") }
        guard let stream = avformat_new_stream(context, nil) else {
            throw FFmpegError(message: "out of memory", function: "avformat_new_stream")
        }
        try ffrequire(avcodec_parameters_copy(stream.pointee.codecpar, parameters.pointer), "avcodec_parameters_copy")
        // The demuxer's tag means nothing to MP4: let the muxer choose, except for H.265.
        stream.pointee.codecpar.pointee.codec_tag = stream.pointee.codecpar.pointee.codec_id == AV_CODEC_ID_HEVC ? hvc1 : 0
        let ticks = 90_000.0
        stream.pointee.time_base = AVRational(num: 1, den: Int32(ticks))
        for (key, value) in metadata {
            try ffrequire(av_dict_set(&context.pointee.metadata, key, value, 0), "av_dict_set")
        }
        try ffrequire(avio_open(&context.pointee.pb, partial, AVIO_FLAG_WRITE), "avio_open")
        var options: OpaquePointer?
        av_dict_set(&options, "movflags", "+faststart", 0)
        let header = avformat_write_header(context, &options)
        av_dict_free(&options)
        try ffrequire(header, "avformat_write_header")

        let packet = try Packet()
        var lastDTS = Int64.min, lastEnd: Int64 = 0, count = 0
        var previousTime = zero, previousDuration = 0.0
        for p in packets[first...] {
            // A packet without a timestamp follows the one before it.
            let time = p.dts ?? p.pts ?? previousTime + previousDuration
            var dts = Int64(((time - zero) * ticks).rounded())
            // Strictly increasing, as the muxer requires (a camera's clock can repeat a value).
            if dts <= lastDTS { dts = lastDTS + 1 }
            let pts = max(dts, p.pts.map { Int64((($0 - zero) * ticks).rounded()) } ?? dts)
            let duration = p.duration > 0 ? Int64((p.duration * ticks).rounded()) : 0
            packet.unref()
            try ffrequire(av_new_packet(packet.pointer, Int32(p.data.count)), "av_new_packet")
            p.data.withUnsafeBufferPointer { packet.pointer.pointee.data.update(from: $0.baseAddress!, count: $0.count) }
            packet.pointer.pointee.pts = pts
            packet.pointer.pointee.dts = dts
            packet.pointer.pointee.duration = duration
            packet.pointer.pointee.stream_index = stream.pointee.index
            if p.isKeyframe { packet.pointer.pointee.flags |= AV_PKT_FLAG_KEY }
            try ffrequire(av_interleaved_write_frame(context, packet.pointer), "av_interleaved_write_frame")
            lastDTS = dts
            lastEnd = max(lastEnd, pts + (duration > 0 ? duration : Int64((previousDuration * ticks).rounded())))
            previousTime = time
            previousDuration = p.duration > 0 ? p.duration : previousDuration
            count += 1
        }
        try ffrequire(av_write_trailer(context), "av_write_trailer")
        avio_closep(&context.pointee.pb)
        guard rename(partial, path) == 0 else {
            throw FFmpegError(message: "cannot rename the finished clip: \(String(cString: strerror(errno)))", function: "rename")
        }
        written = true
        let bytes = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
        return ClipSummary(duration: Double(lastEnd) / ticks, bytes: bytes, packets: count, start: zero)
    }
}
