import CFFmpeg

/// Encodes full-resolution frames as JPEG with libavcodec's mjpeg encoder.
/// The encoder is rebuilt when the frame size changes.
public final class JPEGEncoder {
    private var context: UnsafeMutablePointer<AVCodecContext>?
    private var size: (Int32, Int32) = (0, 0)
    private let scaler: Scaler
    private let packet: Packet
    /// Encoders expect increasing timestamps; each picture gets the next one.
    private var nextPTS: Int64 = 0
    /// mjpeg's quantiser scale: 2 (best) to 31 (worst).
    public let quality: Int

    public init(quality: Int = 4) throws(FFmpegError) {
        self.quality = min(31, max(2, quality))
        scaler = try Scaler()
        packet = try Packet()
    }

    private func prepare(width: Int32, height: Int32) throws(FFmpegError) {
        if context != nil, size == (width, height) { return }
        avcodec_free_context(&context)
        nextPTS = 0
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG) else {
            throw FFmpegError(message: "mjpeg encoder not available", function: "avcodec_find_encoder")
        }
        guard let ctx = avcodec_alloc_context3(codec) else {
            throw FFmpegError(message: "out of memory", function: "avcodec_alloc_context3")
        }
        context = ctx
        ctx.pointee.width = width
        ctx.pointee.height = height
        ctx.pointee.pix_fmt = AV_PIX_FMT_YUVJ420P
        // mjpeg wants full-range YUV.
        ctx.pointee.color_range = AVCOL_RANGE_JPEG
        ctx.pointee.time_base = AVRational(num: 1, den: 25)
        ctx.pointee.flags |= AV_CODEC_FLAG_QSCALE
        ctx.pointee.global_quality = Int32(quality) * cff_qp2lambda()
        ctx.pointee.thread_count = 1
        try ffrequire(avcodec_open2(ctx, codec, nil), "avcodec_open2")
        size = (width, height)
    }

    /// The JPEG bytes of `frame` at its full resolution.
    public func encode(_ frame: VideoFrame) throws(FFmpegError) -> [UInt8] {
        let source = frame.frame
        try prepare(width: source.width, height: source.height)
        let yuv = try scaler.scale(source, width: source.width, height: source.height, format: AV_PIX_FMT_YUVJ420P, range: AVCOL_RANGE_JPEG)
        yuv.pointer.pointee.pts = nextPTS
        nextPTS += 1
        yuv.pointer.pointee.quality = context!.pointee.global_quality
        try ffrequire(avcodec_send_frame(context, yuv.pointer), "avcodec_send_frame")
        packet.unref()
        defer { packet.unref() }
        try ffrequire(avcodec_receive_packet(context, packet.pointer), "avcodec_receive_packet")
        let data = packet.pointer.pointee.data!
        return Array(UnsafeBufferPointer(start: data, count: Int(packet.pointer.pointee.size)))
    }

    deinit {
        avcodec_free_context(&context)
    }
}
