import CFFmpeg

/// Reads the video packets of a stream without decoding them (the record stream):
/// only demuxing costs CPU. Every read is bounded by the interrupt deadline.
public final class PacketReader {
    private let input: MediaInput
    private let packet: Packet
    public let interrupt: InterruptState
    public var info: StreamInfo { input.info }
    /// The stream's codec parameters, for writing its packets into a clip.
    public let parameters: StreamParameters
    private let timeBase: AVRational
    private let stallTimeout: Double
    private let keyframeCodec: Keyframes.Codec

    public init(url: String, options: InputOptions, stallTimeout: Double, interrupt: InterruptState) throws(FFmpegError) {
        self.interrupt = interrupt
        self.stallTimeout = stallTimeout
        input = try MediaInput(url: url, options: options.backingUp(stallTimeout), interrupt: interrupt)
        packet = try Packet()
        parameters = try StreamParameters(copying: input.codecParameters)
        timeBase = input.timeBase
        keyframeCodec = Keyframes.codec(named: input.info.codec)
    }

    /// The next video packet, or nil at the end of the stream.
    public func next() throws(FFmpegError) -> RecordedPacket? {
        interrupt.arm(seconds: stallTimeout)
        defer { interrupt.disarm() }
        let got: Bool
        do {
            got = try input.readVideoPacket(into: packet)
        } catch let error where error.reason == .timedOut {
            throw FFmpegError(message: "stalled: no packet for \(Int(stallTimeout)) s", function: "av_read_frame", reason: .stalled)
        }
        // An interrupted RTSP read may return a fragment instead of failing: a stall all the same.
        if interrupt.fired && !interrupt.isStopped {
            throw FFmpegError(message: "stalled: no packet for \(Int(stallTimeout)) s", function: "av_read_frame", reason: .stalled)
        }
        // Stopped in the middle of a read: what came may be a fragment, and the stream ends here.
        if interrupt.fired { return nil }
        guard got else { return nil }
        return RecordedPacket(copying: packet, timeBase: timeBase, codec: keyframeCodec)
    }
}
