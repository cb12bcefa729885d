import CFFmpeg

/// Writes pictures we drew ourselves (YUV 4:2:0 planes) to a video file: H.264 through
/// libx264 when FFmpeg has it, MPEG-4 part 2 otherwise, in the container the file name
/// asks for (`.mp4`, `.mkv`, ...). Used by `gridwatchd replay --draw`, never on a camera's
/// path: it encodes.
public final class VideoWriter {
    /// One picture: full-range YUV 4:2:0, planes packed without padding.
    public struct Picture: Sendable {
        public let width: Int
        public let height: Int
        public var y: [UInt8]
        public var u: [UInt8]
        public var v: [UInt8]

        /// A gray picture of `width`×`height` (both even).
        public init(width: Int, height: Int, luma: [UInt8]) {
            precondition(width % 2 == 0 && height % 2 == 0 && luma.count == width * height)
            self.width = width
            self.height = height
            y = luma
            u = [UInt8](repeating: 128, count: width * height / 4)
            v = [UInt8](repeating: 128, count: width * height / 4)
        }
    }

    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private var stream: UnsafeMutablePointer<AVStream>?
    private let frame: Frame
    private let packet: Packet
    private var nextPTS: Int64 = 0
    private var finished = false
    /// The container's header is written: only then may frames and the trailer follow.
    private var headerWritten = false
    public let width: Int
    public let height: Int
    public let path: String

    /// Open `path` for `width`×`height` pictures (even sizes) at `fps` frames per second.
    public init(path: String, width: Int, height: Int, fps: Int) throws(FFmpegError) {
        precondition(width % 2 == 0 && height % 2 == 0 && fps > 0)
        self.path = path
        self.width = width
        self.height = height
        frame = try Frame()
        packet = try Packet()
        try ffrequire(avformat_alloc_output_context2(&format, nil, nil, path), "avformat_alloc_output_context2")
        guard let format else { throw FFmpegError(message: "no container for \(path)", function: "avformat_alloc_output_context2") }
        guard let encoder = avcodec_find_encoder_by_name("libx264") ?? avcodec_find_encoder(AV_CODEC_ID_MPEG4) else {
            throw FFmpegError(message: "no H.264 or MPEG-4 encoder", function: "avcodec_find_encoder")
        }
        guard let ctx = avcodec_alloc_context3(encoder) else { throw FFmpegError(message: "out of memory", function: "avcodec_alloc_context3") }
        codec = ctx
        ctx.pointee.width = Int32(width)
        ctx.pointee.height = Int32(height)
        // Limited range, as cameras send it and every player expects.
        ctx.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        ctx.pointee.color_range = AVCOL_RANGE_MPEG
        if encoder.pointee.id == AV_CODEC_ID_H264 {
            av_opt_set(ctx.pointee.priv_data, "preset", "veryfast", 0)
            av_opt_set(ctx.pointee.priv_data, "crf", "20", 0)
        } else {
            ctx.pointee.bit_rate = Int64(width * height * fps / 4)
        }
        ctx.pointee.time_base = AVRational(num: 1, den: Int32(fps))
        ctx.pointee.framerate = AVRational(num: Int32(fps), den: 1)
        ctx.pointee.gop_size = Int32(fps * 2)
        // No B-frames: every frame decodes in order from the first (no edit list hiding one).
        ctx.pointee.max_b_frames = 0
        ctx.pointee.thread_count = 1
        if format.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            ctx.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        }
        try ffrequire(avcodec_open2(ctx, encoder, nil), "avcodec_open2")
        guard let s = avformat_new_stream(format, nil) else { throw FFmpegError(message: "out of memory", function: "avformat_new_stream") }
        stream = s
        s.pointee.time_base = ctx.pointee.time_base
        try ffrequire(avcodec_parameters_from_context(s.pointee.codecpar, ctx), "avcodec_parameters_from_context")
        try ffrequire(avio_open(&format.pointee.pb, path, AVIO_FLAG_WRITE), "avio_open")
        try ffrequire(avformat_write_header(format, nil), "avformat_write_header")
        headerWritten = true

        frame.pointer.pointee.width = Int32(width)
        frame.pointer.pointee.height = Int32(height)
        frame.pointer.pointee.format = ctx.pointee.pix_fmt.rawValue
        try ffrequire(av_frame_get_buffer(frame.pointer, 0), "av_frame_get_buffer")
    }

    /// Encode one picture (the writer's size) as the next frame.
    public func write(_ picture: Picture) throws(FFmpegError) {
        precondition(picture.width == width && picture.height == height)
        try ffrequire(av_frame_make_writable(frame.pointer), "av_frame_make_writable")
        // Our pictures are full range; the stream is limited range.
        copy(picture.y, plane: 0, width: width, height: height)
        copy(picture.u, plane: 1, width: width / 2, height: height / 2)
        copy(picture.v, plane: 2, width: width / 2, height: height / 2)
        frame.pointer.pointee.pts = nextPTS
        nextPTS += 1
        try ffrequire(avcodec_send_frame(codec, frame.pointer), "avcodec_send_frame")
        try drain()
    }

    private func copy(_ source: [UInt8], plane: Int32, width: Int, height: Int) {
        let base = cff_frame_plane(frame.pointer, plane)!
        let stride = Int(cff_frame_linesize(frame.pointer, plane))
        // Luma 0...255 → 16...235, chroma 0...255 → 16...240 around 128.
        let scale = plane == 0 ? 219 : 224
        source.withUnsafeBufferPointer { src in
            for row in 0..<height {
                let dst = base + row * stride
                for x in 0..<width { dst[x] = UInt8(16 + Int(src[row * width + x]) * scale / 255) }
            }
        }
    }

    private func drain() throws(FFmpegError) {
        while true {
            packet.unref()
            let r = avcodec_receive_packet(codec, packet.pointer)
            if r == cff_averror(EAGAIN) || r == cff_averror_eof() { return }
            try ffrequire(r, "avcodec_receive_packet")
            // Each frame lasts one frame: without it the last frame has no duration and the
            // container's edit list ends before it.
            if packet.pointer.pointee.duration == 0 { packet.pointer.pointee.duration = 1 }
            av_packet_rescale_ts(packet.pointer, codec!.pointee.time_base, stream!.pointee.time_base)
            packet.pointer.pointee.stream_index = stream!.pointee.index
            try ffrequire(av_interleaved_write_frame(format, packet.pointer), "av_interleaved_write_frame")
        }
    }

    /// Flush the encoder and write the file's index. Called once; `deinit` calls it too.
    public func finish() throws(FFmpegError) {
        guard !finished else { return }
        finished = true
        // An init that failed half-way (a folder that does not exist, a container that
        // will not take the codec) has nothing to finish.
        guard headerWritten else { return }
        try ffrequire(avcodec_send_frame(codec, nil), "avcodec_send_frame")
        try drain()
        try ffrequire(av_write_trailer(format), "av_write_trailer")
    }

    deinit {
        if !finished { try? finish() }
        avcodec_free_context(&codec)
        if let format {
            avio_closep(&format.pointee.pb)
            avformat_free_context(format)
        }
    }
}
