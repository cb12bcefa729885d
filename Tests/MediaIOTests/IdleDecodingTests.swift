import Foundation
import MediaIO
import Testing
import TestSupport

/// Decode-on-demand's verdicts on packet sizes (pure values).
struct StillSceneSizesTests {
    @Test func noVerdictBeforeEnoughStillPackets() {
        var sizes = StillSceneSizes()
        sizes.keyframe(50_000)
        for _ in 0..<29 { sizes.learn(1_000) }
        #expect(!sizes.usable)
        #expect(sizes.threshold == nil)
        // Without a threshold every packet counts as motion: nothing is skipped blind.
        #expect(sizes.moves(10))
        sizes.learn(1_000)
        #expect(sizes.usable)
        #expect(sizes.threshold == 1_000 * 5 / 4 + 256)
    }

    @Test func thresholdSitsAboveTheLargestStillPacketsNotAnOutlier() {
        var sizes = StillSceneSizes()
        sizes.keyframe(60_000)
        // A still scene with sensor noise: 900-1500 bytes; one mislabelled 9000-byte packet.
        for i in 0..<119 { sizes.learn(900 + (i * 37) % 600) }
        sizes.learn(9_000)
        let threshold = try! #require(sizes.threshold)
        #expect(threshold > 1_500 && threshold < 2_400, "\(threshold)")
        #expect(!sizes.moves(1_500))
        // Someone walking through adds a few kilobytes.
        #expect(sizes.moves(3_000))
    }

    @Test func noisyOrPaddedStillPacketsKeepFullDecoding() {
        // Night noise or a constant-bit-rate encoder: still P-frames a quarter of a keyframe.
        var sizes = StillSceneSizes()
        sizes.keyframe(72_000)
        for i in 0..<60 { sizes.learn(16_000 + (i * 101) % 4_000) }
        #expect(!sizes.usable)
        sizes.reset()
        #expect(!sizes.usable && sizes.threshold == nil && sizes.keyframeSize == 0)
    }

    @Test func aKeyframeOutsideTheStillBandShowsAChangedPicture() {
        var sizes = StillSceneSizes()
        // Two still keyframes are not yet a band.
        sizes.learnKeyframe(60_900)
        sizes.learnKeyframe(61_300)
        #expect(!sizes.keyframeChanged(10_000))
        sizes.learnKeyframe(61_100)
        // The same picture coded again: within a tenth of the band.
        #expect(!sizes.keyframeChanged(61_000))
        #expect(!sizes.keyframeChanged(55_000))
        #expect(!sizes.keyframeChanged(67_000))
        // Switched to infrared (-16 %), blurred (-82 %), covered; or much busier.
        #expect(sizes.keyframeChanged(51_000))
        #expect(sizes.keyframeChanged(10_800))
        #expect(sizes.keyframeChanged(98))
        #expect(sizes.keyframeChanged(68_000))
        // Only the newest keyframes count: a scene that brightened slowly moves the band.
        for _ in 0..<8 { sizes.learnKeyframe(52_000) }
        #expect(!sizes.keyframeChanged(51_000))
        #expect(sizes.keyframeChanged(61_000))
        sizes.reset()
        #expect(!sizes.keyframeChanged(98))
    }

    @Test func interFramePacketsFarBelowTheStillOnesAreQuiet() {
        var sizes = StillSceneSizes()
        sizes.keyframe(61_000)
        // The bench's still clip: sensor noise coded at 450-1000 bytes.
        for i in 0..<120 { sizes.learn(450 + (i * 53) % 550) }
        let below = try! #require(sizes.quietBelow)
        #expect(below > 90 && below < 140, "\(below)")
        // A frozen picture's packets (19-89 bytes) and a covered one's (21).
        #expect(sizes.quiet(19) && sizes.quiet(89) && sizes.quiet(21))
        #expect(!sizes.quiet(300))
        // A clean still picture already codes almost nothing: it cannot fall quieter.
        var clean = StillSceneSizes()
        clean.keyframe(40_000)
        for i in 0..<120 { clean.learn(30 + i % 40) }
        #expect(clean.quietBelow == nil && !clean.quiet(5))
    }

    @Test func onlyTheNewestStillPacketsCount() {
        var sizes = StillSceneSizes()
        sizes.keyframe(60_000)
        for _ in 0..<120 { sizes.learn(5_000) }
        for _ in 0..<120 { sizes.learn(800) }
        #expect(sizes.stillSize == 800)
    }
}

/// Decode-on-demand through real FFmpeg decoding: keyframes only while the owner says the
/// scene is still, and every frame from the last keyframe on once a packet's size shows
/// something moving.
@Suite(.serialized) struct IdleDecodingReaderTests {
    static func clip(_ path: String, seconds: Int = 20, walkFrom: Int = 12) throws {
        try Clips.stillThenWalker(path, seconds: seconds, walkFrom: walkFrom)
    }

    @Test func keyframesWhileStillThenEveryFrameFromTheLastKeyframe() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Self.clip(dir.path("still.mp4"))
        let reader = try VideoReader(url: dir.path("still.mp4"), options: .init(), interrupt: InterruptState())
        var times: [Double] = []
        var modes: [DecodeMode] = []
        var still = true
        while true {
            // The owner: still from the start; it sees the box in the first frame after a
            // wake, and calls the scene still again once the box has gone.
            reader.keyframesOnly = still
            guard let frame = try reader.nextFrame() else { break }
            times.append(((frame.time * 10).rounded()) / 10)
            modes.append(reader.mode)
            if reader.idle.wokenBySize > 0 && frame.time < 16.5 { still = false }
            if frame.time >= 16.5 { still = true }
        }
        #expect(reader.idle.wokenBySize == 1, "\(reader.idle)")
        #expect(reader.idle.entered >= 2)
        #expect(reader.idle.packetsSkipped > 60)
        // While still (after learning), only whole seconds: keyframes.
        let stillPart = times.filter { $0 > 5 && $0 < 11.9 }
        #expect(!stillPart.isEmpty && stillPart.allSatisfy { $0 == $0.rounded() }, "\(stillPart)")
        // The box enters at 12 s: from the keyframe at 12 s every frame to 16.5 s, in order.
        let walk = times.filter { $0 >= 12 && $0 <= 16.5 }
        #expect(walk.count == 46, "\(walk)")
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
        // Frame numbers count the packets never decoded.
        #expect(reader.idle.framesDecoded + reader.idle.packetsSkipped <= 200)
        #expect(reader.stats.decodeErrors == 0)
    }

    @Test func rareKeyframesAreSkippedToo() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Self.clip(dir.path("still.mp4"), seconds: 30, walkFrom: 40)
        let reader = try VideoReader(url: dir.path("still.mp4"), options: .init(), interrupt: InterruptState())
        reader.keyframeInterval = 5
        var times: [Double] = []
        while true {
            reader.keyframesOnly = true
            guard let frame = try reader.nextFrame() else { break }
            times.append(((frame.time * 10).rounded()) / 10)
        }
        // After entry, one keyframe in five seconds.
        let late = times.filter { $0 > 10 }
        #expect(late.count >= 3 && late.count <= 5, "\(late)")
        #expect(zip(late, late.dropFirst()).allSatisfy { $1 - $0 >= 5 }, "\(late)")
    }

    /// A still scene whose whole picture changes exactly at a keyframe, coded as cheap
    /// inter-frame packets (here: its contrast halved at 12 s, like a lens fogging or a
    /// switch to infrared): the keyframe's size gives it away, and the frames from the
    /// keyframe before it on are decoded, as with every frame decoded.
    @Test func aChangedKeyframeWakesTheReaderFromTheKeyframeBefore() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("fog.mp4")
        _ = try runCommand(Clips.ffmpeg, [
            "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x707070:s=640x360:r=10:d=20",
            "-vf", "noise=alls=40,noise=alls=2:allf=t,eq=contrast=0.4:enable='gte(t,12)'",
        ] + Clips.keyframeEverySecond + [path])
        let reader = try VideoReader(url: path, options: .init(), interrupt: InterruptState())
        var times: [Double] = []
        while true {
            // The owner calls the scene still until it has seen the changed picture.
            reader.keyframesOnly = !times.contains { $0 >= 12 }
            guard let frame = try reader.nextFrame() else { break }
            times.append(((frame.time * 10).rounded()) / 10)
        }
        #expect(reader.idle.wokenBySize == 1, "\(reader.idle)")
        #expect(reader.idle.wokenByAnalysis == 0, "\(reader.idle)")
        // Keyframes only before the change; every frame from 11 s, the keyframe before it.
        #expect(times.filter { $0 > 5 && $0 < 11 }.allSatisfy { $0 == $0.rounded() }, "\(times)")
        #expect(times.filter { $0 >= 11 && $0 < 13 }.count == 20, "\(times)")
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
        #expect(reader.stats.decodeErrors == 0)
    }

    /// A still scene that freezes (a hung encoder repeating its picture): the sensor noise
    /// stops and the inter-frame packets shrink to almost nothing. A few such packets wake
    /// the reader, and the frames from the keyframe before them are decoded. The clip is
    /// joined from two encodings, as a camera's encoder (which looks no frame ahead) would
    /// code it: x264 alone, seeing the freeze coming, spends more bits just before it.
    @Test func aFreezeWakesTheReaderByItsQuietPackets() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let encode = Clips.keyframeEverySecond
        let scene = "noise=alls=20,noise=alls=3:allf=t"
        _ = try runCommand(Clips.ffmpeg, ["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x707070:s=640x360:r=10:d=14",
                                          "-vf", scene] + encode + [dir.path("live.mp4")])
        _ = try runCommand(Clips.ffmpeg, ["-v", "error", "-y", "-i", dir.path("live.mp4"), "-t", "12", "-c", "copy", dir.path("live12.mp4")])
        _ = try runCommand(Clips.ffmpeg, ["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x707070:s=640x360:r=10:d=13",
                                          "-vf", scene + ",trim=start_frame=120:end_frame=121,loop=loop=79:size=1:start=0,setpts=N/10/TB"]
                                         + encode + [dir.path("frozen.mp4")])
        try "file '\(dir.path("live12.mp4"))'\nfile '\(dir.path("frozen.mp4"))'\n".write(toFile: dir.path("list.txt"), atomically: true, encoding: .utf8)
        _ = try runCommand(Clips.ffmpeg, ["-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", dir.path("list.txt"), "-c", "copy", dir.path("freeze.mp4")])
        let reader = try VideoReader(url: dir.path("freeze.mp4"), options: .init(), interrupt: InterruptState())
        reader.keyframesOnly = true
        var times: [Double] = []
        var packetsAtFirstFrozen: Int?
        while let frame = try reader.nextFrame() {
            let t = ((frame.time * 10).rounded()) / 10
            if t == 12.1 { packetsAtFirstFrozen = reader.stats.packets }
            times.append(t)
        }
        // (Later wakes while it stays frozen end once the still sizes learnt are the
        // frozen ones.)
        #expect(reader.idle.wokenBySize >= 1, "\(reader.idle)")
        // Keyframes only up to the freeze at 12 s; then every frame from the keyframe at
        // 12 s, decoded once five quiet packets (12.1-12.5) were read, before the next
        // keyframe (whose size changed too) came.
        #expect(times.filter { $0 > 5 && $0 < 12 }.allSatisfy { $0 == $0.rounded() }, "\(times)")
        #expect(times.filter { $0 >= 12 && $0 < 13 }.count == 10, "\(times)")
        #expect(packetsAtFirstFrozen.map { $0 <= 127 } == true, "\(String(describing: packetsAtFirstFrozen))")
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
    }

    /// The owner's word with a deadline (a freeze will alert at 12.35 s): keyframes only
    /// before it, one in five seconds; from the first packet at or after it every frame,
    /// from the keyframe before it, which was skipped and is decoded now.
    @Test func aDeadlineHasEveryFrameDecodedFromTheKeyframeBeforeIt() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Self.clip(dir.path("still.mp4"), seconds: 16, walkFrom: 100)
        let reader = try VideoReader(url: dir.path("still.mp4"), options: .init(), interrupt: InterruptState())
        reader.keyframeInterval = 5
        reader.stillUntil = 12.35
        var times: [Double] = []
        while let frame = try reader.nextFrame() { times.append(((frame.time * 10).rounded()) / 10) }
        #expect(reader.idle.wokenByAnalysis == 1 && reader.idle.wokenBySize == 0, "\(reader.idle)")
        // Keyframes only from entry to the deadline; from 12.0 s every frame, in order.
        let early = times.filter { $0 > 5 && $0 < 12 }
        #expect(!early.isEmpty && early.count <= 2 && early.allSatisfy { $0 == $0.rounded() }, "\(times)")
        #expect(times.filter { $0 >= 12 } == (120..<160).map { Double($0) / 10 }, "\(times)")
        #expect(reader.stats.decodeErrors == 0)
    }

    /// A decoded keyframe that shows the owner something new (a walker too small to grow
    /// the packets, say): `rewind()` has the packets skipped since the keyframe decoded
    /// before it decoded after all, and the frames come out as with every frame decoded:
    /// the same pictures, times and frame numbers, from the one after that keyframe on.
    @Test func aRewindDecodesWhatWasSkippedSinceTheKeyframeDecodedBefore() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Self.clip(dir.path("still.mp4"), seconds: 24, walkFrom: 100)
        let scaler = try GrayScaler(width: 160)
        // Every frame decoded: the reference pictures (the clip's noise changes every frame).
        var full: [Int: [UInt8]] = [:]
        let everyFrame = try VideoReader(url: dir.path("still.mp4"), options: .init(), interrupt: InterruptState())
        while let frame = try everyFrame.nextFrame() {
            full[Int((frame.time * 10).rounded())] = try scaler.gray(frame).pixels
            #expect(frame.index == Int((frame.time * 10).rounded()))
        }
        let reader = try VideoReader(url: dir.path("still.mp4"), options: .init(), interrupt: InterruptState())
        reader.keyframeInterval = 5
        reader.keyframesOnly = true
        var seen: [(tenth: Int, index: Int, same: Bool)] = []
        var probe: Int?
        var before: Int?
        while let frame = try reader.nextFrame() {
            let tenth = Int((frame.time * 10).rounded())
            seen.append((tenth, frame.index, try scaler.gray(frame).pixels == full[tenth]))
            if reader.canRewind && probe == nil && tenth >= 120 {
                probe = tenth
                before = seen.dropLast().last?.tenth
                reader.rewind()
            }
        }
        #expect(reader.idle.rewinds == 1, "\(reader.idle)")
        #expect(reader.stats.decodeErrors == 0)
        let t = try #require(probe), d = try #require(before)
        // Keyframes five seconds apart were decoded before the rewind, nothing between.
        #expect(t - d == 50 && d % 10 == 0, "\(d) \(t)")
        // After it: every frame from the one after the keyframe before, through this keyframe
        // again and on, in order.
        let k = try #require(seen.firstIndex { $0.tenth == t })
        let after = seen[(k + 1)...].map(\.tenth)
        #expect(Array(after.prefix(60)) == Array((d + 1)...(d + 60)), "\(after.prefix(70))")
        // The pictures are those of full decoding, and frame numbers count every packet.
        #expect(seen.allSatisfy { $0.same }, "\(seen.filter { !$0.same })")
        #expect(seen.allSatisfy { $0.index == $0.tenth }, "\(seen.filter { $0.index != $0.tenth })")
        // Without a rewind the next keyframe decoded settles the skipped packets as skipped.
        #expect(reader.idle.packetsSkipped > 50)
    }

    /// Over RTSP, keyframe mode reads in batches: once a read has waited for the camera,
    /// the reader waits `keyframeReadPause` and then takes what came meanwhile back to back
    /// from the socket. It keeps up with the stream, and still decodes its keyframes only.
    @Test func overRTSPKeyframeModeReadsInBatchesAndKeepsUpWithTheStream() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Self.clip(dir.path("still.mp4"), seconds: 30, walkFrom: 40)
        let server = try RTSPServer(file: dir.path("still.mp4"), loop: true)
        defer { server.stop() }
        // As a camera's decode thread sets it (RTSP over TCP, the default).
        var options = VideoReader.Options()
        options.input.transport = .tcp
        options.batchSeconds = 0.5
        options.keyframeReadPause = 0.5
        let reader = try VideoReader(url: server.url, options: options, interrupt: InterruptState())
        let started = MonotonicClock.seconds()
        var keyframeModeTimes: [Double] = []
        while MonotonicClock.seconds() - started < 12 {
            reader.keyframesOnly = true
            guard let frame = try reader.nextFrame() else { break }
            if reader.mode == .keyframes { keyframeModeTimes.append(frame.time) }
        }
        let elapsed = MonotonicClock.seconds() - started
        #expect(reader.mode == .keyframes, "\(reader.idle)")
        // Some 6 s in keyframe mode at a pause every 0.6 s or so.
        #expect(reader.idle.readPauses >= 4, "\(reader.idle)")
        // Kept up: the server sends 10 packets a second from the start, and all but the
        // last pause's came in (a reader pausing after every packet would have read ~25).
        #expect(Double(reader.stats.packets) >= 10 * (elapsed - 2), "\(reader.stats.packets) packets in \(elapsed) s")
        // Keyframes only (one a second), none lost between the pauses.
        let gaps = zip(keyframeModeTimes, keyframeModeTimes.dropFirst()).map { $1 - $0 }
        #expect(gaps.count >= 3 && gaps.allSatisfy { abs($0 - 1) < 0.05 }, "\(keyframeModeTimes)")
        #expect(reader.stats.decodeErrors == 0)
    }

    /// A looping file shorter than the keyframe spacing still advances: each pass decodes
    /// its first keyframe (else every keyframe would be skipped and the reader spin).
    @Test func aShortLoopingFileKeepsAdvancingInKeyframeMode() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Self.clip(dir.path("short.mp4"), seconds: 3, walkFrom: 100)
        var options = VideoReader.Options()
        options.loop = true
        let reader = try VideoReader(url: dir.path("short.mp4"), options: options, interrupt: InterruptState())
        reader.keyframeInterval = 5
        reader.keyframesOnly = true
        var times: [Double] = []
        while (times.last ?? 0) < 25, times.count < 400, let frame = try reader.nextFrame() { times.append(frame.time) }
        #expect(reader.idle.entered >= 1)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
        #expect((times.last ?? 0) >= 25, "\(times)")
        // Keyframes only once entered: far fewer frames than the 250 of full decoding.
        #expect(times.count < 120, "\(times.count) \(reader.idle) \(reader.stats)")
    }
}
