import Analysis
import Testing

@Suite struct PolygonTests {
    let square = Polygon([Point(x: 0.2, y: 0.2), Point(x: 0.6, y: 0.2), Point(x: 0.6, y: 0.6), Point(x: 0.2, y: 0.6)])

    @Test(arguments: [
        (0.4, 0.4, true), (0.1, 0.4, false), (0.7, 0.4, false), (0.4, 0.1, false), (0.4, 0.7, false), (0.59, 0.59, true),
    ])
    func containsPointsInsideOnly(x: Double, y: Double, inside: Bool) {
        #expect(square.contains(Point(x: x, y: y)) == inside)
    }

    @Test func handlesConcaveShapes() {
        // An L shape: the notch at the top right is outside.
        let l = Polygon([Point(x: 0, y: 0), Point(x: 0.5, y: 0), Point(x: 0.5, y: 0.5), Point(x: 1, y: 0.5), Point(x: 1, y: 1), Point(x: 0, y: 1)])
        #expect(l.contains(Point(x: 0.25, y: 0.25)))
        #expect(!l.contains(Point(x: 0.75, y: 0.25)))
        #expect(l.contains(Point(x: 0.75, y: 0.75)))
    }

    @Test func degeneratePolygonsContainNothing() {
        #expect(!Polygon([Point(x: 0, y: 0), Point(x: 1, y: 1)]).contains(Point(x: 0.5, y: 0.5)))
        #expect(Polygon([Point(x: 0, y: 0), Point(x: 1, y: 1), Point(x: 0.5, y: 0.5)]).doubleSignedArea == 0)
    }
}

@Suite struct CameraAnalyzerTests {
    /// A box walks left to right across the frame, through a zone in the middle.
    @Test func aBoxWalkingThroughAZoneEntersOnceAndLeavesOnce() {
        var settings = MotionSettings()
        settings.warmupFrames = 5
        let zone = ZoneRule(id: "middle", polygon: Polygon([
            Point(x: 0.4, y: 0.3), Point(x: 0.6, y: 0.3), Point(x: 0.6, y: 0.9), Point(x: 0.4, y: 0.9),
        ]))
        var analyzer = CameraAnalyzer(motion: settings, zones: [zone])
        var noise = SyntheticFrames.Noise(seed: 7)
        var events: [AnalysisEvent] = []
        for i in 0..<80 {
            var frame = SyntheticFrames.background(level: 90, noise: 5, noise: &noise)
            if i >= 10 { SyntheticFrames.drawBox(&frame, x: (i - 10) * 5, y: 80, width: 16, height: 40) }
            events += analyzer.process(frame, time: Double(i) / 5).events
        }
        #expect(events.map(\.kind) == [.zoneEnter, .zoneExit])
        #expect(events.allSatisfy { $0.ruleID == "middle" })
        let entry = events[0]
        // The foot point crosses x = 0.4 (128 px) when the box's left edge is near 120 px: frame 34.
        #expect(entry.time > 6.5 && entry.time < 7.6, "entered at \(entry.time)")
        #expect(entry.trackID != nil && !entry.trajectory.isEmpty)
    }

    @Test func resetForgetsTracksAndLearnsAgain() {
        var settings = MotionSettings()
        settings.warmupFrames = 2
        let zone = ZoneRule(id: "all", polygon: Polygon([Point(x: 0, y: 0), Point(x: 1, y: 0), Point(x: 1, y: 1), Point(x: 0, y: 1)]))
        var analyzer = CameraAnalyzer(motion: settings, zones: [zone])
        let empty = SyntheticFrames.background()
        for _ in 0..<3 { _ = analyzer.process(empty, time: 0) }
        var kinds: [AnalysisEvent.Kind] = []
        for i in 0..<8 {
            var busy = empty
            SyntheticFrames.drawBox(&busy, x: 100 + 3 * i, y: 50, width: 20, height: 40)
            kinds += analyzer.process(busy, time: 1 + Double(i) / 5).events.map(\.kind)
        }
        #expect(kinds == [.zoneEnter])
        analyzer.reset()
        #expect(!analyzer.isReady)
    }
}

@Suite struct FrameSamplerTests {
    @Test(arguments: [(10.0, 5.0, 50), (25.0, 5.0, 50), (3.0, 5.0, 30), (5.0, 5.0, 50), (30.0, 2.0, 20)])
    func takesAboutTheRequestedRate(streamFPS: Double, analysisFPS: Double, expected: Int) {
        var sampler = FrameSampler(fps: analysisFPS)
        let frames = Int(streamFPS * 10)
        var taken = 0
        for i in 0..<frames where sampler.take(Double(i) / streamFPS) { taken += 1 }
        #expect(abs(taken - expected) <= 1, "took \(taken) of \(frames)")
    }

    @Test func takesEveryOtherFrameOfATenFPSStreamAtFive() {
        var sampler = FrameSampler(fps: 5)
        var taken: [Int] = []
        // Timestamps with a little jitter, as RTP clocks give them.
        for i in 0..<20 where sampler.take(Double(i) / 10 + (i % 3 == 0 ? 0.004 : -0.003)) { taken.append(i) }
        #expect(taken == Array(stride(from: 0, to: 20, by: 2)))
    }

    @Test func startsOverAfterAJumpBack() {
        var sampler = FrameSampler(fps: 5)
        for i in 0..<100 { _ = sampler.take(Double(i) / 10) }
        let taken = sampler.take(0)
        #expect(taken)
    }
}

@Suite struct TripwireWayTests {
    @Test(arguments: [
        // a, b, crossing, way on screen
        (Point(x: 0.3, y: 0.54), Point(x: 0.3, y: 0.31), Tripwire.Direction.aToB, Tripwire.ScreenWay.leftToRight),
        (Point(x: 0.3, y: 0.54), Point(x: 0.3, y: 0.31), .bToA, .rightToLeft),
        (Point(x: 0.3, y: 0.2), Point(x: 0.3, y: 0.8), .aToB, .rightToLeft),
        (Point(x: 0.1, y: 0.5), Point(x: 0.9, y: 0.5), .aToB, .topToBottom),
        (Point(x: 0.1, y: 0.5), Point(x: 0.9, y: 0.5), .bToA, .bottomToTop),
        (Point(x: 0.1, y: 0.45), Point(x: 0.9, y: 0.55), .aToB, .topToBottom),
    ])
    func crossingsAreSaidAsTheyLookOnScreen(a: Point, b: Point, crossing: Tripwire.Direction, way: Tripwire.ScreenWay) {
        let line = Tripwire(id: "l", a: a, b: b)
        #expect(line.screenWay(crossing) == way)
        // And it agrees with the sides: a point moved that way from side A lands on side B.
        let mid = Point(x: (a.x + b.x) / 2, y: (a.y + b.y) / 2)
        let step = 0.05
        let (dx, dy): (Double, Double) = switch way {
        case .leftToRight: (step, 0)
        case .rightToLeft: (-step, 0)
        case .topToBottom: (0, step)
        case .bottomToTop: (0, -step)
        }
        let after = line.signedDistance(Point(x: mid.x + dx, y: mid.y + dy))
        #expect(crossing == .aToB ? after > 0 : after < 0)
        #expect(line.screenWay(.both) == nil)
    }
}
