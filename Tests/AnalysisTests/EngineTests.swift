@testable import Analysis
import Testing

@Suite struct AssignmentTests {
    @Test func findsTheCheapestWholeAssignmentNotTheGreedyOne() {
        // Greedy takes (0,0) at 1 and is left with (1,1) at 10; the best is 2 + 1.
        #expect(Assignment.solve([[1, 2], [1, 10]], forbidden: 100) == [1, 0])
    }

    @Test func neverPairsForbiddenCellsAndHandlesRectangles() {
        #expect(Assignment.solve([[100, 100], [3, 100]], forbidden: 100) == [nil, 0])
        #expect(Assignment.solve([[5, 1, 9]], forbidden: 100) == [1])
        #expect(Assignment.solve([[4], [2], [3]], forbidden: 100) == [nil, 0, nil])
        #expect(Assignment.solve([], forbidden: 100) == [])
    }
}

@Suite struct PersonScaleTests {
    /// A person standing with feet at row y on a camera where height = 0.05 + 0.3·y.
    func person(x: Double, y: Double, wide: Double = 1) -> Box {
        let h = 0.05 + 0.3 * y
        return Box(minX: x, minY: y - h, maxX: x + 0.4 * h * wide, maxY: y)
    }

    @Test func learnsTheHeightOfAPersonAtEachRowDespitePairs() {
        var scale = PersonScale()
        #expect(!scale.isReady && scale.classify(person(x: 0.5, y: 0.5)) == .unknown)
        for i in 0..<120 {
            let y = 0.35 + 0.5 * Double(i % 20) / 20
            // Every fifth sample is a pair walking side by side: twice as wide (ignored by the fit).
            scale.observe(person(x: 0.3, y: y, wide: i % 5 == 0 ? 2 : 1))
        }
        #expect(scale.isReady)
        let h = scale.height(atFoot: 0.6)!
        #expect(abs(h - 0.23) < 0.01, "height at 0.6: \(h)")
        #expect(scale.classify(person(x: 0.5, y: 0.6)) == .person)
        #expect(scale.classify(person(x: 0.5, y: 0.6, wide: 2.2)) == .group)
        // A car: far wider than tall at its row.
        #expect(scale.classify(Box(minX: 0.2, minY: 0.5, maxX: 0.5, maxY: 0.62)) == .vehicle)
        // A cat: a fifth of a person's height.
        #expect(scale.classify(Box(minX: 0.2, minY: 0.75, maxX: 0.24, maxY: 0.8)) == .small)
    }

    @Test func needsSamplesSpreadOverTheRows() {
        var scale = PersonScale()
        for _ in 0..<100 { scale.observe(person(x: 0.3, y: 0.5)) }
        #expect(!scale.isReady)
    }
}

@Suite struct DetectionBuilderTests {
    let width = 160, height = 120

    /// A mask with filled rectangles (pixel bounds inclusive) and its blobs.
    func scene(_ rects: [(Int, Int, Int, Int)]) -> (LumaFrame, [UInt8], [Blob]) {
        var mask = [UInt8](repeating: 0, count: width * height)
        var frame = LumaFrame(width: width, height: height, fill: 100)
        for (x0, y0, x1, y1) in rects {
            for y in y0...y1 { for x in x0...x1 { mask[y * width + x] = 255; frame[x, y] = 30 } }
        }
        return (frame, mask, ConnectedComponents.blobs(mask: mask, width: width, height: height, minArea: 1))
    }

    func box(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) -> Box {
        Box(minX: Double(x0) / Double(width), minY: Double(y0) / Double(height), maxX: Double(x1 + 1) / Double(width), maxY: Double(y1 + 1) / Double(height))
    }

    @Test func aBlobHoldingTwoTracksSideBySideIsCutBetweenThem() {
        // Two people 12 px wide walked into each other: one blob 28 px wide.
        let (frame, mask, blobs) = scene([(40, 30, 67, 79)])
        let expected = [box(40, 30, 51, 79), box(56, 30, 67, 79)].map { DetectionBuilder.Expectation(box: $0, reliable: true) }
        let d = DetectionBuilder.build(blobs: blobs, frame: frame, mask: mask, expected: expected, scale: PersonScale())
        #expect(d.count == 2 && d.allSatisfy(\.split), "\(d)")
        let xs = d.map(\.foot.x).sorted()
        #expect(abs(xs[0] - 46.0 / 160) < 0.03 && abs(xs[1] - 62.0 / 160) < 0.03, "\(xs)")
    }

    @Test func oneTrackOnAPersonSizedBlobIsNotCutEvenWithASecondTrackOnIt() {
        // A track left on a piece of the same person: the blob is no bigger than one person.
        let (frame, mask, blobs) = scene([(40, 30, 51, 79)])
        let expected = [box(40, 30, 51, 79), box(42, 40, 50, 70)].map { DetectionBuilder.Expectation(box: $0, reliable: true) }
        let d = DetectionBuilder.build(blobs: blobs, frame: frame, mask: mask, expected: expected, scale: PersonScale())
        #expect(d.count == 1 && !d[0].split)
    }

    @Test func oneBehindTheOtherKeepsTheNearOnesFeetAndTheFarOnesExpectation() {
        // The near person (feet at row 90) hides the legs of the far one (feet expected at 70).
        let (frame, mask, blobs) = scene([(50, 20, 63, 90)])
        let near = box(50, 40, 63, 90), far = box(51, 20, 62, 70)
        let d = DetectionBuilder.build(blobs: blobs, frame: frame, mask: mask,
                                       expected: [near, far].map { .init(box: $0, reliable: true) }, scale: PersonScale())
        #expect(d.count == 2, "\(d)")
        let feet = d.map(\.foot.y).sorted()
        #expect(abs(feet[1] - 91.0 / 120) < 0.01 && abs(feet[0] - 71.0 / 120) < 0.01, "\(feet)")
    }

    @Test func piecesOfOnePersonInsideItsExpectedBoxAreJoined() {
        // A coat the colour of the paving: head and shoulders, and legs, 6 px apart.
        let (frame, mask, blobs) = scene([(40, 30, 51, 50), (42, 57, 50, 79)])
        #expect(blobs.count == 2)
        let d = DetectionBuilder.build(blobs: blobs, frame: frame, mask: mask,
                                       expected: [.init(box: box(40, 30, 51, 79), reliable: true)], scale: PersonScale())
        #expect(d.count == 1 && d[0].joined && abs(d[0].box.maxY - 80.0 / 120) < 1e-9, "\(d)")
    }

    @Test func aBlobTwoPeopleWideIsCutByThePerspectiveAlone() {
        var scale = PersonScale()
        for i in 0..<60 {
            let y = 0.4 + 0.4 * Double(i % 12) / 12, h = 0.1 + 0.4 * y
            scale.observe(Box(minX: 0.3, minY: y - h, maxX: 0.3 + 0.4 * h, maxY: y))
        }
        #expect(scale.isReady)
        // Feet at row 90 (y 0.75): a person is 0.4 tall (48 px) and 0.16 wide (26 px); the blob is 52 px.
        let (frame, mask, blobs) = scene([(30, 43, 81, 89)])
        let d = DetectionBuilder.build(blobs: blobs, frame: frame, mask: mask, expected: [], scale: scale)
        #expect(d.count == 2 && d.allSatisfy(\.split), "\(d)")
    }
}

@Suite struct EngineRuleTests {
    let line = Tripwire(id: "L", a: Point(x: 0.5, y: 0.1), b: Point(x: 0.5, y: 0.9), direction: .both)

    func walker(_ id: Int, x: Double, t: Double, confirmed: Bool = true, height: Double = 0.1) -> Track {
        Track(id: id, box: Box(minX: x - 0.02, minY: 0.5 - height, maxX: x + 0.02, maxY: 0.5),
              velocity: Point(x: 0, y: 0), hits: 5, misses: 0, confirmed: confirmed, firstSeen: 0, lastSeen: t,
              trajectory: [TrajectoryPoint(x: x, y: 0.5, t: t)], observed: true)
    }

    @Test func aSlowWalkerDitheringOnTheLineIsTimedWhereTheyCrossedIt() {
        // 0.01 a second to the right across x = 0.5 (reached at t = 10), ±0.006 of jitter.
        var engine = RuleEngine(tripwires: [TripwireRule(line: line)])
        var events: [AnalysisEvent] = []
        for i in 0...200 {
            let t = Double(i) * 0.1
            let x = 0.4 + 0.01 * t + (i % 2 == 0 ? 0.006 : -0.006)
            events += engine.evaluate(tracks: [walker(1, x: x, t: t)], ended: [], time: t, minuteOfDay: nil)
        }
        #expect(events.count == 1 && events[0].direction == .bToA)
        #expect(abs(events[0].time - 10) < 1, "timed at \(events[0].time)")
    }

    @Test func twoCrossingsTimedOutOfOrderAreBothReported() {
        // A near walker (wide band) is decided after a far one but crossed a little before.
        var engine = RuleEngine(tripwires: [TripwireRule(line: line)])
        var events: [AnalysisEvent] = []
        for i in 0...12 {
            let t = Double(i) * 0.1
            let far = walker(1, x: 0.46 + 0.01 * Double(i), t: t, height: 0.05)
            let near = walker(2, x: 0.455 + 0.01 * Double(i), t: t, height: 0.4)
            events += engine.evaluate(tracks: [far, near], ended: [], time: t, minuteOfDay: nil)
        }
        #expect(events.count == 2, "\(events.map { ($0.trackID, $0.time) })")
    }

    @Test func aCrossingMadeWhileTentativeIsReportedOnceConfirmed() {
        var engine = RuleEngine(tripwires: [TripwireRule(line: line)])
        var events: [AnalysisEvent] = []
        for (i, x) in [0.4, 0.45, 0.55, 0.6, 0.62].enumerated() {
            events += engine.evaluate(tracks: [walker(1, x: x, t: Double(i) * 0.1, confirmed: i >= 4)], ended: [], time: Double(i) * 0.1, minuteOfDay: nil)
        }
        #expect(events.map(\.direction) == [.bToA])
        #expect(events[0].time < 0.25, "timed at \(events[0].time)")
    }

    @Test func someoneWhoTurnsBackNearTheLineLaterCrossesAgain() {
        // Crosses, stays a little past the line (closer than the clearance) for two seconds, comes back.
        var engine = RuleEngine(tripwires: [TripwireRule(line: line)])
        var dirs: [Tripwire.Direction?] = []
        let xs = [0.4, 0.45, 0.52] + Array(repeating: 0.53, count: 20) + [0.47, 0.4]
        for (i, x) in xs.enumerated() {
            dirs += engine.evaluate(tracks: [walker(1, x: x, t: Double(i) * 0.1)], ended: [], time: Double(i) * 0.1, minuteOfDay: nil).map(\.direction)
        }
        #expect(dirs == [.bToA, .aToB])
    }

    /// Something big sweeping across the picture at 10 frames a second, `top` its box's top.
    func sweep(top: Double) -> [AnalysisEvent] {
        var tracker = Tracker()
        var engine = RuleEngine(tripwires: [TripwireRule(line: line)])
        var events: [AnalysisEvent] = []
        for i in 0..<12 {
            let x = 0.85 - 0.05 * Double(i), t = Double(i) * 0.1
            tracker.update(detections: [Detection(box: Box(minX: x - 0.15, minY: top, maxX: x + 0.15, maxY: top + 0.35))], time: t)
            tracker.classify(PersonScale())
            events += engine.evaluate(tracks: tracker.tracks, ended: tracker.ended, time: t, minuteOfDay: nil)
        }
        return events
    }

    @Test func somethingAtTheLensCutByTheTopEdgeRaisesNothing() {
        // A hand over the lens (tree.avi's last seconds): cut by the top edge, a third of the picture tall.
        #expect(sweep(top: 0).isEmpty)
        // As tall but standing in the scene, clear of the top edge: someone close to the camera.
        #expect(sweep(top: 0.3).map(\.direction) == [.aToB])
    }

    @Test func somethingFoundAtTheLensInsideAZoneNeverLeavesIt() {
        // A hand confirmed inside a zone before it grew tall enough to tell: its entry stands,
        // but once it is known to be at the lens it leaves no exit behind.
        let zone = ZoneRule(id: "Z", polygon: Polygon([Point(x: 0.2, y: 0), Point(x: 0.8, y: 0), Point(x: 0.8, y: 0.8), Point(x: 0.2, y: 0.8)]))
        var engine = RuleEngine(zones: [zone])
        var hand = Track(id: 1, box: Box(minX: 0.4, minY: 0, maxX: 0.6, maxY: 0.2), velocity: Point(x: 0, y: 0), hits: 5, misses: 0,
                         confirmed: true, firstSeen: 0, lastSeen: 0, trajectory: [TrajectoryPoint(x: 0.5, y: 0.2, t: 0)], observed: true)
        var kinds: [AnalysisEvent.Kind] = []
        for i in 0..<5 { kinds += engine.evaluate(tracks: [hand], ended: [], time: Double(i) * 0.1, minuteOfDay: nil).map(\.kind) }
        #expect(kinds == [.zoneEnter])
        hand.box = Box(minX: 0.4, minY: 0, maxX: 0.6, maxY: 0.4)
        hand.atLens = true
        kinds += engine.evaluate(tracks: [hand], ended: [], time: 0.5, minuteOfDay: nil).map(\.kind)
        kinds += engine.evaluate(tracks: [], ended: [hand], time: 0.6, minuteOfDay: nil).map(\.kind)
        #expect(kinds == [.zoneEnter])
    }

    @Test func rulesLimitedToPeopleIgnoreVehiclesButNotTheUnknown() {
        var options = RuleOptions()
        options.objects = [.person]
        var engine = RuleEngine(tripwires: [TripwireRule(line: line, options: options)])
        func cross(_ id: Int, _ cls: ObjectClass, at t: Double) -> Int {
            var a = walker(id, x: 0.4, t: t), b = walker(id, x: 0.6, t: t + 0.1)
            a.objectClass = cls
            b.objectClass = cls
            _ = engine.evaluate(tracks: [a], ended: [], time: t, minuteOfDay: nil)
            return engine.evaluate(tracks: [b], ended: [], time: t + 0.1, minuteOfDay: nil).count
        }
        #expect(cross(1, .vehicle, at: 0) == 0)
        #expect(cross(2, .person, at: 10) == 1)
        #expect(cross(3, .unknown, at: 20) == 1)
    }

    let zone = ZoneRule(id: "Z", polygon: Polygon([Point(x: 0.2, y: 0.2), Point(x: 0.8, y: 0.2), Point(x: 0.8, y: 0.8), Point(x: 0.2, y: 0.8)]))

    func standing(_ id: Int, at p: Point, t: Double, born: Point? = nil) -> Track {
        Track(id: id, box: Box(minX: p.x - 0.02, minY: p.y - 0.1, maxX: p.x + 0.02, maxY: p.y),
              velocity: Point(x: 0, y: 0), hits: 5, misses: 0, confirmed: true, firstSeen: 0, lastSeen: t,
              trajectory: [TrajectoryPoint(x: (born ?? p).x, y: (born ?? p).y, t: 0), TrajectoryPoint(x: p.x, y: p.y, t: t)], observed: true)
    }

    @Test func aTrackSplittingOffSomeoneInsideIsNotAnEntryButSomeoneAppearingAloneIs() {
        var engine = RuleEngine(zones: [zone])
        var kinds: [String] = []
        for i in 0..<5 {
            let t = Double(i) * 0.1
            var tracks = [standing(1, at: Point(x: 0.5, y: 0.5), t: t)]
            if i >= 2 { tracks.append(standing(2, at: Point(x: 0.53, y: 0.5), t: t)) }      // split off 1
            if i >= 3 { tracks.append(standing(3, at: Point(x: 0.3, y: 0.7), t: t)) }       // alone, far from 1
            kinds += engine.evaluate(tracks: tracks, ended: [], time: t, minuteOfDay: nil).map { "\($0.kind.rawValue)#\($0.trackID ?? 0)" }
        }
        #expect(kinds == ["zone_enter#1", "zone_enter#3"])
    }

    @Test func aFootFlickeringOnTheEdgeAtTenFramesASecondEntersOnceAndNeverLeaves() {
        var engine = RuleEngine(zones: [zone])
        var kinds: [AnalysisEvent.Kind] = []
        for i in 0..<60 {
            let t = Double(i) * 0.1
            // Outside for the first frames, then on the left edge: in and out every few frames.
            let x = i < 5 ? 0.1 : (i / 3) % 2 == 0 ? 0.21 : 0.19
            kinds += engine.evaluate(tracks: [standing(1, at: Point(x: x, y: 0.5), t: t, born: Point(x: 0.1, y: 0.5))], ended: [], time: t, minuteOfDay: nil).map(\.kind)
        }
        #expect(kinds == [.zoneEnter])
    }
}

@Suite struct ForegroundTests {
    let w = 64, h = 48

    /// Beige paving (a little colour: a camera in colour mode), with an optional patch.
    func frame(level: UInt8, u: UInt8 = 118, v: UInt8 = 134, patch: (x: Int, y: Int, level: UInt8, u: UInt8, v: UInt8)? = nil) -> LumaFrame {
        var y = [UInt8](repeating: level, count: w * h)
        var cu = [UInt8](repeating: u, count: (w / 2) * (h / 2)), cv = cu.map { _ in v }
        if let p = patch {
            for yy in p.y..<(p.y + 16) { for xx in p.x..<(p.x + 8) { y[yy * w + xx] = p.level } }
            for yy in (p.y / 2)..<((p.y + 16) / 2) { for xx in (p.x / 2)..<((p.x + 8) / 2) { cu[yy * (w / 2) + xx] = p.u; cv[yy * (w / 2) + xx] = p.v } }
        }
        return LumaFrame(width: w, height: h, pixels: y, u: cu, v: cv)
    }

    func detector(colour: Bool = true) -> MotionDetector {
        var s = MotionSettings()
        s.warmupFrames = 2
        s.minBlobArea = 0.01
        if !colour { s.chromaThreshold = 0 }
        return MotionDetector(settings: s)
    }

    @Test func aCoatOfThePavingsGrayButAnotherColourIsSeenThroughItsColour() {
        // Same gray level as the ground (within the threshold), clearly bluer.
        let ground = frame(level: 150), coat = frame(level: 158, patch: (20, 16, 158, 170, 110))
        var withColour = detector(), grayOnly = detector(colour: false)
        for _ in 0..<4 { _ = withColour.detect(ground); _ = grayOnly.detect(ground) }
        #expect(withColour.detect(coat).count == 1)
        #expect(grayOnly.detect(coat).isEmpty)
    }

    @Test func aPictureWithoutColourKeepsDarkObjectsAndIgnoresColourNoise() {
        // Infrared at night: flat chroma. A dark coat (0.7 of the ground) is not taken for a shadow.
        let ground = frame(level: 150, u: 128, v: 128)
        var d = detector()
        for _ in 0..<4 { _ = d.detect(ground) }
        var dark = ground
        for y in 16..<32 { for x in 20..<28 { dark[x, y] = 105 } }
        #expect(d.detect(dark).count == 1)
    }

    @Test func aShadowIsNotAnObject() {
        let ground = frame(level: 150), shadow = frame(level: 150, patch: (20, 16, 105, 118, 134))
        var d = detector()
        for _ in 0..<4 { _ = d.detect(ground) }
        #expect(d.detect(shadow).isEmpty)
        // The same darkening with a change of colour is something there.
        var e = detector()
        for _ in 0..<4 { _ = e.detect(ground) }
        #expect(e.detect(frame(level: 150, patch: (20, 16, 105, 160, 100))).count == 1)
    }

    @Test func aGhostLeftBySomethingThatWentIsToldFromAnObject() {
        // Learnt with a dark box in the scene; the box leaves: its place is "foreground".
        let textured: (Bool) -> LumaFrame = { withBox in
            var f = LumaFrame(width: self.w, height: self.h, fill: 0)
            for i in 0..<(self.w * self.h) { f.pixels[i] = UInt8(120 + (i % 7) * 3) }
            if withBox { for y in 16..<32 { for x in 20..<28 { f[x, y] = 20 } } }
            return f
        }
        var d = detector()
        for _ in 0..<4 { _ = d.detect(textured(true)) }
        let gone = d.detect(textured(false))
        #expect(gone.count == 1)
        #expect(d.isGhost(gone[0].box, frame: textured(false)))
        // The other way round: an object that arrives is not a ghost.
        var e = detector()
        for _ in 0..<4 { _ = e.detect(textured(false)) }
        let came = e.detect(textured(true))
        #expect(came.count == 1 && !e.isGhost(came[0].box, frame: textured(true)))
        // Absorbing the ghost clears it for good.
        d.absorb(gone[0].box, frame: textured(false))
        #expect(d.detect(textured(false)).isEmpty)
    }
}
