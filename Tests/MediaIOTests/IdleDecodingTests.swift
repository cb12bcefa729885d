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
