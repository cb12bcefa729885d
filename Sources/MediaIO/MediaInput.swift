import CFFmpeg

/// What MediaIO knows about the video stream it reads; copied out of FFmpeg, no pointers.
public struct StreamInfo: Sendable, Equatable {
    public var codec: String
    public var width: Int
    public var height: Int
    /// Nominal frame rate, if the container or stream declares one.
    public var frameRate: Double?
}

/// How to open a source.
public struct InputOptions: Sendable {
    public enum Transport: String, Sendable, CaseIterable { case tcp, udp }
    public var transport: Transport = .tcp
    /// Deadline for opening and probing the stream.
    public var openTimeout: Double = 10
    /// Socket I/O timeout handed to FFmpeg's RTSP demuxer. It only backs up our own
    /// deadlines, so readers set it beyond them (`backingUp`): FFmpeg's timeout firing first
    /// would report a stall late and as "Connection timed out".
    public var socketTimeout: Double = 5

    /// These options with a socket timeout that cannot fire before `deadline` (the stall
    /// timeout) or the open timeout does.
    public func backingUp(_ deadline: Double) -> InputOptions {
        var o = self
        o.socketTimeout = max(o.socketTimeout, o.openTimeout, deadline) + 5
        return o
    }
    /// How long to read a network stream before deciding its parameters (seconds).
    /// FFmpeg's default of 5 s costs 3 s per connection; cameras state their rate in the SPS.
    public var analyzeDuration: Double = 0.5
    public init() {}
}

/// Owns an `AVFormatContext` opened on a URL or file: the demuxer.
final class MediaInput {
    private var context: UnsafeMutablePointer<AVFormatContext>?
    let interrupt: InterruptState
    let videoStreamIndex: Int32
    let timeBase: AVRational
    let info: StreamInfo
    let isFile: Bool
    /// An RTSP stream whose RTP packets come over UDP: what is not read soon enough may be
    /// dropped by the socket's buffer (over TCP the camera waits instead).
    let overUDP: Bool

    init(url: String, options: InputOptions, interrupt: InterruptState) throws(FFmpegError) {
        self.interrupt = interrupt
        guard let ctx = avformat_alloc_context() else {
            throw FFmpegError(message: "out of memory", function: "avformat_alloc_context")
        }
        ctx.pointee.interrupt_callback = interrupt.callback
        var dict: OpaquePointer? = nil
        defer { av_dict_free(&dict) }
        let isRTSP = url.lowercased().hasPrefix("rtsp://") || url.lowercased().hasPrefix("rtsps://")
        isFile = !url.contains("://")
        overUDP = isRTSP && options.transport == .udp
        if isRTSP {
            av_dict_set(&dict, "rtsp_transport", options.transport.rawValue, 0)
            av_dict_set(&dict, "timeout", String(Int(options.socketTimeout * 1_000_000)), 0)
            av_dict_set(&dict, "analyzeduration", String(Int(options.analyzeDuration * 1_000_000)), 0)
        }
        var maybeCtx: UnsafeMutablePointer<AVFormatContext>? = ctx
        interrupt.arm(seconds: options.openTimeout)
        defer { interrupt.disarm() }
        // On failure avformat_open_input frees the context and sets it to NULL.
        let openCode = avformat_open_input(&maybeCtx, url, nil, &dict)
        if openCode < 0 {
            throw Self.error(openCode, "avformat_open_input", interrupt)
        }
        context = maybeCtx
        do throws(FFmpegError) {
            let probeCode = avformat_find_stream_info(maybeCtx, nil)
            if probeCode < 0 { throw Self.error(probeCode, "avformat_find_stream_info", interrupt) }
            let index = av_find_best_stream(maybeCtx, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
            if index < 0 {
                throw FFmpegError(message: "no video stream", function: "av_find_best_stream", reason: .unusable)
            }
            videoStreamIndex = index
            let stream = maybeCtx!.pointee.streams[Int(index)]!
            timeBase = stream.pointee.time_base
            let par = stream.pointee.codecpar.pointee
            let rate = stream.pointee.avg_frame_rate.num > 0 ? stream.pointee.avg_frame_rate : stream.pointee.r_frame_rate
            info = StreamInfo(
                codec: String(cString: avcodec_get_name(par.codec_id)),
                width: Int(par.width),
                height: Int(par.height),
                frameRate: rate.num > 0 && rate.den > 0 ? Double(rate.num) / Double(rate.den) : nil
            )
        } catch {
            avformat_close_input(&context)
            throw error
        }
    }

    /// An error from a call the interrupt may have cut short gets a clearer message.
    static func error(_ code: Int32, _ function: String, _ interrupt: InterruptState) -> FFmpegError {
        if interrupt.fired {
            return interrupt.isStopped
                ? FFmpegError(message: "stopped", function: function, reason: .stopped)
                : FFmpegError(message: "timed out", function: function, reason: .timedOut)
        }
        return FFmpegError(code: code, function: function)
    }

    var videoStream: UnsafeMutablePointer<AVStream> {
        context!.pointee.streams[Int(videoStreamIndex)]!
    }

    var codecParameters: UnsafeMutablePointer<AVCodecParameters> {
        context!.pointee.streams[Int(videoStreamIndex)]!.pointee.codecpar
    }

    /// Reads the next packet of the video stream into `packet`. False at end of stream.
    /// Bounded by the interrupt deadline the caller armed.
    func readVideoPacket(into packet: Packet) throws(FFmpegError) -> Bool {
        while true {
            packet.unref()
            let code = av_read_frame(context, packet.pointer)
            if code == cff_averror_eof() { return false }
            if code == cff_averror(EAGAIN) { continue }
            if code < 0 { throw Self.error(code, "av_read_frame", interrupt) }
            if packet.pointer.pointee.stream_index == videoStreamIndex { return true }
        }
    }

    /// Back to the first frame (file sources that loop).
    func rewind() throws(FFmpegError) {
        try ffrequire(av_seek_frame(context, videoStreamIndex, 0, AVSEEK_FLAG_BACKWARD), "av_seek_frame")
    }

    deinit {
        avformat_close_input(&context)
    }
}
