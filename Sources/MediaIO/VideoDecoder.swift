import CFFmpeg

/// Owns an `AVCodecContext` opened for decoding the input's video stream.
final class VideoDecoder {
    private var context: UnsafeMutablePointer<AVCodecContext>?

    init(parameters: UnsafeMutablePointer<AVCodecParameters>, threads: Int) throws(FFmpegError) {
        guard let codec = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw FFmpegError(message: "no decoder for \(String(cString: avcodec_get_name(parameters.pointee.codec_id)))", function: "avcodec_find_decoder")
        }
        guard let ctx = avcodec_alloc_context3(codec) else {
            throw FFmpegError(message: "out of memory", function: "avcodec_alloc_context3")
        }
        context = ctx
        try ffrequire(avcodec_parameters_to_context(ctx, parameters), "avcodec_parameters_to_context")
        ctx.pointee.thread_count = Int32(max(1, threads))
        try ffrequire(avcodec_open2(ctx, codec, nil), "avcodec_open2")
    }

    /// Feed one packet (nil flushes at end of stream).
    /// Corrupt data is reported as an error the caller may log and survive.
    func send(_ packet: Packet?) throws(FFmpegError) {
        let code = avcodec_send_packet(context, packet?.pointer)
        // EAGAIN cannot happen because every frame is received after each send; EOF after a flush is fine.
        try ffcheck(code, "avcodec_send_packet")
    }

    /// The next decoded frame, or nil when the decoder needs more input.
    func receive(into frame: Frame) throws(FFmpegError) -> Bool {
        frame.unref()
        switch try ffcheck(avcodec_receive_frame(context, frame.pointer), "avcodec_receive_frame") {
        case .ok: return true
        case .again, .endOfFile: return false
        }
    }

    func flushBuffers() { avcodec_flush_buffers(context) }

    /// `skip_frame = AVDISCARD_NONREF`: frames nothing refers to are not decoded.
    var skipNonReference: Bool {
        get { context!.pointee.skip_frame == AVDISCARD_NONREF }
        set { context!.pointee.skip_frame = newValue ? AVDISCARD_NONREF : AVDISCARD_DEFAULT }
    }

    /// `skip_loop_filter = AVDISCARD_ALL`: H.264/HEVC pictures come out without the
    /// deblocking filter (cheaper; edges between coded blocks may show at low bit rates).
    var skipLoopFilter: Bool {
        get { context!.pointee.skip_loop_filter == AVDISCARD_ALL }
        set { context!.pointee.skip_loop_filter = newValue ? AVDISCARD_ALL : AVDISCARD_DEFAULT }
    }

    deinit {
        avcodec_free_context(&context)
    }
}
