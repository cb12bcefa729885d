import Catalog
import Analysis
import Foundation
import Logging
import MediaIO
import Metrics
import Storage
import Synchronization
import Tickets

/// A frame on its way from the decode thread to the analysis thread.
/// @unchecked Sendable: the decode thread hands the `VideoFrame` (a reference to
/// FFmpeg's refcounted picture) over and never touches it again; only the analysis
/// thread reads it, to encode a snapshot.
struct AnalysisItem: @unchecked Sendable {
    let gray: GrayImage
    let frame: VideoFrame
    let wallTime: Date
    /// Changes with every new connection: the analysis learns the scene again.
    let session: Int
    /// A keyframe decoded after skipped ones (decode-on-demand): the decode thread waits
    /// for the analysis to say whether it showed something new (`VideoReader.rewind()`).
    var verdict: RewindVerdict? = nil
}

/// The analysis's answer on a keyframe decoded after skipped ones, awaited by the decode
/// thread before it reads on: whether it showed something new, so that the analysis goes
/// back to before it and the skipped frames are decoded after all. A decode thread that
/// stops waiting (the analysis is behind) goes on as if nothing showed, and the analysis,
/// told so, keeps the keyframe as analysed.
final class RewindVerdict: Sendable {
    private static let open = 0, keep = 1, rewind = 2, abandoned = 3
    private let state = Atomic<Int>(RewindVerdict.open)
    private let answered = DispatchSemaphore(value: 0)

    /// The analysis's answer; true when the decode thread will decode the skipped frames
    /// (then the analysis goes back to before this keyframe), false when it keeps going.
    func answer(rewind: Bool) -> Bool {
        let (exchanged, _) = state.compareExchange(expected: Self.open, desired: rewind ? Self.rewind : Self.keep, ordering: .acquiringAndReleasing)
        answered.signal()
        return exchanged && rewind
    }

    /// The decode thread waits up to `seconds` for the answer: true to rewind.
    func wait(seconds: Double) -> Bool {
        if answered.wait(timeout: .now() + max(0, seconds)) == .timedOut {
            let (exchanged, original) = state.compareExchange(expected: Self.open, desired: Self.abandoned, ordering: .acquiringAndReleasing)
            return !exchanged && original == Self.rewind
        }
        return state.load(ordering: .acquiring) == Self.rewind
    }
}

/// The analysis thread's counters.
struct AnalysisStatus: Sendable {
    var framesAnalysed = 0
}

/// Everything the API shows about one camera, copied at one moment.
struct CameraHealth: Sendable {
    var detect: StreamStatus
    var analysis: AnalysisStatus
    var framesDropped: Int
    var inputFPS: Double
    var analysedFPS: Double
    var offlineSince: Date?
    var record: StreamStatus?
    var recordSeconds: Double
    var recordBytes: Int
    var recordPackets: Int

    /// The state operators see: `offline` once the camera has been down past `offline_after`,
    /// except a camera refusing our credentials, which stays `auth_failed`: that is the cause.
    var state: StreamState {
        if offlineSince != nil && ![.streaming, .stopped, .authFailed].contains(detect.state) { return .offline }
        return detect.state
    }
}

/// The last frame analysed, for `GET /v1/cameras/{id}/snapshot`.
/// @unchecked Sendable: a decoded picture nobody writes to once decoded (FFmpeg's frames
/// are reference-counted; the decoder allocates new buffers while this one is held).
struct LatestFrame: @unchecked Sendable {
    let frame: VideoFrame
    let at: Date
}

/// One camera: a decode thread (the detect stream), an analysis thread, and
/// optionally a thread that keeps the record stream's packets without decoding them.
final class CameraWorker: Sendable {
    /// Stream settings are fixed for the worker's life (a change restarts the camera);
    /// name, grid, zones, tripwires and masks may change while it runs (`updateRules`).
    private let live: Mutex<CameraConfig>
    /// Bumped by `updateRules`; the analysis thread compares it once a frame.
    private let rulesGeneration = Atomic<Int>(0)
    private let latest = Mutex<LatestFrame?>(nil)
    var config: CameraConfig { live.withLock { $0 } }
    /// Where alerts and "picture normal again" go: the ticket service's queue.
    private let onCommand: @Sendable (TicketCommand) -> Void
    /// The integrity checks' view: the reasons the picture is tampered for, and the scene
    /// mode (day or night), for the API.
    private let integrityState = Mutex<(tampered: Set<TamperReason>, mode: SceneMode?)>(([], nil))
    /// Whether a repeat alert's picture is worth encoding.
    private let ledger: EvidenceLedger
    private let logger: Logger
    let detect: StreamRunner
    let record: StreamRunner?
    /// The analysed frames of one batch (`analysis.batch_seconds`), or two when frames are
    /// not batched: the one being analysed and the next; one more waits on the decode
    /// thread (within a budget, below) rather than pushing one out.
    private let mailbox: FrameMailbox<AnalysisItem>
    /// Decoded pictures a batch may hold for the analysis at once, in bytes: a batch of
    /// large pictures is handed over in parts (the decoder keeps a picture alive while the
    /// analysis holds it).
    static let batchBytes = 8 << 20
    private let analysis = Mutex(AnalysisStatus())
    private let rates = Mutex((input: RateMeter(), analysed: RateMeter()))
    /// Evidence clips: the ring of recent packets (the record stream's, or the detect
    /// stream's when there is none), the clips collecting, the codec parameters of the
    /// stream they come from, and where each clip will go.
    private struct ClipState: Sendable {
        var recorder: ClipRecorder
        var parameters: StreamParameters?
        var pending: [String: (path: String, date: Date)] = [:]
    }
    private let clipState: Mutex<ClipState>
    /// Where finished clips are written; nil when clips are off.
    private let clipQueue: ClipQueue?
    private let offline = Mutex<Date?>(nil)
    private let analysisFinished = DispatchSemaphore(value: 0)
    private let sessionCounter = Atomic<Int>(0)
    /// Decode-on-demand: the analysis thread's word, as the bits of a stream time
    /// (`CameraAnalyzer.stillUntil`), that the scene is still; the reader asks it before
    /// every packet (`stillUntilNow`).
    private let sceneStill = Atomic<UInt64>((-Double.infinity).bitPattern)
    /// And the stream time from which it wants the next keyframe (`CameraAnalyzer.nextLearning`):
    /// the reader decodes those it learns from with every frame decoded (`keyframeDueNow`).
    private let keyframeDue = Atomic<UInt64>((-Double.infinity).bitPattern)

    init(config: CameraConfig, logger: Logger, ledger: EvidenceLedger = EvidenceLedger(), clips: ClipQueue? = nil,
         onCommand: @escaping @Sendable (TicketCommand) -> Void) {
        live = Mutex(config)
        mailbox = FrameMailbox(capacity: max(2, Self.batchFrames(config.analysis) + 1))
        self.onCommand = onCommand
        self.ledger = ledger
        var logger = logger
        logger[metadataKey: "camera.id"] = "\(config.id)"
        self.logger = logger
        let policy = ReconnectPolicy.Settings(reconnectMin: config.reconnectMin, reconnectMax: config.reconnectMax, healthyAfter: config.healthyAfter)
        detect = StreamRunner(label: "detect", url: config.source, policy: policy, logger: logger)
        record = config.record.map { StreamRunner(label: "record", url: $0, policy: policy, logger: logger) }
        let ring = RecordBuffer(maxSeconds: config.recordSeconds, maxBytes: config.recordMaxBytes, keepSeconds: config.clips.preRoll)
        clipState = Mutex(ClipState(recorder: ClipRecorder(ring: ring)))
        // Whether a clip is recorded is decided per alert (privacy masks come and go with a
        // reload); only a camera that refuses clips keeps no ring from its detect stream.
        clipQueue = config.clips.enabled == false ? nil : clips
    }

    /// Analysed frames in one batch.
    static func batchFrames(_ analysis: AnalysisSettings) -> Int {
        max(1, Int((analysis.batchSeconds * analysis.fps).rounded(.up)))
    }

    func start() {
        detect.start(name: "cam-\(config.id)") { [self] runner in try self.detectSession(runner) }
        let analysisName = "ana-\(config.id)"
        let analysisThread = Thread { [self] in
            nameThisThread(analysisName)
            self.analysisLoop()
            self.analysisFinished.signal()
        }
        analysisThread.name = "ana-\(config.id)"
        analysisThread.start()
        record?.start(name: "rec-\(config.id)") { [self] runner in try self.recordSession(runner) }
    }

    func stop() {
        detect.stop()
        record?.stop()
        mailbox.close()
    }

    /// Wait up to `timeout` seconds for every thread of this camera; false if one is still running.
    func join(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var ok = detect.join(timeout: timeout)
        // Signalled again once seen, so a second join (a lease let go after the shutdown
        // stopped the camera) does not wait out its timeout.
        if analysisFinished.wait(timeout: .now() + max(0, deadline.timeIntervalSinceNow)) == .success {
            analysisFinished.signal()
        } else {
            ok = false
        }
        if let record { ok = record.join(timeout: deadline.timeIntervalSinceNow) && ok }
        // The clips still collecting end with what has arrived.
        clipState.withLock { s in send(&s, finished: s.recorder.stop(), parameters: s.parameters) }
        return ok
    }

    // MARK: Evidence clips

    /// A new connection of the stream the ring is kept from: the clips collecting end at
    /// the gap (written with the old connection's parameters), and the ring starts again.
    private func ringSession(_ parameters: StreamParameters) {
        clipState.withLock { s in
            send(&s, finished: s.recorder.gap(), parameters: s.parameters)
            s.parameters = parameters
        }
    }

    /// The ring's stream broke off (or ended): the clips collecting end at the gap; or the
    /// camera is stopping: they end with what has arrived.
    private func ringGap(stopping: Bool) {
        clipState.withLock { s in send(&s, finished: stopping ? s.recorder.stop() : s.recorder.gap(), parameters: s.parameters) }
    }

    /// One packet of the ring's stream (on that stream's thread).
    private func ringPacket(_ packet: RecordedPacket) {
        clipState.withLock { s in
            let finished = s.recorder.append(packet)
            // A clip's packets go to the writer as they come, a part every few seconds,
            // rather than held here until the clip ends.
            let parts = s.recorder.activeCount == 0 ? [] : s.recorder.drain(age: ClipQueue.partSeconds)
            send(&s, parts: parts, finished: finished, parameters: s.parameters)
        }
    }

    /// Hand clips' parts and ends to the writer, under the clip lock so that a clip's parts
    /// reach the queue in order whichever thread sends them.
    private func send(_ s: inout ClipState, parts: [ClipPart] = [], finished: [FinishedClip], parameters: StreamParameters?) {
        guard !parts.isEmpty || !finished.isEmpty else { return }
        let ended = finished.map { s.pending.removeValue(forKey: $0.request.name) }
        guard let clipQueue, let parameters else { return }
        let camera = config.id
        for part in parts {
            guard let place = s.pending[part.request.name] else { continue }
            clipQueue.enqueue(ClipQueue.Part(clip: part, place: ClipQueue.Place(parameters: parameters, cameraID: camera, eventDate: place.date, path: place.path)))
        }
        for (clip, place) in zip(finished, ended) {
            guard let place else { continue }
            clipQueue.enqueue(ClipQueue.Job(clip: clip, place: ClipQueue.Place(parameters: parameters, cameraID: camera, eventDate: place.date, path: place.path)))
        }
    }

    /// Start the evidence clip of an alert about `eventTime` (stream time) seen in `item`;
    /// its name, for the alert, or nil (clips off, nothing to cut from yet, too many
    /// collecting). `key` names what goes on (a track) so the clip runs on while it does.
    private func startClip(key: String?, item: AnalysisItem, eventTime: Double) -> String? {
        let config = self.config
        guard clipQueue != nil, config.recordsClips else { return nil }
        let c = config.clips
        let name = "clip-\(UUID().uuidString.lowercased()).mp4"
        let before = max(0, item.frame.time - eventTime)
        let eventDate = item.wallTime.addingTimeInterval(-before)
        // The ring's newest packet is about now: the event was this long before it.
        let age = max(0, Date().timeIntervalSince(item.wallTime)) + before
        let started = clipState.withLock { s -> Bool in
            guard s.parameters != nil,
                  s.recorder.start(ClipRequest(name: name, preRoll: c.preRoll, postRoll: c.postRoll, maxClip: c.maxClip, key: key), eventAge: age)
            else { return false }
            s.pending[name] = (TicketStore.clipPath(name: name, at: eventDate), eventDate)
            return true
        }
        if !started { logger.info("no clip for this alert: nothing recorded yet or too many clips collecting") }
        return started ? name : nil
    }

    /// The tracks still in the picture keep their clips running.
    private func extendClips(_ tracks: [Track], item: AnalysisItem) {
        let age = max(0, Date().timeIntervalSince(item.wallTime))
        clipState.withLock { s in
            guard s.recorder.activeCount > 0, let now = s.recorder.streamTime(age: age) else { return }
            for t in tracks where t.observed { s.recorder.extend(key: "track \(t.id)", at: now) }
        }
    }

    func setOffline(_ since: Date?) { offline.withLock { $0 = since } }

    /// New name, grid, zones, tripwires or masks, taken up by the analysis thread at its
    /// next frame without reconnecting or forgetting the background. Stream settings in
    /// `config` are ignored here: changing them means a new worker.
    func updateRules(_ config: CameraConfig) {
        live.withLock { $0.rules = config.rules }
        rulesGeneration.add(1, ordering: .releasing)
    }

    /// The last analysed frame as JPEG, privacy masks blacked out; nil before the first.
    func currentSnapshot() throws(FFmpegError) -> (jpeg: [UInt8], at: Date)? {
        guard let last = latest.withLock({ $0 }) else { return nil }
        let c = config
        return (try Self.jpeg(last.frame, encoder: JPEGEncoder(), privacyMasks: c.privacyMasks, stamp: Self.stamp(c, at: last.at)), last.at)
    }

    /// Every picture that leaves the daemon goes through here: privacy masks painted black,
    /// then the overlays drawn.
    static func jpeg(_ frame: VideoFrame, encoder: JPEGEncoder, privacyMasks: [Polygon], overlays: [Overlay] = [], stamp: String? = nil) throws(FFmpegError) -> [UInt8] {
        try encoder.encode(frame, blackout: privacyMasks.map { $0.vertices.map { (x: $0.x, y: $0.y) } }, overlays: overlays, stamp: stamp)
    }

    /// The missing-font warning is said once a run, not once a camera.
    static let fontWarned = Atomic<Bool>(false)

    /// What a snapshot says of itself: the camera's name and id and the frame's local time
    /// with its offset ("东门 gate  2026-11-30 08:00:03 +08:00").
    static func stamp(_ config: CameraConfig, at time: Date) -> String {
        let when = LocalTime.format(time, "%Y-%m-%d %H:%M:%S %z", colonOffset: true)
        let name = config.name == config.id ? config.id : "\(config.name) \(config.id)"
        return "\(name)  \(when)"
    }

    /// Tampered reasons and the scene mode (nil until the integrity checks have looked).
    var integrity: (tampered: Set<TamperReason>, mode: SceneMode?) { integrityState.withLock { $0 } }

    var health: CameraHealth {
        let now = MonotonicClock.seconds()
        let (inputFPS, analysedFPS) = rates.withLock { ($0.input.rate(now: now), $0.analysed.rate(now: now)) }
        let buffer = clipState.withLock { ($0.recorder.ring.seconds, $0.recorder.ring.bytes, $0.recorder.ring.packets.count) }
        return CameraHealth(
            detect: detect.snapshot, analysis: analysis.withLock { $0 }, framesDropped: mailbox.dropped,
            inputFPS: inputFPS, analysedFPS: analysedFPS, offlineSince: offline.withLock { $0 },
            record: record?.snapshot, recordSeconds: buffer.0, recordBytes: buffer.1, recordPackets: buffer.2)
    }

    // MARK: Detect stream (decode thread)

    private func detectSession(_ runner: StreamRunner) throws {
        var options = VideoReader.Options()
        options.input.transport = config.transport
        options.input.openTimeout = config.openTimeout
        options.decoderThreads = config.decoderThreads
        options.skipDeblocking = config.skipDeblocking
        options.stallTimeout = config.stallTimeout
        // A batch never holds a stream's frames for long against its stall deadline.
        options.batchSeconds = min(config.analysis.batchSeconds, config.stallTimeout / 4)
        options.loop = config.loop
        options.realtime = config.isFile && config.realtime
        // Still, the stream is read in batches of the same length.
        options.keyframeReadPause = options.batchSeconds
        let reader = try VideoReader(url: config.source, options: options, interrupt: runner.interrupt)
        let tapping = config.record == nil && clipQueue != nil
        if tapping {
            // No record stream: the evidence ring keeps the detect stream's packets.
            ringSession(reader.parameters)
            reader.packetTap = { [self] packet in self.ringPacket(packet) }
        }
        // The stream breaking off ends the clips collecting at the gap, now.
        defer { if tapping { ringGap(stopping: runner.interrupt.isStopped) } }
        let scaler = try GrayScaler(width: config.analysis.width)
        var sampler = FrameSampler(fps: config.analysis.fps)
        let session = sessionCounter.add(1, ordering: .relaxed).newValue
        // Where the stream runs faster than the analysis, frames nothing refers to need no decoding.
        let canSkip = config.skipFrames && (reader.info.frameRate ?? 0) >= 2 * config.analysis.fps
        reader.skipNonReference = canSkip
        var skipCheckAt = MonotonicClock.seconds() + 5
        var decodedSinceCheck = 0
        let idleDecode = config.analysis.idleDecode
        reader.keyframeInterval = config.analysis.idleKeyframeEvery
        sceneStill.store((-Double.infinity).bitPattern, ordering: .relaxed)
        keyframeDue.store((-Double.infinity).bitPattern, ordering: .relaxed)
        if idleDecode {
            reader.stillUntilNow = { [self] in Double(bitPattern: self.sceneStill.load(ordering: .relaxed)) }
            reader.keyframeDueNow = { [self] in Double(bitPattern: self.keyframeDue.load(ordering: .relaxed)) }
        }
        var lastIdle = reader.idle
        // Waiting for the analysis absorbs bursts (every camera's frame at once, a catch-up);
        // a budget refilled at half a second a second keeps a persistently slow analysis from
        // holding decoding back: then frames are shed. Never as long as the stall deadline.
        let waitCap = min(3, config.stallTimeout / 2)
        // How long the decode thread waits for the analysis's answer on a keyframe decoded
        // after skipped ones (a rewind); an analysis further behind goes without it.
        let verdictWait = min(1, config.stallTimeout / 4)
        var waitBudget = waitCap
        var budgetAt = MonotonicClock.seconds()
        runner.markStreaming(reader.info)
        rates.withLock {
            $0.input.reset()
            $0.analysed.reset()
        }
        var lastStats = reader.stats
        var lastCorruptLog = -Double.infinity
        // The decode thread's CPU per frame (demux, decode, and the luma scale of the frames
        // sampled), from the thread's own clock: waiting for the network is not counted.
        let decodeCPU = Metrics.Timer(label: "gridwatch_decode_cpu_seconds", dimensions: [("camera", config.id)])
        var cpuMark = GridwatchMetrics.threadCPUNanos()
        // A batch's analysed frames go to the analysis together, as many as fit in
        // `batchBytes` at a time; whatever is left over is released when the stream breaks off.
        let pictureBytes = max(1, reader.info.width * reader.info.height * 3 / 2)
        let holdAtMost = max(1, min(Self.batchFrames(config.analysis), Self.batchBytes / pictureBytes))
        var heldForAnalysis = 0
        defer { mailbox.release() }
        if reader.batchPackets > 1 { reader.beforeRead = { [mailbox] in mailbox.release() } }
        while let frame = try reader.nextFrame() {
            let cpuNow = GridwatchMetrics.threadCPUNanos()
            decodeCPU.recordNanoseconds(cpuNow - cpuMark)
            cpuMark = cpuNow
            // When the frame's packet arrived (a batch holds packets before decoding them).
            let now = Date(timeIntervalSinceNow: -frame.waited)
            let mono = MonotonicClock.seconds()
            let stats = reader.stats
            let idle = reader.idle
            runner.update {
                $0.framesDecoded += 1
                $0.lastFrameAt = now
                $0.decodeErrors += stats.decodeErrors - lastStats.decodeErrors
                $0.packetsSkipped += idle.packetsSkipped - lastIdle.packetsSkipped
                $0.decodeMode = reader.mode
                if $0.info?.width != frame.width || $0.info?.height != frame.height {
                    $0.info?.width = frame.width
                    $0.info?.height = frame.height
                }
            }
            // Corrupt data is counted on every frame but logged at most every 10 s.
            if stats.decodeErrors > lastStats.decodeErrors && mono - lastCorruptLog >= 10 {
                logger.warning("corrupt data", metadata: ["error": "\(stats.lastDecodeError ?? "-")", "decode_errors": "\(stats.decodeErrors)"])
                lastCorruptLog = mono
            }
            // Input is what the camera sent: skipped packets count.
            let arrived = 1 + idle.packetsSkipped - lastIdle.packetsSkipped
            let modeChanged = idle.entered != lastIdle.entered || idle.wokenBySize != lastIdle.wokenBySize || idle.wokenByAnalysis != lastIdle.wokenByAnalysis
            if modeChanged {
                logger.debug("decode mode", metadata: ["mode": "\(reader.mode.rawValue)", "skipped": "\(idle.packetsSkipped)", "rewinds": "\(idle.rewinds)", "read_pauses": "\(idle.readPauses)",
                                                       "still_size": "\(reader.sceneSizes.stillSize ?? 0)", "threshold": "\(reader.sceneSizes.threshold ?? 0)"])
            }
            lastStats = stats
            lastIdle = idle
            rates.withLock { for _ in 0..<min(arrived, 1000) { $0.input.record(mono) } }
            decodedSinceCheck += 1
            if reader.mode != .full || modeChanged {
                // Keyframes only, or lately: the reference-frame check counts full decoding only.
                decodedSinceCheck = 0
                skipCheckAt = mono + 5
            }
            if reader.skipNonReference && mono >= skipCheckAt {
                // Too few frames left to sample from: decode them all.
                if Double(decodedSinceCheck) / 5 < config.analysis.fps * 1.2 {
                    reader.skipNonReference = false
                    logger.info("decoding every frame: too few reference frames to skip")
                }
                skipCheckAt = mono + 5
                decodedSinceCheck = 0
            }
            let batchEnds = !reader.batchContinues
            // A keyframe decoded after skipped ones: the analysis says whether it shows
            // something new before anything else is read.
            let verdict = idleDecode && reader.canRewind ? RewindVerdict() : nil
            let samplerBefore = sampler
            guard sampler.take(frame.time, keyframe: frame.isKeyframe) else {
                if batchEnds {
                    mailbox.release()
                    heldForAnalysis = 0
                }
                continue
            }
            let gray = try scaler.gray(frame)
            let before = MonotonicClock.seconds()
            waitBudget = min(waitCap, waitBudget + (before - budgetAt) * 0.5)
            heldForAnalysis += 1
            let hold = !batchEnds && heldForAnalysis < holdAtMost
            if !hold { heldForAnalysis = 0 }
            mailbox.put(AnalysisItem(gray: gray, frame: frame, wallTime: now, session: session, verdict: verdict), wait: waitBudget, hold: hold && verdict == nil)
            budgetAt = MonotonicClock.seconds()
            waitBudget = max(0, waitBudget - (budgetAt - before))
            // The answer is awaited apart from the mailbox's budget, and never so long that it
            // and a full mailbox's wait together reach the stall deadline.
            if let verdict, verdict.wait(seconds: verdictWait) {
                // It did: the frames skipped since the keyframe before are decoded after all.
                sampler = samplerBefore
                reader.rewind()
            }
        }
    }

    // MARK: Analysis thread

    private func analysisLoop() {
        let encoder: JPEGEncoder
        do {
            encoder = try JPEGEncoder()
        } catch {
            logger.critical("cannot create the JPEG encoder", metadata: ["error": "\(error)"])
            return
        }
        if !encoder.canStamp, Self.fontWarned.exchange(true, ordering: .relaxed) == false {
            logger.warning("\(LogText.noStampFont.text(.log))",
                           metadata: ["fonts": "\(TextStamp.defaultFonts.joined(separator: ", "))"])
        }
        let start = config
        var analyzer = CameraAnalyzer(
            motion: start.analysis.motion, tracker: start.analysis.tracker,
            zones: start.rules.analysisZones, tripwires: start.rules.analysisTripwires, motionMask: start.rules.analysisMask,
            integrity: start.analysis.integrity ? IntegritySettings() : nil,
            fireSmoke: start.rules.fireSmokeAreas(wholePicture: start.analysis.fireSmoke))
        // The same analysis whether every frame is decoded or keyframes only while still.
        analyzer.frameInterval = 1 / start.analysis.fps
        analyzer.stillWatch = start.analysis.stillWatch
        var session = -1
        var size: (Int, Int)?
        var rulesSeen = 0
        let analysisTime = Metrics.Timer(label: "gridwatch_analysis_seconds", dimensions: [("camera", start.id)])
        while let item = mailbox.take() {
            let generation = rulesGeneration.load(ordering: .acquiring)
            if generation != rulesSeen {
                let rules = config.rules
                analyzer.setRules(zones: rules.analysisZones, tripwires: rules.analysisTripwires)
                analyzer.setMotionMask(rules.analysisMask)
                analyzer.setFireSmoke(rules.fireSmokeAreas(wholePicture: start.analysis.fireSmoke))
                rulesSeen = generation
                logger.notice("rules reloaded", metadata: ["zones": "\(rules.zones.count)", "tripwires": "\(rules.tripwires.count)"])
            }
            if item.session != session {
                // A new connection: people and the light may have changed while we were away;
                // the camera's scene has not (at the same size), nor has a cover on its lens.
                let same = size.map { $0 == (item.frame.width, item.frame.height) } ?? false
                analyzer.reset(sameCamera: same)
                if !same { integrityState.withLock { $0 = ([], nil) } }
                session = item.session
            } else if let s = size, s != (item.frame.width, item.frame.height) {
                // The camera was reconfigured: new framing, new scene to learn.
                logger.notice("resolution changed; learning the scene again", metadata: ["size": "\(item.frame.width)x\(item.frame.height)"])
                analyzer.reset()
            }
            size = (item.frame.width, item.frame.height)
            let clock = Self.localClock(item.wallTime)
            let started = MonotonicClock.nanos()
            let before = item.verdict == nil ? nil : analyzer
            let result = analyzer.process(
                LumaFrame(width: item.gray.width, height: item.gray.height, pixels: item.gray.pixels, u: item.gray.u, v: item.gray.v),
                time: item.frame.time, keyframe: item.frame.isKeyframe, minuteOfDay: clock.minuteOfDay, monthDay: clock.monthDay)
            analysisTime.recordNanoseconds(Int64(MonotonicClock.nanos() - started))
            if let verdict = item.verdict, let before {
                // A keyframe after skipped ones that shows something new: back to before it;
                // the frames skipped come first (unless the decode thread stopped waiting).
                if verdict.answer(rewind: analyzer.sawSomethingNew(at: item.frame.time, idleAfter: start.analysis.idleAfter)) {
                    analyzer = before
                    continue
                }
            }
            if start.analysis.idleDecode {
                keyframeDue.store(analyzer.nextLearning.bitPattern, ordering: .relaxed)
                sceneStill.store(analyzer.stillUntil(at: item.frame.time, idleAfter: start.analysis.idleAfter).bitPattern, ordering: .relaxed)
            }
            let mono = MonotonicClock.seconds()
            analysis.withLock { $0.framesAnalysed += 1 }
            rates.withLock { $0.analysed.record(mono) }
            latest.withLock { $0 = LatestFrame(frame: item.frame, at: item.wallTime) }
            if !result.integrity.isEmpty {
                integrityChanged(result.integrity, item: item, config: self.config, tampered: analyzer.tampered, mode: analyzer.sceneMode, encoder: encoder)
            } else if analyzer.integrity?.hasBaseline == true, integrityState.withLock({ $0.mode == nil }) {
                // Learnt: the API shows the mode from now on.
                integrityState.withLock { $0.mode = analyzer.sceneMode }
            }
            for event in result.fireSmoke {
                fireSmokeSeen(event, item: item, config: self.config, encoder: encoder)
            }
            if clipQueue != nil { extendClips(result.tracks, item: item) }
            guard !result.events.isEmpty else { continue }
            let config = self.config
            let alerting = result.events.compactMap { event in config.rules.alerting(event).map { (event, $0) } }
            // One snapshot per frame, however many events it raised, and only when one of
            // them keeps a picture (a repeat merged into an open ticket mostly does not).
            var snapshot: [UInt8]??
            for (event, rule) in alerting {
                raise(event, rule: rule, item: item, config: config) {
                    if let done = snapshot { return done }
                    let jpeg = encodeSnapshot(item, encoder: encoder, privacyMasks: config.privacyMasks,
                                              overlays: alerting.flatMap { Self.overlays(for: $0.0, rule: $0.1) })
                    snapshot = .some(jpeg)
                    return jpeg
                }
            }
        }
    }

    /// Local minute of the day and `month * 100 + day`, for rule schedules (hours, and date
    /// ranges such as the flood season). `localtime_r` (the C library caches the time zone)
    /// costs about a microsecond; `Calendar.current.dateComponents` cost ~25 times that on
    /// every analysed frame.
    static func localClock(_ date: Date) -> (minuteOfDay: Int, monthDay: Int) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil else { return (0, 101) }
        return (Int(parts.tm_hour) * 60 + Int(parts.tm_min), (Int(parts.tm_mon) + 1) * 100 + Int(parts.tm_mday))
    }

    static func minuteOfDay(_ date: Date) -> Int { localClock(date).minuteOfDay }

    /// What a snapshot shows of an event: its zone (yellow) or line (red), the object's path
    /// (green) and its box (cyan).
    static func overlays(for event: AnalysisEvent, rule: CameraRules.Alerting) -> [Overlay] {
        var out = [Overlay(points: rule.shape, closed: rule.closed, colour: rule.closed ? .yellow : .red)]
        if !event.trajectory.isEmpty {
            out.append(Overlay(points: event.trajectory.map { ($0.x, $0.y) }, closed: false, colour: .green))
        }
        if let b = event.box { out.append(outline(b, colour: .cyan)) }
        return out
    }

    /// A box drawn on a snapshot.
    static func outline(_ b: Box, colour: Overlay.Colour) -> Overlay {
        Overlay(points: [(b.minX, b.minY), (b.maxX, b.minY), (b.maxX, b.maxY), (b.minX, b.maxY)], closed: true, colour: colour)
    }

    /// The frame as JPEG with the privacy masks painted black and the events drawn; nil
    /// (logged) if encoding fails.
    private func encodeSnapshot(_ item: AnalysisItem, encoder: JPEGEncoder, privacyMasks: [Polygon], overlays: [Overlay]) -> [UInt8]? {
        do {
            return try Self.jpeg(item.frame, encoder: encoder, privacyMasks: privacyMasks, overlays: overlays, stamp: Self.stamp(config, at: item.wallTime))
        } catch {
            logger.error("snapshot failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Turn an analysis event into an alert for the ticket service.
    private func raise(_ event: AnalysisEvent, rule: CameraRules.Alerting, item: AnalysisItem, config: CameraConfig, snapshot: () -> [UInt8]?) {
        let zoneID = rule.zoneID, tripwireID = rule.tripwireID
        let key = MergeKey(cameraID: config.id, kind: event.kind.rawValue, zoneID: zoneID, tripwireID: tripwireID,
                           trackID: rule.purpose.category == .hazard ? event.trackID : nil)
        let jpeg = ledger.decide(key, track: event.trackID, at: item.wallTime) ? snapshot() : nil
        // A clip wherever a picture is kept: a repeat that adds nothing gets neither. Someone
        // in a zone keeps the clip running while they are in the picture; a crossing is over
        // when it happens.
        let lasting = event.kind != .crossing
        let clip = jpeg == nil ? nil : startClip(key: lasting ? event.trackID.map { "track \($0)" } : nil, item: item, eventTime: event.time)
        logger.info("event", metadata: [
            "kind": "\(event.kind.rawValue)", "rule.id": "\(event.ruleID)", "track.id": "\(event.trackID.map(String.init) ?? "-")",
            "stream.time": "\(String(format: "%.2f", event.time))",
        ])
        var alert = Alert(
            cameraID: config.id, zoneID: zoneID, tripwireID: tripwireID, kind: event.kind.rawValue, trackID: event.trackID,
            trajectory: event.trajectory, gridID: rule.grid, category: rule.purpose.category, severity: rule.severity, title: rule.title,
            occurredAt: item.wallTime, snapshotJPEG: jpeg)
        alert.clipName = clip
        onCommand(.alert(alert))
    }

    /// Smoke or fire: a ticket of its own per zone (or for the whole picture), with the
    /// picture, the zone's outline and where it was seen drawn on it. Seen again after a
    /// quiet spell (`FireSmokeSettings.rearmAfter`), it merges into the open ticket.
    private func fireSmokeSeen(_ event: FireSmokeEvent, item: AnalysisItem, config: CameraConfig, encoder: JPEGEncoder) {
        guard let rule = config.rules.alerting(event) else { return }
        let key = MergeKey(cameraID: config.id, kind: event.kind.rawValue, zoneID: event.area, tripwireID: nil)
        var overlays: [Overlay] = []
        if !rule.shape.isEmpty { overlays.append(Overlay(points: rule.shape, closed: true, colour: .yellow)) }
        overlays.append(Self.outline(event.box, colour: .red))
        let jpeg = ledger.decide(key, track: nil, at: item.wallTime)
            ? encodeSnapshot(item, encoder: encoder, privacyMasks: config.privacyMasks, overlays: overlays) : nil
        logger.warning("\(event.kind.rawValue) seen", metadata: [
            "zone.id": "\(event.area ?? "-")", "stream.time": "\(String(format: "%.2f", event.time))",
        ])
        var alert = Alert(
            cameraID: config.id, zoneID: event.area, kind: event.kind.rawValue, gridID: rule.grid, category: .fireSmoke,
            severity: .critical, title: rule.title, occurredAt: item.wallTime, snapshotJPEG: jpeg)
        alert.clipName = jpeg == nil ? nil : startClip(key: nil, item: item, eventTime: event.time)
        onCommand(.alert(alert))
    }

    /// The tamper ticket's kind for a reason: one ticket per reason.
    static func tamperKind(_ reason: TamperReason) -> String { "tamper_\(reason.rawValue)" }

    /// A tamper found or cleared, or the scene mode changed: a ticket (with the picture that
    /// shows it), a note on it, or the camera's health.
    private func integrityChanged(_ changes: [IntegrityEvent], item: AnalysisItem, config: CameraConfig, tampered: Set<TamperReason>, mode: SceneMode,
                                  encoder: JPEGEncoder) {
        integrityState.withLock { $0 = (tampered, mode) }
        for change in changes {
            switch change {
            case let .tamper(reason, time):
                logger.warning("camera tampered", metadata: ["reason": "\(reason.rawValue)", "stream.time": "\(String(format: "%.2f", time))"])
                let jpeg = encodeSnapshot(item, encoder: encoder, privacyMasks: config.privacyMasks, overlays: [])
                var alert = Alert(
                    cameraID: config.id, zoneID: nil, kind: Self.tamperKind(reason), gridID: config.grid, category: .cameraTamper,
                    severity: .high, title: TicketTitle.tamper(reason, cameraName: config.name), occurredAt: item.wallTime, snapshotJPEG: jpeg)
                alert.clipName = startClip(key: nil, item: item, eventTime: time)
                onCommand(.alert(alert))
            case let .cleared(reason, _):
                logger.notice("camera picture normal again", metadata: ["reason": "\(reason.rawValue)"])
                onCommand(.tamperCleared(cameraID: config.id, kind: Self.tamperKind(reason), at: item.wallTime))
            case let .sceneMode(mode, _):
                logger.notice("scene mode changed; learning the scene again", metadata: ["mode": "\(mode.rawValue)"])
            }
        }
    }

    // MARK: Record stream (packets only)

    private func recordSession(_ runner: StreamRunner) throws {
        guard let url = config.record else { return }
        var options = InputOptions()
        options.transport = config.transport
        options.openTimeout = config.openTimeout
        let reader = try PacketReader(url: url, options: options, stallTimeout: config.stallTimeout, interrupt: runner.interrupt)
        runner.markStreaming(reader.info)
        // A new connection's timestamps do not continue the old ones.
        ringSession(reader.parameters)
        defer { ringGap(stopping: runner.interrupt.isStopped) }
        while let packet = try reader.next() {
            let now = Date()
            runner.update {
                $0.framesDecoded += 1
                $0.lastFrameAt = now
            }
            ringPacket(packet)
        }
    }
}
