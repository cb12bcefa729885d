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

    /// Write `packets` to `path` as MP4 at once: a `Session` given them in one part.
    public static func write(_ packets: [RecordedPacket], parameters: StreamParameters, to path: String,
                             metadata: [(String, String)] = []) throws(FFmpegError) -> ClipSummary {
        let session = try Session(path: path, parameters: parameters, metadata: metadata)
        try session.append(packets)
        return try session.finish()
    }

    /// One MP4 file written as its packets arrive, so that a clip's packets need not be held
    /// in memory until it ends: from the first keyframe that has a timestamp, timestamps
    /// counted from that picture (so the file starts at zero), the index moved to the front
    /// when it is finished (`+faststart`: a browser can play and seek before it has the
    /// whole file), with metadata (MP4 keys such as `title`, `comment`, `creation_time`),
    /// given when it opens or when it finishes. The file is written under
    /// `path + ".partial"` and renamed to `path` only when finished; a session that fails or
    /// is dropped unfinished leaves nothing at either name. One thread at a time.
    public final class Session {
        public let path: String
        private let parameters: StreamParameters
        private var context: UnsafeMutablePointer<AVFormatContext>?
        private var stream: UnsafeMutablePointer<AVStream>?
        private let packet: Packet
        /// Stream time of the first picture written (the file's zero); nil until then.
        private var zero: Double?
        private var lastDTS = Int64.min, lastEnd: Int64 = 0, count = 0
        private var previousTime = 0.0, previousDuration = 0.0
        private var done = false
        /// The file, written through our own buffer: FFmpeg's `file` protocol buffers 256 kB
        /// for writing, and a hundred cameras may each have a clip open.
        private let fd: UnsafeMutablePointer<Int32>
        static let ticks = 90_000.0
        static let bufferSize = 32_768

        /// Opens `path + ".partial"`; nothing is written until the first keyframe.
        public init(path: String, parameters: StreamParameters, metadata: [(String, String)] = []) throws(FFmpegError) {
            self.path = path
            self.parameters = parameters
            packet = try Packet()
            fd = .allocate(capacity: 1)
            fd.initialize(to: -1)
            let partial = path + ".partial"
            do throws(FFmpegError) {
                try ffrequire(avformat_alloc_output_context2(&context, nil, "mp4", partial), "avformat_alloc_output_context2")
                guard let context else { throw FFmpegError(message: "no MP4 muxer", function: "avformat_alloc_output_context2") }
                guard let stream = avformat_new_stream(context, nil) else {
                    throw FFmpegError(message: "out of memory", function: "avformat_new_stream")
                }
                self.stream = stream
                try ffrequire(avcodec_parameters_copy(stream.pointee.codecpar, parameters.pointer), "avcodec_parameters_copy")
                // The demuxer's tag means nothing to MP4: let the muxer choose, except for H.265.
                stream.pointee.codecpar.pointee.codec_tag = stream.pointee.codecpar.pointee.codec_id == AV_CODEC_ID_HEVC ? ClipWriter.hvc1 : 0
                stream.pointee.time_base = AVRational(num: 1, den: Int32(Self.ticks))
                for (key, value) in metadata {
                    try ffrequire(av_dict_set(&context.pointee.metadata, key, value, 0), "av_dict_set")
                }
                fd.pointee = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard fd.pointee >= 0 else {
                    throw FFmpegError(message: "cannot create the clip file: \(String(cString: strerror(errno)))", function: "open")
                }
                let buffer = av_malloc(Self.bufferSize)?.assumingMemoryBound(to: UInt8.self)
                guard let buffer, let pb = avio_alloc_context(buffer, Int32(Self.bufferSize), 1, fd, nil, Self.writeFile, Self.seekFile) else {
                    av_free(buffer)
                    throw FFmpegError(message: "out of memory", function: "avio_alloc_context")
                }
                context.pointee.pb = pb
                context.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
            } catch {
                close(removing: true)
                throw error
            }
        }

        deinit {
            close(removing: !done)
            fd.deallocate()
        }

        private static let writeFile: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32 = { opaque, buffer, size in
            guard let fd = opaque?.load(as: Int32.self), let buffer else { return cff_averror(EINVAL) }
            var done = 0
            while done < Int(size) {
                let n = Glibc.write(fd, buffer + done, Int(size) - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return cff_averror(errno)
                }
                done += n
            }
            return size
        }

        private static let seekFile: @convention(c) (UnsafeMutableRawPointer?, Int64, Int32) -> Int64 = { opaque, offset, whence in
            guard let fd = opaque?.load(as: Int32.self) else { return Int64(cff_averror(EINVAL)) }
            if whence & AVSEEK_SIZE != 0 {
                var st = stat()
                return fstat(fd, &st) == 0 ? Int64(st.st_size) : Int64(cff_averror(errno))
            }
            let at = lseek(fd, off_t(offset), whence & ~AVSEEK_FORCE)
            return at < 0 ? Int64(cff_averror(errno)) : Int64(at)
        }

        /// Packets written so far.
        public var packetsWritten: Int { count }

        /// The next packets of the clip, in stream order. Packets before the first keyframe
        /// that has a timestamp are skipped.
        public func append(_ packets: [RecordedPacket]) throws(FFmpegError) {
            guard let context, let stream, !done else { throw FFmpegError(message: "the clip is closed", function: "ClipWriter.Session.append") }
            for p in packets {
                if zero == nil {
                    guard p.isKeyframe, p.time != nil, let first = p.dts ?? p.pts else { continue }
                    try writeHeader(context)
                    zero = first
                    previousTime = first
                }
                guard let zero else { continue }
                let ticks = Self.ticks
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
        }

        private var headerWritten = false

        private func writeHeader(_ context: UnsafeMutablePointer<AVFormatContext>) throws(FFmpegError) {
            guard !headerWritten else { return }
            var options: OpaquePointer?
            av_dict_set(&options, "movflags", "+faststart", 0)
            let header = avformat_write_header(context, &options)
            av_dict_free(&options)
            try ffrequire(header, "avformat_write_header")
            headerWritten = true
        }

        /// Write the index and `metadata` (keys the muxer writes with the index, such as
        /// `title` and `comment`; `creation_time` must come when the session opens), move the
        /// index to the front and give the file its name. Throws (and leaves nothing) when no
        /// keyframe with a timestamp came.
        public func finish(metadata: [(String, String)] = []) throws(FFmpegError) -> ClipSummary {
            guard let context, !done else { throw FFmpegError(message: "the clip is closed", function: "ClipWriter.Session.finish") }
            guard let zero else {
                close(removing: true)
                throw FFmpegError(message: "no keyframe to start a clip from", function: "ClipWriter.write")
            }
            do throws(FFmpegError) {
                for (key, value) in metadata {
                    try ffrequire(av_dict_set(&context.pointee.metadata, key, value, 0), "av_dict_set")
                }
                try ffrequire(av_write_trailer(context), "av_write_trailer")
                // On disk before it gets its name: a clip named is a clip that plays, even
                // after a power cut.
                if let pb = context.pointee.pb { avio_flush(pb) }
                if fsync(fd.pointee) != 0 {
                    throw FFmpegError(message: "cannot flush the clip to disk: \(String(cString: strerror(errno)))", function: "fsync")
                }
                try closeFile()
                guard rename(path + ".partial", path) == 0 else {
                    throw FFmpegError(message: "cannot rename the finished clip: \(String(cString: strerror(errno)))", function: "rename")
                }
            } catch {
                close(removing: true)
                throw error
            }
            done = true
            close(removing: false)
            let bytes = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
            return ClipSummary(duration: Double(lastEnd) / Self.ticks, bytes: bytes, packets: count, start: zero)
        }

        /// Give up the clip: nothing is left on disk.
        public func abandon() { close(removing: true) }

        /// Flush our buffer and close the file; the error of the last write or of `close`.
        private func closeFile() throws(FFmpegError) {
            var failure: Int32 = 0
            if let context, let pb = context.pointee.pb {
                avio_flush(pb)
                failure = pb.pointee.error
                av_freep(&pb.pointee.buffer)
                var p: UnsafeMutablePointer<AVIOContext>? = pb
                avio_context_free(&p)
                context.pointee.pb = nil
            }
            if fd.pointee >= 0 {
                if Glibc.close(fd.pointee) != 0 && failure == 0 { failure = cff_averror(errno) }
                fd.pointee = -1
            }
            if failure < 0 { throw FFmpegError(code: failure, function: "write") }
        }

        private func close(removing: Bool) {
            try? closeFile()
            if let context {
                avformat_free_context(context)
                self.context = nil
                stream = nil
            }
            if removing {
                done = true
                unlink(path + ".partial")
            }
        }
    }
}
