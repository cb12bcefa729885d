import Analysis
import Testing

@Suite struct TripwireTests {
    // d = b − a; p is on side A when d.x·(p.y − a.y) − d.y·(p.x − a.x) < 0 (y down).
    let line = Tripwire(id: "L", a: Point(x: 0.5, y: 0.2), b: Point(x: 0.5, y: 0.9))

    @Test func sideAIsOnTheLeftOfSomeoneWalkingFromAToB() {
        // Walking down the screen from a to b, one's left is the screen's right.
        #expect(line.side(of: Point(x: 0.7, y: 0.5)) == .a)
        #expect(line.side(of: Point(x: 0.3, y: 0.5)) == .b)
        let horizontal = Tripwire(id: "H", a: Point(x: 0.1, y: 0.5), b: Point(x: 0.9, y: 0.5))
        // Walking right along the screen, one's left is up.
        #expect(horizontal.side(of: Point(x: 0.5, y: 0.3)) == .a)
    }

    @Test func crossingsOutsideTheSegmentAreNotCrossings() {
        #expect(line.crossingParameter(from: Point(x: 0.4, y: 0.5), to: Point(x: 0.6, y: 0.5)).map { abs($0 - 3.0 / 7) < 1e-9 } == true)
        #expect(line.crossingParameter(from: Point(x: 0.4, y: 0.05), to: Point(x: 0.6, y: 0.05))! < 0)
        #expect(line.crossingParameter(from: Point(x: 0.4, y: 0.5), to: Point(x: 0.45, y: 0.5)) == nil)
    }
}

/// Tracks built directly, to drive the rules frame by frame.
func track(_ id: Int, foot: Point, size: Double = 0.05, observed: Bool = true) -> Track {
    Track(id: id, box: Box(minX: foot.x - size / 2, minY: foot.y - 2 * size, maxX: foot.x + size / 2, maxY: foot.y),
          velocity: Point(x: 0, y: 0), hits: 5, misses: 0, confirmed: true, firstSeen: 0, lastSeen: 0, trajectory: [], observed: observed)
}

@Suite struct TripwireRuleTests {
    let rule = TripwireRule(line: Tripwire(id: "L", a: Point(x: 0.5, y: 0.1), b: Point(x: 0.5, y: 0.9), direction: .both))

    func run(_ xs: [Double], rule: TripwireRule? = nil) -> [String] {
        var engine = RuleEngine(tripwires: [rule ?? self.rule])
        var out: [String] = []
        for (i, x) in xs.enumerated() {
            out += engine.evaluate(tracks: [track(1, foot: Point(x: x, y: 0.5))], ended: [], time: Double(i), minuteOfDay: nil).compactMap { $0.direction?.rawValue }
        }
        return out
    }

    @Test func walkingRightIsBToAAndBackIsAToB() {
        #expect(run([0.3, 0.4, 0.6, 0.7]) == ["b_to_a"])
        #expect(run([0.7, 0.6, 0.4, 0.3]) == ["a_to_b"])
        #expect(run([0.3, 0.7, 0.8, 0.3]) == ["b_to_a", "a_to_b"])
    }

    @Test func jitterOnTheLineIsNotACrossing() {
        #expect(run([0.3, 0.4, 0.495, 0.505, 0.495, 0.51, 0.49, 0.505, 0.4]) == [])
    }

    @Test func stoppingOnTheLineAfterCrossingCountsOnce() {
        // Crosses, then wobbles back and forth well past the hysteresis but close to the line.
        #expect(run([0.3, 0.52, 0.48, 0.53, 0.47, 0.53, 0.6, 0.7]) == ["b_to_a"])
    }

    @Test func oneDirectionOnly() {
        var r = rule
        r.line.direction = .aToB
        #expect(run([0.3, 0.7, 0.8, 0.3], rule: r) == ["a_to_b"])
    }

    @Test func smallObjectsAndScheduleAndCooldownFilter() {
        var engine = RuleEngine(tripwires: [TripwireRule(line: rule.line, options: RuleOptions(minSize: 0.003, cooldown: 10, schedule: Schedule([.init(start: 22 * 60, end: 6 * 60)])))])
        func cross(_ id: Int, size: Double, t: Double, minute: Int) -> Int {
            _ = engine.evaluate(tracks: [track(id, foot: Point(x: 0.3, y: 0.5), size: size)], ended: [], time: t, minuteOfDay: minute)
            return engine.evaluate(tracks: [track(id, foot: Point(x: 0.7, y: 0.5), size: size)], ended: [], time: t + 0.2, minuteOfDay: minute).count
        }
        #expect(cross(1, size: 0.05, t: 0, minute: 23 * 60) == 1)       // at night, big: yes
        #expect(cross(2, size: 0.05, t: 2, minute: 23 * 60) == 0)       // cooldown
        #expect(cross(3, size: 0.05, t: 20, minute: 12 * 60) == 0)      // outside the schedule
        #expect(cross(4, size: 0.05, t: 40, minute: 1 * 60) == 1)       // window wraps past midnight
        #expect(cross(5, size: 0.02, t: 60, minute: 1 * 60) == 0)       // too small (0.02 × 0.04)
    }
}

@Suite struct ZoneRuleTests {
    let zone = ZoneRule(id: "Z", polygon: Polygon([Point(x: 0.2, y: 0.2), Point(x: 0.6, y: 0.2), Point(x: 0.6, y: 0.8), Point(x: 0.2, y: 0.8)]), enterFrames: 2, exitFrames: 3, loiterAfter: 5, crowdAbove: 2)

    @Test func flickeringOnTheEdgeEntersOnce() {
        var engine = RuleEngine(zones: [zone])
        let xs = [0.1, 0.21, 0.22, 0.19, 0.21, 0.19, 0.19, 0.21, 0.22, 0.19, 0.21]
        var kinds: [AnalysisEvent.Kind] = []
        for (i, x) in xs.enumerated() {
            kinds += engine.evaluate(tracks: [track(1, foot: Point(x: x, y: 0.5))], ended: [], time: Double(i), minuteOfDay: nil).map(\.kind).filter { $0 != .loiter }
        }
        #expect(kinds == [.zoneEnter])
    }

    @Test func loiteringAndCrowding() {
        var engine = RuleEngine(zones: [zone])
        var kinds: [AnalysisEvent.Kind] = []
        for i in 0..<10 {
            let tracks = (1...3).map { track($0, foot: Point(x: 0.3 + 0.05 * Double($0), y: 0.5)) }
            kinds += engine.evaluate(tracks: tracks, ended: [], time: Double(i), minuteOfDay: nil).map(\.kind)
        }
        #expect(kinds.filter { $0 == .zoneEnter }.count == 3)
        #expect(kinds.filter { $0 == .crowd }.count == 1)
        #expect(kinds.filter { $0 == .loiter }.count == 3)
    }

    @Test func aTrackHiddenInsideStaysInside() {
        var engine = RuleEngine(zones: [zone])
        var kinds: [AnalysisEvent.Kind] = []
        for i in 0..<12 {
            let hidden = (4...9).contains(i)
            kinds += engine.evaluate(tracks: [track(1, foot: Point(x: 0.4, y: 0.5), observed: !hidden)], ended: [], time: Double(i), minuteOfDay: nil).map(\.kind)
        }
        #expect(kinds == [.zoneEnter, .loiter])
    }
}

@Suite struct TrackerTests {
    func box(_ x: Double, _ y: Double) -> Box { Box(minX: x - 0.03, minY: y - 0.15, maxX: x + 0.03, maxY: y) }

    @Test func confirmsAfterHitsAndDiesAfterMisses() {
        var settings = TrackerSettings()
        settings.confirmHits = 3
        settings.maxMisses = 2
        var tracker = Tracker(settings: settings)
        // Walking a third of its height a frame: counts from the third observation on.
        for i in 0..<3 { tracker.update(boxes: [box(0.1 + 0.05 * Double(i), 0.5)], time: Double(i) * 0.2) }
        #expect(tracker.tracks.count == 1 && tracker.tracks[0].confirmed && tracker.tracks[0].trajectory.count == 3)
        for i in 3..<6 { tracker.update(boxes: [], time: Double(i) * 0.2) }
        #expect(tracker.tracks.isEmpty && tracker.ended.count == 1)
    }

    @Test func anUnseenTrackDiesAtTheSameStreamTimeHoweverSparselyItIsLookedAt() {
        // Decode-on-demand analyses one keyframe in seconds while the scene is still: a track
        // unseen at that frame has missed all the frames in between, and must not coast on
        // for ten such frames (a minute), "walking" on its prediction.
        func confirmed() -> Tracker {
            var tracker = Tracker()
            for i in 0..<5 { tracker.update(boxes: [box(0.1 + 0.05 * Double(i), 0.5)], time: Double(i) * 0.1) }
            return tracker
        }
        var everyFrame = confirmed()
        everyFrame.update(boxes: [], time: 0.5)
        #expect(everyFrame.tracks.count == 1 && everyFrame.ended.isEmpty)
        var sparse = confirmed()
        sparse.elapsedFrames = 50
        sparse.update(boxes: [], time: 5.4)
        #expect(sparse.tracks.isEmpty && sparse.ended.count == 1)
        // Seen at the sparse frame, it lives on.
        var seen = confirmed()
        seen.elapsedFrames = 50
        seen.update(boxes: [box(0.3, 0.5)], time: 5.4)
        #expect(seen.tracks.count == 1 && seen.tracks[0].misses == 0)
    }

    @Test func somethingThatNeverMovesNeverCounts() {
        // A flapping leaf or a shadow's edge: seen in the same place frame after frame.
        var tracker = Tracker()
        for i in 0..<30 { tracker.update(boxes: [box(0.5 + (i % 2 == 0 ? 0.005 : -0.005), 0.5)], time: Double(i) * 0.1) }
        #expect(tracker.tracks.count == 1 && !tracker.tracks[0].confirmed)
    }

    @Test func twoPeoplePassingKeepTheirIdsByColour() {
        // Two people of different colours walk past each other on the same row; their
        // boxes overlap for a few frames. Appearance keeps the ids on the right people.
        var tracker = Tracker()
        let dark: [Float] = [0.6, 0.4, 0, 0, 0, 0, 0, 0, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25]
        let light: [Float] = [0, 0, 0, 0, 0, 0, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25]
        var darkID: Int?
        for i in 0..<24 {
            let t = Double(i) * 0.1
            let left = 0.2 + 0.025 * Double(i), right = 0.8 - 0.025 * Double(i)
            let tracks = tracker.update(detections: [
                Detection(box: box(left, 0.5), histogram: dark), Detection(box: box(right, 0.5), histogram: light),
            ], time: t)
            if i == 5 { darkID = tracks.first { $0.box.center.x < 0.5 }?.id }
        }
        let end = tracker.tracks.first { $0.id == darkID }
        #expect(end != nil && end!.box.center.x > 0.6, "the dark walker's track ended at \(String(describing: end?.box.center.x))")
    }

    @Test func objectsThatMeetAndPartKeepTheirIds() {
        var tracker = Tracker()
        // Two objects walk towards each other on one line, merge into one blob, then part.
        var ids: [Int: (first: Int, last: Int)] = [:]
        for i in 0..<30 {
            let t = Double(i) * 0.2
            let left = 0.1 + 0.03 * Double(i), right = 0.9 - 0.03 * Double(i)
            var boxes: [Box]
            if abs(left - right) < 0.07 {
                boxes = [Box(minX: min(left, right) - 0.03, minY: 0.35, maxX: max(left, right) + 0.03, maxY: 0.5)]
            } else {
                boxes = [box(left, 0.5), box(right, 0.5)]
            }
            let tracks = tracker.update(boxes: boxes, time: t)
            if i == 5 || i == 29 {
                for tr in tracks where tr.confirmed {
                    let side = tr.box.center.x < 0.5 ? 0 : 1
                    if i == 5 { ids[tr.id] = (side, side) } else { ids[tr.id]?.last = side }
                }
            }
        }
        // Both tracks seen before the meeting are alive after it, each having crossed to the other side.
        #expect(ids.count == 2, "\(ids)")
        #expect(ids.values.allSatisfy { $0.first != $0.last }, "\(ids)")
    }
}

@Suite struct MotionRobustnessTests {
    @Test func aFlickeringPatchIsDampedAndAParkedObjectAbsorbed() {
        var settings = MotionSettings()
        settings.warmupFrames = 3
        settings.absorbAfterFrames = 20
        var detector = MotionDetector(settings: settings)
        let empty = SyntheticFrames.background()
        for _ in 0..<5 { _ = detector.detect(empty) }
        // A patch that flips every frame (leaves, water): reported at first, then damped.
        var late = 0
        for i in 0..<40 {
            var f = empty
            if i % 2 == 0 { SyntheticFrames.drawBox(&f, x: 20, y: 20, width: 30, height: 30) }
            let blobs = detector.detect(f)
            if i >= 20 { late += blobs.count }
        }
        #expect(late == 0)
        // A parked object: reported, then absorbed after 20 frames.
        var parked = empty
        SyntheticFrames.drawBox(&parked, x: 200, y: 100, width: 30, height: 40)
        var counts: [Int] = []
        for _ in 0..<30 { counts.append(detector.detect(parked).count) }
        #expect(counts.prefix(15).allSatisfy { $0 == 1 })
        #expect(counts.suffix(5).allSatisfy { $0 == 0 })
    }

    @Test func motionMasksAreNeverAnalysed() {
        var settings = MotionSettings()
        settings.warmupFrames = 2
        var detector = MotionDetector(settings: settings)
        detector.motionMask = [Polygon([Point(x: 0, y: 0), Point(x: 0.5, y: 0), Point(x: 0.5, y: 1), Point(x: 0, y: 1)])]
        let empty = SyntheticFrames.background()
        for _ in 0..<3 { _ = detector.detect(empty) }
        var f = empty
        SyntheticFrames.drawBox(&f, x: 40, y: 40, width: 30, height: 40)
        SyntheticFrames.drawBox(&f, x: 240, y: 40, width: 30, height: 40)
        let blobs = detector.detect(f)
        #expect(blobs.count == 1 && blobs[0].box.minX >= 200)
    }
}

@Suite struct ScheduleTests {
    @Test func dateRangesIncludeBothEndsAndWrapPastTheNewYear() {
        let flood = Schedule(dates: [.init(start: 601, end: 930)])
        #expect(flood.isActive(minuteOfDay: 600, monthDay: 601) && flood.isActive(minuteOfDay: 0, monthDay: 930))
        #expect(!flood.isActive(minuteOfDay: 600, monthDay: 531) && !flood.isActive(minuteOfDay: 600, monthDay: 1001))
        let winter = Schedule([.init(start: 22 * 60, end: 6 * 60)], dates: [.init(start: 1101, end: 228)])
        #expect(winter.isActive(minuteOfDay: 23 * 60, monthDay: 115) && winter.isActive(minuteOfDay: 60, monthDay: 1201))
        #expect(!winter.isActive(minuteOfDay: 12 * 60, monthDay: 115) && !winter.isActive(minuteOfDay: 23 * 60, monthDay: 701))
        // A replay has no wall clock: dates and hours count as active.
        #expect(flood.isActive(minuteOfDay: nil, monthDay: nil))
    }

    @Test func aRuleMayWatchByNightOnly() {
        let night = Schedule(mode: .night)
        #expect(night.isActive(minuteOfDay: nil, mode: .night) && !night.isActive(minuteOfDay: nil, mode: .day))
        #expect(Schedule.always.isActive(minuteOfDay: nil, mode: .night))
    }
}
