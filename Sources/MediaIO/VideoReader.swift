import CFFmpeg
import Foundation

/// Counters a reader keeps about its input; read by the owner between frames.
public struct ReaderStats: Sendable, Equatable {
    public var packets: Int = 0
    /// Frames that decoded with a timestamp that did not advance (a frozen or repeating stream).
    public var nonAdvancingFrames: Int = 0
    /// Packets the decoder rejected and frames it flagged as damaged (concealed errors):
    /// logged and survived, never fatal.
    public var decodeErrors: Int = 0
    public var lastDecodeError: String?
    /// Times a looping file went back to its start.
    public var loops: Int = 0
}

/// Demuxes and decodes one source's video stream, frame by frame, on the caller's thread.
///
/// Every blocking call is bounded: opening by `openTimeout`, and reading by the
/// frame deadline: when no frame with an advancing timestamp has arrived for
/// `stallTimeout`, the read is interrupted and `nextFrame()` throws.
public final class VideoReader {
    public struct Options: Sendable {
        public var input = InputOptions()
        public var decoderThreads = 1
        /// Stall deadline: no new frame with an advancing timestamp for this long ends the session.
        public var stallTimeout: Double = 10
        /// File sources only: start again at the end instead of ending.
        public var loop = false
        /// File sources only: deliver frames at their presentation rate, like a camera would.
        public var realtime = false
        /// Ask the decoder to skip frames no other frame refers to (where the codec has them).
        public var skipNonReference = false
        /// Decode without the in-loop deblocking filter (H.264, HEVC): 10–20 % less decoding
        /// for a picture that is only analysed, and what is detected does not change
        /// (Docs/design/skip-deblocking.md). Set before the first frame is decoded.
        public var skipDeblocking = false
        /// Seconds of stream whose packets are held and then decoded back to back (full
        /// decoding only; 0: each packet as it arrives). A decoder woken for one frame every
        /// 100 ms finds its tables and reference pictures gone from the caches; a few frames
        /// in a row pay for that once (Docs/design/batching.md). Frames come out that much
        /// later; `VideoFrame.waited` says by how much.
        public var batchSeconds: Double = 0
        /// Keyframe mode on a network stream (not RTSP over UDP, whose socket buffer would
        /// overflow): once a read has had to wait for the network,
        /// the reader waits this long before the next (0: never), and then reads what came
        /// meanwhile back to back from the socket's buffer. A still camera's thread wakes
        /// about twice a second instead of once for each RTP packet (FFmpeg waits in `poll`
        /// for each): most of what receiving costs (Docs/design/decode-on-demand.md). A
        /// wake by packet size comes that much later; what is decoded does not change.
        public var keyframeReadPause: Double = 0
        public init() {}
    }

    private let input: MediaInput
    private let decoder: VideoDecoder
    private let packet: Packet
    private let options: Options
    public let interrupt: InterruptState
    public var info: StreamInfo { input.info }
    public private(set) var stats = ReaderStats()
    /// The stream's codec parameters, for writing its packets into a clip.
    public let parameters: StreamParameters
    /// Called with a copy of every video packet read, before it is decoded (on the
    /// reader's thread): a camera without a record stream keeps its evidence ring from
    /// the detect stream. Times continue across the loops of a looping file.
    public var packetTap: ((RecordedPacket) -> Void)?
    private let keyframeCodec: Keyframes.Codec

    /// Decode-on-demand: the owner's word that the scene is still (its analysis has seen
    /// nothing move for a while). While it holds and the stream's packet sizes tell still
    /// from moving (`StillSceneSizes`), the reader decodes keyframes only, from the next
    /// one on, and keeps the packets since the last keyframe; when a packet grows past the
    /// still size, or the owner takes its word back, those packets are decoded first (the
    /// frames come out in order, late by the catch-up) and every frame after them.
    public var keyframesOnly: Bool {
        get { stillUntil > -.infinity }
        set { stillUntil = newValue ? .infinity : -.infinity }
    }
    /// The owner's word as a stream time: the scene is still for packets before it (-∞: not
    /// still; +∞: still, no end in sight). A finite time is a deadline of the analysis's
    /// own (a frozen picture alerts then): from the packet at that time on, the reader
    /// decodes every frame again, from the last keyframe, so the analysis sees the frame
    /// it would have seen with every frame decoded.
    public var stillUntil: Double = -.infinity
    /// Asked before every packet instead of `stillUntil` when set (a camera's analysis
    /// thread answers through it): a word taken back reaches the reader at the next packet,
    /// not at the next decoded frame, which in keyframe mode may be seconds away.
    public var stillUntilNow: (@Sendable () -> Double)?
    public private(set) var mode: DecodeMode = .full
    public private(set) var idle = IdleDecodeStats()
    public private(set) var sceneSizes = StillSceneSizes()
    /// The packets since the last keyframe, not decoded (keyframe mode).
    private var pending: [Packet] = []
    /// Packets to decode before reading on (after a wake).
    private var catchUp: [Packet] = []
    private var catchUpNext = 0
    /// Stream time keyframe mode began.
    private var keyframesSince: Double?
    private var lastSkippedTime: Double?
    /// This session's stream cannot be skipped through (decode errors in keyframe mode).
    private var noKeyframeMode = false
    /// Keyframe mode: seconds of stream between two keyframes decoded.
    public var keyframeInterval: Double = 0
    /// Keyframe mode: the owner's word (its analysis's `CameraAnalyzer.nextLearning`) of the
    /// stream time from which the next keyframe is wanted; earlier ones are not decoded.
    /// Replaces `keyframeInterval` when given, so the keyframes decoded are the very ones
    /// the analysis learns from with every frame decoded. Asked before every keyframe.
    public var keyframeDue: Double?
    /// Asked instead of `keyframeDue` when set (a camera's analysis thread answers).
    public var keyframeDueNow: (@Sendable () -> Double)?
    private var lastKeyframeDecoded: Double?
    /// Timestamps of the last keyframe packets given to the decoder: a frame is a keyframe
    /// when its packet was marked one (the mark keyframe mode goes by), not by the decoder's
    /// own judgement, which may differ (recovery points, damaged streams).
    private var keyframePTS: [Int64] = []
    private var quietAfterWake: Double?
    /// Inter-frame packets in a row far below the still sizes (keyframe mode).
    private var quietRun = 0
    /// The group before the last keyframe, kept while a run of quiet packets goes on across
    /// that keyframe (a freeze that began in its last frames is caught up from its start).
    private var carried: [Packet] = []
    /// At most this many packets wait for a keyframe (a stream with rare keyframes wakes instead).
    private static let maxPending = 600
    /// Keyframe mode: the last keyframe decoded and every packet after it before the last
    /// keyframe (the groups skipped since), kept so that a decoded keyframe that shows
    /// something new can be caught up from the one before it (`rewind()`). Empty when that
    /// is not possible (more than `maxPending` packets, a wake, a new pass).
    private var sinceDecoded: [Packet] = []
    /// Packets in `sinceDecoded` after its keyframe: neither decoded nor yet let go.
    private var undecidedCount = 0
    /// The keyframe just decoded after packets were skipped since the one before, and what
    /// is needed to decode those packets after all: until the owner has either called
    /// `rewind()` or asked for the next frame.
    private struct Probe {
        /// The keyframe decoded before, and the packets after it up to this one.
        var packets: [Packet]
        /// This keyframe's packet.
        var key: Packet
        /// Packets of `packets` after their keyframe (not decoded).
        var undecided: Int
        var time: Double?
        /// The reader's last frame time before this keyframe's (the keyframe before).
        var lastTimeBefore: Double?
        /// This keyframe's picture has been given out.
        var delivered = false
    }
    private var probe: Probe?
    /// Frames the decoder gives out at or before this time the owner has already seen (the
    /// keyframe a rewind decodes again as the reference of the packets after it).
    private var dropThrough: Double?

    /// Skip non-reference frames from now on (or stop skipping them).
    public var skipNonReference: Bool {
        get { decoder.skipNonReference }
        set { decoder.skipNonReference = newValue }
    }

    private var lastProgressNanos: UInt64
    private var lastTime: Double?
    /// Added to timestamps after each loop so time keeps advancing.
    private var loopOffset: Double = 0
    private var passStart: Double?
    private var passEnd: Double = 0
    private var pacingOrigin: (stream: Double, wall: UInt64)?
    private var draining = false
    /// Frames the decoder has produced so far, in decode order (advancing or not).
    private var decodedCount = 0
    /// Packets skipped in keyframe mode and let go at the next keyframe: frame numbers count them.
    private var neverDecoded = 0
    /// Batching: the packets held (with their stream time and when they were read), the
    /// next one to decode once the batch is complete, and the batch's size in packets.
    private var held: [(packet: Packet, time: Double?, readAt: UInt64)] = []
    private var heldNext = 0
    private var heldDecoding = false
    private var endAfterHeld = false
    private var failAfterHeld: FFmpegError?
    /// Packets in a batch (1: no batches).
    public let batchPackets: Int
    /// When the packet of each frame the decoder has not given out yet was read, by its
    /// stream time (a batch's frames are decoded later than they arrived).
    private var readTimes: [(time: Double?, readAt: UInt64)] = []
    /// The last read from the input waited for the network (its buffer was empty).
    private var readWaited = false
    /// Stream time of the newest packet read, of the newest one read before the last pause
    /// (`keyframeReadPause`), and when that pause began: a pause only once the stream read
    /// since then covers a pause and, but for half a pause, the wall time since then, so
    /// the reader cannot fall behind the camera, even when reads look slow for another
    /// reason (a busy machine) or its owner kept it waiting.
    private var newestReadTime: Double?
    private var readBeforePause = -Double.infinity
    private var pausedAt: UInt64?

    public init(url: String, options: Options, interrupt: InterruptState) throws(FFmpegError) {
        self.options = options
        self.interrupt = interrupt
        input = try MediaInput(url: url, options: options.input.backingUp(options.stallTimeout), interrupt: interrupt)
        decoder = try VideoDecoder(parameters: input.codecParameters, threads: options.decoderThreads)
        decoder.skipNonReference = options.skipNonReference
        decoder.skipLoopFilter = options.skipDeblocking
        // A decoder that holds frames back (frame threads, B-frame reordering) would hand a
        // keyframe's picture out only at the next packet it is given: seconds late in
        // keyframe mode. Such a stream is decoded in full.
        noKeyframeMode = options.decoderThreads > 1 || input.codecParameters.pointee.video_delay > 0
        packet = try Packet()
        parameters = try StreamParameters(copying: input.codecParameters)
        keyframeCodec = Keyframes.codec(named: input.info.codec)
        lastProgressNanos = MonotonicClock.nanos()
        batchPackets = Self.batchPackets(seconds: options.batchSeconds, frameRate: input.info.frameRate)
    }

    /// Packets in a batch of `seconds` at the stream's frame rate (25 when it does not say).
    static func batchPackets(seconds: Double, frameRate: Double?) -> Int {
        guard seconds > 0 else { return 1 }
        let rate = frameRate.flatMap { $0 > 0 && $0.isFinite ? $0 : nil } ?? 25
        return max(1, min(250, Int((seconds * rate).rounded())))
    }

    /// True while the frames of a batch are being given out: the next call returns one
    /// without waiting for the network (unless the decoder holds it back).
    public var batchContinues: Bool { heldDecoding && heldNext < held.count }

    /// Called before each read from the input (which may wait for the network): whatever
    /// the owner holds back for the end of a batch must not wait with it (the batch's last
    /// packets may have given no frame: skipped, damaged or not advancing).
    public var beforeRead: (() -> Void)?

    /// The next decoded frame whose timestamp advances, or nil when the stream has ended.
    public func nextFrame() throws(FFmpegError) -> VideoFrame? {
        // The owner did not rewind to the keyframe before the last one: its skipped packets go.
        if probe != nil { settleProbe() }
        while true {
            if let frame = try receiveAdvancingFrame() { return frame }
            if draining {
                // The decoder has given everything after the flush.
                if options.loop && input.isFile {
                    try restartPass()
                    continue
                }
                return nil
            }
            if heldDecoding {
                if heldNext < held.count {
                    let next = held[heldNext]
                    heldNext += 1
                    readTimes.append((next.time, next.readAt))
                    try sendToDecoder(next.packet)
                    continue
                }
                held.removeAll(keepingCapacity: true)
                heldNext = 0
                heldDecoding = false
                if let error = failAfterHeld {
                    failAfterHeld = nil
                    throw error
                }
                if endAfterHeld {
                    endAfterHeld = false
                    try endOfInput()
                    continue
                }
            }
            if catchUpNext < catchUp.count {
                let next = catchUp[catchUpNext]
                catchUpNext += 1
                if catchUpNext == catchUp.count {
                    catchUp.removeAll(keepingCapacity: true)
                    catchUpNext = 0
                }
                idle.caughtUp += 1
                try sendToDecoder(next)
                continue
            }
            beforeRead?()
            if readWaited && mode == .keyframes && options.keyframeReadPause > 0 && !input.isFile && !input.overUDP,
               let newest = newestReadTime {
                let pause = options.keyframeReadPause
                let read = newest - readBeforePause
                let now = MonotonicClock.nanos()
                let since = pausedAt.map { Double(now &- $0) / 1e9 } ?? 0
                if newest < readBeforePause || read >= pause && read + pause / 2 >= since {
                    readWaited = false
                    readBeforePause = newest
                    pausedAt = now
                    idle.readPauses += 1
                    interrupt.pause(seconds: pause)
                }
            }
            let got: Bool
            do throws(FFmpegError) {
                try armFrameDeadline()
                let readStart = MonotonicClock.nanos()
                do {
                    got = try input.readVideoPacket(into: packet)
                    // (A packet from the socket's buffer takes microseconds.)
                    readWaited = MonotonicClock.nanos() &- readStart > 2_000_000
                } catch let error where error.reason == .timedOut {
                    // The frame deadline fired during the read: the camera stalled.
                    interrupt.disarm()
                    throw stall
                }
                // FFmpeg's RTSP demuxer, interrupted in the middle of an access unit, may hand
                // out the fragment it had as a packet instead of failing; decoding it can even
                // release a held frame and look like progress. The deadline fired: a stall.
                if interrupt.fired && !interrupt.isStopped {
                    interrupt.disarm()
                    throw stall
                }
            } catch {
                // The stream broke off: the frames a batch holds are still given out first.
                guard !held.isEmpty, !interrupt.isStopped else { throw error }
                heldDecoding = true
                failAfterHeld = error
                continue
            }
            interrupt.disarm()
            if !got {
                if !held.isEmpty {
                    // What the batch holds is decoded first.
                    heldDecoding = true
                    endAfterHeld = true
                    continue
                }
                try endOfInput()
                continue
            }
            stats.packets += 1
            let time = packetTime(packet.pointer.pointee)
            if let time { newestReadTime = time }
            // A read cut short by a stop may be a fragment: it never goes into a clip.
            if let packetTap, !interrupt.fired {
                packetTap(RecordedPacket(copying: packet, timeBase: input.timeBase, codec: keyframeCodec, offset: loopOffset))
            }
            let readAt = MonotonicClock.nanos()
            if try holdBack(time: time) {
                if !held.isEmpty { heldDecoding = true }
                continue
            }
            if batchPackets > 1 {
                held.append((try Packet(referencing: packet), time, readAt))
                // Complete; or the stream is slow (a camera that sends few frames when still
                // must not have its last frames wait for the next); or decoding is no longer
                // full (a keyframe starting the still mode is decoded now).
                let span = Double(readAt &- held[0].readAt) / 1e9
                if held.count >= batchPackets || span >= options.batchSeconds || mode != .full {
                    heldDecoding = true
                }
                continue
            }
            try sendToDecoder(packet)
        }
    }

    /// The input has ended: the packets kept since the last keyframe will never be decoded,
    /// and the decoder gives out what it still holds.
    private func endOfInput() throws(FFmpegError) {
        letGo()
        letGoSinceDecoded()
        try sendToDecoder(nil)
        draining = true
    }

    /// Seconds since the packet of the frame at `time` was read (0 when not known), and the
    /// record of it dropped along with those of frames the decoder never gave out.
    private func waited(for time: Double) -> Double {
        guard let k = readTimes.firstIndex(where: { $0.time.map { abs($0 - time) < 1e-6 } ?? false }) else {
            if readTimes.count > 64 { readTimes.removeFirst(readTimes.count - 64) }
            return 0
        }
        let readAt = readTimes[k].readAt
        readTimes.removeFirst(k + 1)
        return Double(MonotonicClock.nanos() &- readAt) / 1e9
    }

    /// Decode-on-demand: whether the packet just read is kept back (skipped while still, or
    /// queued behind the catch-up) instead of being decoded now. `time`: its stream time.
    private func holdBack(time: Double?) throws(FFmpegError) -> Bool {
        let p = packet.pointer.pointee
        let isKey = p.flags & AV_PKT_FLAG_KEY != 0
        let size = Int(p.size)
        let until = stillUntilNow?() ?? stillUntil
        let keyframesOnly = until > (time ?? lastTime ?? -.infinity) && until > -.infinity
        if isKey { sceneSizes.keyframe(size) }
        // A looping file's next pass starts after its last packet, decoded or not.
        if mode == .keyframes, let time { passEnd = max(passEnd, time) }
        switch mode {
        case .full:
            // Only the owner's word taken back renews it (not a timer of its running out).
            if until == -.infinity { quietAfterWake = nil }
            guard keyframesOnly, !noKeyframeMode else { return false }
            // Woken by a packet's size: the owner's word that the scene is still is from
            // before it; neither learnt from nor trusted until it is renewed, or for 2 s.
            if let until = quietAfterWake, let time, time < until { return false }
            if !isKey {
                sceneSizes.learn(size)
            } else if sceneSizes.usable {
                // From this keyframe on: it is decoded, what follows it waits.
                if !sceneSizes.keyframeChanged(size) { sceneSizes.learnKeyframe(size) }
                mode = .keyframes
                keyframesSince = time
                lastKeyframeDecoded = time
                quietRun = 0
                pending.removeAll(keepingCapacity: true)
                letGoSinceDecoded()
                sinceDecoded = [try Packet(referencing: packet)]
                idle.entered += 1
            } else if !sceneSizes.keyframeChanged(size) {
                // (One odd keyframe learnt would widen the band for the next eight.)
                sceneSizes.learnKeyframe(size)
            }
            return false
        case .keyframes:
            if isKey {
                if keyframesOnly && sceneSizes.keyframeChanged(size) {
                    // The whole picture changed within the last keyframe's group (a cover, a
                    // blur, a switch to infrared, each coded as cheap inter-frame packets):
                    // that group is decoded from its keyframe, then this keyframe on. The
                    // band was the old picture's.
                    sceneSizes.forgetKeyframes()
                    return try wakeAndCatchUp(.size, at: time)
                }
                if keyframesOnly && quietRun > 0 {
                    // Quiet packets just before this keyframe: kept, with this keyframe not
                    // decoded even if due, until the run ends (let go) or wakes the reader
                    // (decoded from the group's start, where the quiet began).
                    keepSinceDecoded(&carried)
                    carried = pending
                    pending = [try Packet(referencing: packet)]
                    return true
                }
                if !keyframesOnly {
                    // The owner's word taken back just now: every frame from this keyframe on.
                    letGo()
                    letGoSinceDecoded()
                    wake(.analysis, at: time)
                    return false
                }
                // The packets since the last keyframe are not decoded now; kept behind the
                // keyframe decoded before them, for a rewind.
                keepSinceDecoded(&carried)
                keepSinceDecoded(&pending)
                sceneSizes.learnKeyframe(size)
                // A still scene's keyframes cost most of its decoding: only those the owner's
                // analysis learns from are decoded (`keyframeDue`; without it one every
                // `keyframeInterval` seconds); the others start the packets kept for a
                // catch-up.
                let notDue: Bool
                if let due = keyframeDueNow?() ?? keyframeDue {
                    notDue = time.map { $0 < due } ?? false
                } else if let time, let last = lastKeyframeDecoded {
                    notDue = time - last < keyframeInterval && time >= last
                } else {
                    notDue = false
                }
                if notDue {
                    pending.append(try Packet(referencing: packet))
                    return true
                }
                lastKeyframeDecoded = time
                // Decoded now. If packets were skipped since the keyframe decoded before, the
                // owner may find something new in this one and have them decoded (`rewind()`).
                let key = try Packet(referencing: packet)
                // (A probe whose picture never came out, not advancing, is settled first.)
                settleProbe()
                if undecidedCount > 0 && !sinceDecoded.isEmpty {
                    probe = Probe(packets: sinceDecoded, key: key, undecided: undecidedCount, time: time, lastTimeBefore: lastTime)
                    sinceDecoded = []
                    undecidedCount = 0
                } else {
                    letGoSinceDecoded()
                }
                sinceDecoded = [key]
                return false
            }
            quietRun = sceneSizes.quiet(size) ? quietRun + 1 : 0
            if quietRun == 0 && !carried.isEmpty { keepSinceDecoded(&carried) }
            let bySize = keyframesOnly && (sceneSizes.moves(size) || quietRun >= sceneSizes.settings.quietRun)
            if !keyframesOnly || bySize || pending.count >= Self.maxPending {
                return try wakeAndCatchUp(bySize ? .size : .analysis, at: time)
            }
            pending.append(try Packet(referencing: packet))
            // Packets still arriving with advancing times: the camera has not stalled.
            if let time, time > (lastSkippedTime ?? -.infinity) {
                lastSkippedTime = time
                lastProgressNanos = MonotonicClock.nanos()
                if options.realtime && input.isFile { pace(to: time) }
            }
            return true
        }
    }

    /// Back to decoding every frame: the packets kept since the last keyframe are decoded
    /// first, then the one just read. Whether that packet waits behind them.
    private func wakeAndCatchUp(_ reason: WakeReason, at time: Double?) throws(FFmpegError) -> Bool {
        wake(reason, at: time)
        // From the last keyframe: what lies before it will never be decoded.
        letGoSinceDecoded()
        catchUp = carried + pending
        catchUpNext = 0
        pending = []
        carried = []
        quietRun = 0
        guard !catchUp.isEmpty else { return false }
        catchUp.append(try Packet(referencing: packet))
        return true
    }

    /// The packets kept since the last keyframe (and a group carried over) will never be
    /// decoded: counted and let go.
    private func letGo() {
        letGo(&carried)
        letGo(&pending)
    }

    /// Skipped packets go behind the last keyframe decoded (`sinceDecoded`), for a rewind;
    /// let go when there is none to go behind or too many are kept.
    private func keepSinceDecoded(_ packets: inout [Packet]) {
        guard !packets.isEmpty else { return }
        if sinceDecoded.isEmpty || sinceDecoded.count + packets.count > Self.maxPending {
            letGoSinceDecoded()
            letGo(&packets)
            return
        }
        sinceDecoded += packets
        undecidedCount += packets.count
        packets.removeAll(keepingCapacity: true)
    }

    /// The packets kept behind the last keyframe decoded will never be decoded.
    private func letGoSinceDecoded() {
        countNeverDecoded(undecidedCount)
        undecidedCount = 0
        sinceDecoded.removeAll(keepingCapacity: true)
    }

    /// The owner did not ask for a rewind: the probe's skipped packets will never be decoded.
    private func settleProbe() {
        guard let p = probe else { return }
        countNeverDecoded(p.undecided)
        probe = nil
    }

    /// Whether the frame just given out is a keyframe decoded after packets were skipped
    /// since the keyframe decoded before it: the owner may `rewind()` before asking for the
    /// next frame.
    public var canRewind: Bool { probe?.delivered == true }

    /// Decode-on-demand: the keyframe just given out (`canRewind`) showed the owner's
    /// analysis something new. Instead of going on from it, the reader decodes every packet
    /// since the keyframe decoded before it (which the owner has seen: decoded again as
    /// their reference, not given out), then this keyframe again, then every frame after:
    /// what was skipped is seen after all, as with every frame decoded. The owner puts its
    /// analysis back to where it was before this keyframe.
    public func rewind() {
        guard let p = probe, p.delivered else { return }
        probe = nil
        decoder.flushBuffers()
        catchUp = p.packets + [p.key] + Array(catchUp[catchUpNext...])
        catchUpNext = 0
        dropThrough = p.lastTimeBefore ?? -.infinity
        lastTime = p.lastTimeBefore
        // This keyframe's frame number is given again when it is decoded again.
        decodedCount -= 1
        letGo()
        letGoSinceDecoded()
        quietRun = 0
        idle.rewinds += 1
        if mode == .keyframes { wake(.analysis, at: p.time) }
        // The owner's word that the scene is still is from before this keyframe.
        quietAfterWake = (p.time ?? lastTime ?? 0) + 2
    }

    /// These kept packets will never be decoded: counted (frame numbers count them) and let go.
    private func letGo(_ packets: inout [Packet]) {
        countNeverDecoded(packets.count)
        packets.removeAll(keepingCapacity: true)
    }

    /// `count` packets will never be decoded: frame numbers and the skipped count take them in.
    private func countNeverDecoded(_ count: Int) {
        neverDecoded += count
        idle.packetsSkipped += count
    }

    private func wake(_ reason: WakeReason, at time: Double?) {
        mode = .full
        if reason == .size { quietAfterWake = (time ?? lastTime ?? 0) + 2 }
        switch reason {
        case .size: idle.wokenBySize += 1
        case .analysis: idle.wokenByAnalysis += 1
        }
        if let since = keyframesSince, let time { idle.keyframeSeconds += max(0, time - since) }
        keyframesSince = nil
    }

    private func packetTime(_ p: AVPacket) -> Double? {
        var ts = p.pts
        if ts == cff_nopts_value() { ts = p.dts }
        if ts == cff_nopts_value() { return nil }
        return Double(ts) * Double(input.timeBase.num) / Double(input.timeBase.den) + loopOffset
    }

    private var stall: FFmpegError {
        FFmpegError(message: "stalled: no new frame for \(Int(options.stallTimeout)) s", function: "av_read_frame", reason: .stalled)
    }

    private func armFrameDeadline() throws(FFmpegError) {
        let elapsed = Double(MonotonicClock.nanos() &- lastProgressNanos) / 1e9
        let left = options.stallTimeout - elapsed
        if left <= 0 { throw stall }
        interrupt.arm(seconds: left)
    }

    private func sendToDecoder(_ packet: Packet?) throws(FFmpegError) {
        if let p = packet?.pointer.pointee, p.flags & AV_PKT_FLAG_KEY != 0 {
            keyframePTS.append(p.pts != cff_nopts_value() ? p.pts : p.dts)
            if keyframePTS.count > 8 { keyframePTS.removeFirst() }
        }
        do {
            try decoder.send(packet)
        } catch let error where !interrupt.isStopped {
            // Corrupt data: count it, keep going. The decoder resynchronises on the next keyframe.
            stats.decodeErrors += 1
            stats.lastDecodeError = error.description
            decodeErrorSeen()
        }
    }

    /// A stream that does not decode cleanly from its keyframes alone (keyframes that are
    /// not fresh starts, damage), seen while skipping or catching up, is decoded in full for
    /// the rest of the session.
    private func decodeErrorSeen() {
        guard mode == .keyframes || catchUpNext < catchUp.count, !noKeyframeMode else { return }
        noKeyframeMode = true
        if mode == .keyframes {
            // The decoder starts again at the next keyframe; what was kept is not decoded.
            letGo()
            letGoSinceDecoded()
            settleProbe()
            wake(.analysis, at: lastTime)
        }
    }

    private func restartPass() throws(FFmpegError) {
        try input.rewind()
        decoder.flushBuffers()
        letGo()
        letGoSinceDecoded()
        settleProbe()
        dropThrough = nil
        readTimes.removeAll()
        catchUp.removeAll()
        catchUpNext = 0
        lastSkippedTime = nil
        // Every pass decodes its first keyframe: a file shorter than the keyframe spacing
        // still advances its loop offset.
        lastKeyframeDecoded = nil
        draining = false
        stats.loops += 1
        // The next pass starts one frame after the last one of this pass.
        let step = options.loop ? 1.0 / max(1, info.frameRate ?? 25) : 0
        loopOffset = passEnd + step - (passStart ?? 0)
        passStart = nil
    }

    private func receiveAdvancingFrame() throws(FFmpegError) -> VideoFrame? {
        while true {
            let frame = try Frame()
            let got: Bool
            do {
                got = try decoder.receive(into: frame)
            } catch {
                stats.decodeErrors += 1
                stats.lastDecodeError = error.description
                decodeErrorSeen()
                continue
            }
            guard got else { return nil }
            idle.framesDecoded += 1
            let raw = rawTime(frame)
            if passStart == nil { passStart = raw }
            let time = raw + loopOffset
            if let through = dropThrough {
                // Decoded again as a reference (a rewind): the owner has seen this picture.
                if time <= through { continue }
                dropThrough = nil
            }
            // Frame numbers count the packets skipped and not (yet) let go too.
            let index = decodedCount + neverDecoded + undecidedCount + (probe?.undecided ?? 0)
            decodedCount += 1
            if frame.pointer.pointee.decode_error_flags != 0 || frame.pointer.pointee.flags & AV_FRAME_FLAG_CORRUPT != 0 {
                stats.decodeErrors += 1
                stats.lastDecodeError = "damaged frame (errors concealed)"
                decodeErrorSeen()
            }
            if let last = lastTime, time <= last {
                stats.nonAdvancingFrames += 1
                continue
            }
            lastTime = time
            passEnd = max(passEnd, time)
            lastProgressNanos = MonotonicClock.nanos()
            if options.realtime && input.isFile { pace(to: time) }
            let ts = frame.pointer.pointee.best_effort_timestamp
            let isKey = ts != cff_nopts_value() ? keyframePTS.contains(ts) : frame.pointer.pointee.key_frame != 0
            if isKey, let p = probe?.time, abs(p - time) < 1e-6 { probe?.delivered = true }
            return VideoFrame(frame: frame, time: time, index: index, waited: batchPackets > 1 ? waited(for: time) : 0, isKeyframe: isKey)
        }
    }

    private func rawTime(_ frame: Frame) -> Double {
        var ts = frame.pointer.pointee.best_effort_timestamp
        if ts == cff_nopts_value() { ts = frame.pointer.pointee.pts }
        if ts == cff_nopts_value() {
            // No timestamps at all: count frames at the nominal rate.
            return (lastTime ?? -1.0 / (info.frameRate ?? 25)) - loopOffset + 1.0 / (info.frameRate ?? 25)
        }
        return Double(ts) * Double(input.timeBase.num) / Double(input.timeBase.den)
    }

    /// Sleep until `time` is due on the wall clock, in slices, so a stop is seen within 100 ms.
    private func pace(to time: Double) {
        let now = MonotonicClock.nanos()
        guard let origin = pacingOrigin else {
            pacingOrigin = (time, now)
            return
        }
        let due = origin.wall &+ UInt64(max(0, time - origin.stream) * 1e9)
        var left = due > now ? due - now : 0
        while left > 0 && !interrupt.isStopped {
            let slice = min(left, 100_000_000)
            usleep(UInt32(slice / 1000))
            let t = MonotonicClock.nanos()
            left = due > t ? due - t : 0
        }
        // The deadline measures the source, not our own pacing.
        lastProgressNanos = MonotonicClock.nanos()
    }
}
