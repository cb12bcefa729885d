import Analysis
import Testing

/// A still scene watched (`CameraAnalyzer.stillWatch`): the analysis reaches the same
/// events whether it is given every frame or only the frames decode-on-demand decodes.
@Suite struct StillWatchTests {
    static let fps = 10.0
    static let keyframeEvery = 10  // frames: a keyframe a second
    static let watch = StillWatch(idleAfter: 3, keyframeEvery: 5)

    /// One frame of a scene: sensor noise everywhere, and `box` (x, y) drawn when given.
    /// A faint box (28 levels above the background, the threshold is 25): which of its
    /// pixels count depends on the background to a fraction of a level.
    static func frame(_ i: Int, box: (Int, Int)?, noise: inout SyntheticFrames.Noise, level: UInt8 = 118) -> LumaFrame {
        var frame = SyntheticFrames.background(level: 90, noise: 4, noise: &noise)
        if let (x, y) = box { SyntheticFrames.drawBox(&frame, x: x, y: y, width: 16, height: 40, level: level) }
        return frame
    }

    static func analyzer(zones: [ZoneRule], tripwires: [TripwireRule] = []) -> CameraAnalyzer {
        var settings = MotionSettings()
        settings.warmupFrames = 5
        var analyzer = CameraAnalyzer(motion: settings, zones: zones, tripwires: tripwires)
        analyzer.frameInterval = 1 / fps
        analyzer.stillWatch = watch
        return analyzer
    }

    struct Run {
        var events: [String] = []
        var analysed = 0
        /// Per frame analysed: its blobs and the tracks' boxes.
        var seen: [Int: String] = [:]

        mutating func record(_ i: Int, _ result: AnalysisResult) {
            events += result.events.map(StillWatchTests.describe)
            analysed += 1
            seen[i] = "\(result.blobs.map(\.box)) \(result.tracks.map { [$0.id, Int($0.box.minX * 1e6), Int($0.box.maxX * 1e6), Int($0.box.minY * 1e6), Int($0.box.maxY * 1e6)] })"
        }

        /// The frames both analysed, where they differ.
        func differences(from other: Run) -> [Int] {
            seen.keys.filter { other.seen[$0] != nil && other.seen[$0] != seen[$0] }.sorted()
        }
    }

    static func describe(_ e: AnalysisEvent) -> String {
        "\(e.kind) \(e.ruleID) \((e.time * 10).rounded() / 10) \(e.direction.map { "\($0)" } ?? "-")"
    }

    /// Every frame, as with decode-on-demand off.
    static func everyFrame(_ frames: [LumaFrame], _ analyzer: CameraAnalyzer) -> Run {
        var analyzer = analyzer, run = Run()
        for (i, f) in frames.enumerated() {
            run.record(i, analyzer.process(f, time: Double(i) / fps, keyframe: i % keyframeEvery == 0))
        }
        return run
    }

    /// The frames a reader decoding on demand hands over (`VideoReader.holdBack`, without
    /// the packet-size learning): every frame until the analysis says the scene is still,
    /// then only the keyframes it wants (`nextLearning`); woken by `moving` (a packet that
    /// grew) or by the analysis's own word running out, the frames since the last keyframe
    /// and every one after.
    static func onDemand(_ frames: [LumaFrame], moving: (Int) -> Bool, _ analyzer: CameraAnalyzer) -> Run {
        var analyzer = analyzer, run = Run()
        var keyframesOnly = false, pending: [Int] = [], lastAnalysed: Double?
        func analyse(_ i: Int) {
            let t = Double(i) / fps
            run.record(i, analyzer.process(frames[i], time: t, keyframe: i % keyframeEvery == 0))
            lastAnalysed = t
        }
        for i in frames.indices {
            let t = Double(i) / fps, key = i % keyframeEvery == 0
            let until = lastAnalysed.map { analyzer.stillUntil(at: $0, idleAfter: watch.idleAfter) } ?? -.infinity
            let still = until > t
            if !keyframesOnly {
                analyse(i)
                if still && key { keyframesOnly = true }
                continue
            }
            if !still || moving(i) {
                for p in pending { analyse(p) }
                pending = []
                analyse(i)
                keyframesOnly = false
            } else if key {
                pending = []
                if t >= analyzer.nextLearning { analyse(i) } else { pending = [i] }
            } else {
                pending.append(i)
            }
        }
        return run
    }

    @Test func aWalkerAfterALongStillSpellGivesTheSameEventsFromKeyframesOnly() {
        // 25 s of an empty, noisy scene; a box walks through a zone and over a line; 15 s still.
        var noise = SyntheticFrames.Noise(seed: 11)
        let walk = 250..<310
        let frames = (0..<450).map { i in
            Self.frame(i, box: walk.contains(i) ? ((i - walk.lowerBound) * 5, 80) : nil, noise: &noise)
        }
        let zone = ZoneRule(id: "Z", polygon: Polygon([Point(x: 0.4, y: 0.3), Point(x: 0.6, y: 0.3), Point(x: 0.6, y: 0.9), Point(x: 0.4, y: 0.9)]))
        let line = TripwireRule(line: Tripwire(id: "L", a: Point(x: 0.75, y: 0), b: Point(x: 0.75, y: 1)))
        let analyzer = Self.analyzer(zones: [zone], tripwires: [line])
        let full = Self.everyFrame(frames, analyzer)
        let idle = Self.onDemand(frames, moving: { walk.contains($0) }, analyzer)
        #expect(full.events.count >= 3, "\(full.events)")
        #expect(idle.events == full.events)
        #expect(idle.differences(from: full).isEmpty, "frames that differ: \(idle.differences(from: full))")
        // Most of the still frames were never handed over.
        #expect(idle.analysed < full.analysed * 2 / 3, "\(idle.analysed) of \(full.analysed)")
    }

    @Test func someoneStandingInAZoneLoitersAtTheSameMoment() {
        // A box walks into the zone, stands there for 20 s and walks off; loitering after 8 s.
        var noise = SyntheticFrames.Noise(seed: 5)
        let frames = (0..<500).map { i -> LumaFrame in
            let x: Int? = switch i {
            case 50..<80: (i - 50) * 4          // walks in
            case 80..<280: 120                  // stands
            case 280..<330: 120 + (i - 280) * 4 // walks off
            default: nil
            }
            return Self.frame(i, box: x.map { ($0, 80) }, noise: &noise, level: 230)
        }
        let zone = ZoneRule(id: "Z", polygon: Polygon([Point(x: 0.3, y: 0.2), Point(x: 0.55, y: 0.2), Point(x: 0.55, y: 0.95), Point(x: 0.3, y: 0.95)]),
                            loiterAfter: 8)
        let analyzer = Self.analyzer(zones: [zone])
        let full = Self.everyFrame(frames, analyzer)
        let idle = Self.onDemand(frames, moving: { (50..<80).contains($0) || (280..<330).contains($0) }, analyzer)
        #expect(full.events.contains { $0.hasPrefix("loiter") }, "\(full.events)")
        #expect(idle.events == full.events)
        #expect(idle.differences(from: full).isEmpty, "frames that differ: \(idle.differences(from: full))")
        #expect(idle.analysed < full.analysed, "\(idle.analysed) of \(full.analysed)")
    }

    /// While watched, a frame the look does not explain but that leaves the scene still (a
    /// standing person's blob for a moment twice as tall: a raised arm, a shadow) is one
    /// decode-on-demand never decodes: it changes nothing with every frame decoded either,
    /// so the keyframes after it find the same tracks both ways.
    @Test func aFrameThatLeavesTheSceneStillIsNotLearntFromWhileWatched() {
        var noise = SyntheticFrames.Noise(seed: 7)
        let odd = 205
        let frames = (0..<300).map { i -> LumaFrame in
            let x: Int? = switch i {
            case 50..<80: (i - 50) * 4
            case 80...: 120
            default: nil
            }
            var f = Self.frame(i, box: x.map { ($0, 80) }, noise: &noise, level: 230)
            // Taller upwards for one frame: the same foot, a blob twice the track's size.
            if i == odd { SyntheticFrames.drawBox(&f, x: 120, y: 30, width: 16, height: 50, level: 230) }
            return f
        }
        // The box walks into a zone and stands in it.
        let zone = ZoneRule(id: "Z", polygon: Polygon([Point(x: 0.3, y: 0.2), Point(x: 0.55, y: 0.2), Point(x: 0.55, y: 0.95), Point(x: 0.3, y: 0.95)]))
        let analyzer = Self.analyzer(zones: [zone])
        var probe = analyzer
        for i in 0..<odd { _ = probe.process(frames[i], time: Double(i) / Self.fps, keyframe: i % Self.keyframeEvery == 0) }
        #expect(probe.watching(at: Double(odd) / Self.fps), "not watched yet at \(odd)")
        let full = Self.everyFrame(frames, analyzer)
        let idle = Self.onDemand(frames, moving: { (50..<80).contains($0) }, analyzer)
        #expect(idle.seen[odd] == nil)
        #expect(!full.events.isEmpty && idle.events == full.events, "\(full.events) against \(idle.events)")
        #expect(idle.differences(from: full).isEmpty, "frames that differ: \(idle.differences(from: full))")
    }

    @Test func framesOnlyLookedAtLeaveTheAnalysisAsItWas() {
        var noise = SyntheticFrames.Noise(seed: 3)
        var analyzer = Self.analyzer(zones: [])
        var i = 0
        // Still long enough to be watched, up to just after a keyframe learnt from.
        while !(analyzer.watching(at: Double(i) / Self.fps) && analyzer.nextLearning > Double(i) / Self.fps) {
            _ = analyzer.process(Self.frame(i, box: nil, noise: &noise), time: Double(i) / Self.fps, keyframe: i % Self.keyframeEvery == 0)
            i += 1
        }
        let learnt = analyzer.nextLearning
        var skipping = analyzer
        // Frames between two keyframes, each with a speck the background would learn if it
        // learnt from them (too small to be a blob: only looked at).
        for k in i..<(i + 5) {
            var f = Self.frame(k, box: nil, noise: &noise)
            for y in 0..<3 { for x in 0..<3 { f.pixels[(100 + y) * f.width + 20 * (k - i) + x] = 255 } }
            let result = analyzer.process(f, time: Double(k) / Self.fps, keyframe: false)
            #expect(result.events.isEmpty && result.blobs.isEmpty)
        }
        #expect(analyzer.nextLearning == learnt)
        // Both then see the same walker: the same tracks, frame by frame.
        var tracked = 0
        for k in (i + 5)..<(i + 40) {
            let f = Self.frame(k, box: ((k - i - 5) * 6, 60), noise: &noise, level: 230)
            let a = analyzer.process(f, time: Double(k) / Self.fps, keyframe: k % Self.keyframeEvery == 0)
            let b = skipping.process(f, time: Double(k) / Self.fps, keyframe: k % Self.keyframeEvery == 0)
            #expect(a.tracks.map(\.box) == b.tracks.map(\.box))
            #expect(a.blobs == b.blobs)
            if !a.tracks.isEmpty { tracked += 1 }
        }
        // The walker was seen at once, not at the next keyframe.
        #expect(tracked >= 30, "\(tracked) of 35 frames with a track")
    }

    @Test func withoutKeyframeFlagsEveryFrameIsLearntFrom() {
        var noise = SyntheticFrames.Noise(seed: 9)
        var analyzer = Self.analyzer(zones: [])
        for i in 0..<80 { _ = analyzer.process(Self.frame(i, box: nil, noise: &noise), time: Double(i) / Self.fps) }
        #expect(analyzer.watching(at: 8))
        // Never told of a keyframe, it never waits for one.
        #expect(analyzer.nextLearning == -.infinity)
    }
}

@Suite struct FrameSamplerKeyframeTests {
    @Test func keyframesAreAlwaysTakenAndTheCountStartsAgainFromThem() {
        // 25 fps sampled at 10 fps, a keyframe every 50 frames and one more at frame 77.
        var sampler = FrameSampler(fps: 10)
        var taken: [Double] = [], keyframes: [Double] = []
        for i in 0..<150 {
            let t = Double(i) / 25, key = i % 50 == 0 || i == 77
            if key { keyframes.append(t) }
            if sampler.take(t, keyframe: key) { taken.append(t) }
        }
        #expect(keyframes.allSatisfy { taken.contains($0) })
        // About ten a second; after a keyframe the next is an interval on, not sooner.
        #expect(taken.count >= 58 && taken.count <= 64, "\(taken.count)")
        for k in keyframes {
            let j = taken.firstIndex(of: k)!
            if j + 1 < taken.count { #expect(taken[j + 1] - k >= 0.09, "after \(k): \(taken[j + 1])") }
        }
    }

    @Test func whereEveryFrameIsAKeyframeTheRateHolds() {
        // MJPEG: every frame is a keyframe; 25 fps still sampled at 10 fps.
        var sampler = FrameSampler(fps: 10)
        let taken = (0..<250).filter { sampler.take(Double($0) / 25, keyframe: true) }.count
        #expect(taken >= 99 && taken <= 101, "\(taken)")
    }
}
