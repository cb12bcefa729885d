/// What one analysed frame produced.
public struct AnalysisResult: Sendable {
    public var blobs: [Blob]
    /// The objects found in the blobs (pieces joined, groups cut).
    public var detections: [Detection] = []
    public var tracks: [Track]
    public var events: [AnalysisEvent]
    /// Tamper and scene-mode changes decided on this frame.
    public var integrity: [IntegrityEvent] = []
    /// Smoke and fire found on this frame.
    public var fireSmoke: [FireSmokeEvent] = []
    /// Rule events held back because the camera is tampered or its scene mode just changed.
    public var withheld = 0
}

/// How the analysis treats a scene that has been still a while (`CameraAnalyzer.stillWatch`):
/// it learns only from one keyframe every `keyframeEvery` seconds, the frames decode-on-demand
/// decodes while still, and only looks at the frames between them.
public struct StillWatch: Sendable, Equatable {
    /// Seconds of a plainly still picture before frames are only looked at.
    public var idleAfter: Double
    /// Seconds of stream from one keyframe learnt from to the next (0: every keyframe).
    public var keyframeEvery: Double

    public init(idleAfter: Double, keyframeEvery: Double) {
        self.idleAfter = idleAfter
        self.keyframeEvery = keyframeEvery
    }
}

/// One camera's analysis: background model, blobs, tracker, rules. Frames and times in,
/// events out. Knows nothing of where frames come from or where events go, and reads
/// no clock: stream time and, for schedules, the local minute of the day are passed in.
public struct CameraAnalyzer: Sendable {
    private var detector: MotionDetector
    private var tracker: Tracker
    private var rules: RuleEngine
    /// The camera-integrity checks; nil when switched off.
    public private(set) var integrity: IntegrityMonitor?
    /// The smoke and fire checks; nil when no area asks for them.
    public private(set) var fireSmoke: FireSmokeDetector?
    /// Stream time until which rule events are held back (a scene-mode switch).
    private var quietUntil = -Double.infinity
    /// The camera's perspective, learnt from the people it follows.
    public private(set) var scale = PersonScale()
    /// Stream time of the last frame that was not plainly still (see `stillFor`).
    private var lastBusy: Double?
    /// Seconds between analysed frames (1 / the analysis rate), when the owner knows it: a
    /// frame after a longer gap (keyframes only while the scene is still) weighs for the
    /// frames it stands for in the background's learning.
    public var frameInterval: Double?
    private var lastTime: Double?
    /// Watching a still scene. Once the picture has been plainly still for `idleAfter`, the
    /// analysis learns (background, noise, tracks, rules) only from keyframes, one every
    /// `keyframeEvery` seconds, from frames where something new shows, and at a rule's
    /// timer; every other frame is looked at against the background (`MotionDetector.peek`)
    /// and changes nothing but the integrity checks' counts (which look at one frame a
    /// second of stream time either way). So what it concludes depends only on frames
    /// decode-on-demand decodes too: the same events with every frame decoded or
    /// keyframes only (Docs/design/decode-on-demand.md).
    /// Frames passed without saying whether they are keyframes are always learnt from.
    /// nil: every frame is learnt from.
    public var stillWatch: StillWatch?
    /// Whether the last frame learnt from was plainly still.
    private var lastStill = false
    /// Stream time from which a keyframe is learnt from while watching (-∞: the next one).
    public private(set) var nextLearning = -Double.infinity

    public init(motion: MotionSettings = MotionSettings(), tracker: TrackerSettings = TrackerSettings(), zones: [ZoneRule] = [], tripwires: [TripwireRule] = [], motionMask: [Polygon] = [],
                integrity: IntegritySettings? = nil, fireSmoke: [FireSmokeArea] = [], fireSmokeSettings: FireSmokeSettings = FireSmokeSettings()) {
        self.integrity = integrity.map { IntegrityMonitor(settings: $0) }
        self.fireSmoke = fireSmoke.isEmpty ? nil : FireSmokeDetector(settings: fireSmokeSettings, areas: fireSmoke, excluded: motionMask)
        detector = MotionDetector(settings: motion)
        detector.motionMask = motionMask
        self.tracker = Tracker(settings: tracker)
        rules = RuleEngine(zones: zones, tripwires: tripwires)
    }

    /// Start over: the background is learnt again, tracks and rule states are forgotten.
    /// `sameCamera` (a reconnect at the same size): the integrity checks keep what they
    /// learnt of the scene and what they alerted (`IntegrityMonitor.resume`).
    public mutating func reset(sameCamera: Bool = false) {
        detector.reset()
        tracker.reset()
        rules.reset()
        scale = PersonScale()
        if sameCamera { integrity?.resume() } else { integrity?.reset() }
        fireSmoke?.reset()
        quietUntil = -Double.infinity
        lastBusy = nil
        lastTime = nil
        lastStill = false
        nextLearning = -.infinity
    }

    /// Seconds of stream time up to `time` in which the picture was plainly still: nothing
    /// in the foreground, no track, the background and the integrity baseline learnt, no
    /// doubt about the picture (a tamper suspected or found, a day/night switch settling),
    /// and no smoke or fire looked for (they need every frame). Decode-on-demand decodes
    /// keyframes only once this is long enough; 0 until the first frame.
    public func stillFor(at time: Double) -> Double {
        guard let lastBusy else { return 0 }
        return max(0, time - lastBusy)
    }

    /// Decode-on-demand's word at `time`: the stream time until which keyframes alone will
    /// do. -∞ when the picture has not been still for `idleAfter`; +∞ when it has and
    /// nothing is due; else the time a timer of the analysis runs out, from which every
    /// frame must be seen again: a frozen picture alerting, someone in a zone loitering, or
    /// (without `stillWatch`) something standing in the foreground (a parked car, a person
    /// waiting, a ghost) taken into the background.
    public func stillUntil(at time: Double, idleAfter: Double) -> Double {
        guard stillFor(at: time) >= idleAfter else { return -.infinity }
        var until = min(integrity?.nextAlert ?? .infinity, rules.nextDue ?? .infinity)
        // Watching, the background learns only from the keyframes decoded anyway: what
        // stands in it is taken in at one of them, and needs no frame in between.
        if stillWatch == nil, let interval = frameInterval, interval > 0, let frames = detector.framesUntilAbsorbed {
            until = min(until, time + Double(frames) * interval)
        }
        return until
    }

    /// Whether the analysis took its word back with the frame at `time`: it saw something
    /// new, so a keyframe decoded after skipped ones has what was skipped decoded after all
    /// (`VideoReader.rewind()`). The one rule for `replay` and a camera's analysis thread.
    public func sawSomethingNew(at time: Double, idleAfter: Double) -> Bool {
        stillUntil(at: time, idleAfter: idleAfter) == -.infinity
    }

    /// Whether a frame at `time` would be only looked at, unless it is a keyframe due to be
    /// learnt from or shows something new (`stillWatch`).
    public func watching(at time: Double) -> Bool {
        guard let watch = stillWatch, lastStill, let lastBusy else { return false }
        return time - lastBusy >= watch.idleAfter
    }

    private mutating func busy(_ time: Double, unless still: Bool) {
        if !still || lastBusy == nil { lastBusy = time }
        lastStill = still
    }

    /// A frame looked at while watching a still scene: its blobs when each is where a track
    /// already stands (its centre in the track's box and at most twice its size, one blob
    /// a track: not someone new beside a parked car) and nothing else moves, so the frame
    /// would change nothing worth a frame learnt from; nil otherwise.
    private mutating func lookOnly(_ frame: LumaFrame) -> [Blob]? {
        guard let blobs = detector.peek(frame), blobs.count <= tracker.tracks.count else { return nil }
        let tracks = tracker.tracks
        var used = [Bool](repeating: false, count: tracks.count)
        let w = Double(frame.width), h = Double(frame.height)
        for blob in blobs {
            let c = Point(x: (Double(blob.box.minX + blob.box.maxX) / 2 + 0.5) / w, y: (Double(blob.box.minY + blob.box.maxY) / 2 + 0.5) / h)
            let area = Double(blob.box.maxX - blob.box.minX + 1) / w * Double(blob.box.maxY - blob.box.minY + 1) / h
            guard let k = tracks.indices.first(where: { k in
                let b = tracks[k].box
                return !used[k] && b.minX <= c.x && c.x <= b.maxX && b.minY <= c.y && c.y <= b.maxY && area <= 2 * b.area
            }) else { return nil }
            used[k] = true
        }
        return blobs
    }

    /// The reasons this camera is tampered for now (empty when its picture is sound).
    public var tampered: Set<TamperReason> { integrity?.active ?? [] }

    /// The camera's day/night mode as the integrity checks see it.
    public var sceneMode: SceneMode { integrity?.mode ?? .day }

    /// The foreground mask of the last frame (for drawing).
    public var foreground: [UInt8] { detector.foreground }
    /// Share of the last frame that differed from the background.
    public var changedShare: Double { detector.changedShare }

    /// New zones and tripwires (a reload) without forgetting the background.
    public mutating func setRules(zones: [ZoneRule], tripwires: [TripwireRule]) {
        rules.setRules(zones: zones, tripwires: tripwires)
    }

    /// New smoke and fire areas (a reload); none switches the checks off.
    public mutating func setFireSmoke(_ areas: [FireSmokeArea]) {
        if areas.isEmpty {
            fireSmoke = nil
        } else if fireSmoke == nil {
            fireSmoke = FireSmokeDetector(areas: areas, excluded: detector.motionMask)
        } else {
            fireSmoke?.setAreas(areas)
        }
    }

    /// New motion masks (a reload) without forgetting the background.
    public mutating func setMotionMask(_ mask: [Polygon]) {
        detector.motionMask = mask
        fireSmoke?.setExcluded(mask)
    }

    public var isReady: Bool { detector.isReady }

    /// Analyse one frame taken at stream time `time` (seconds).
    /// Schedules read `minuteOfDay` (local), `monthDay` (local, `month * 100 + day`) and the
    /// scene mode.
    /// `keyframe`: whether the frame was coded as a keyframe (nil: not known; then it is
    /// always learnt from, see `stillWatch`).
    public mutating func process(_ frame: LumaFrame, time: Double, keyframe: Bool? = nil, minuteOfDay: Int? = nil, monthDay: Int? = nil) -> AnalysisResult {
        let watched = keyframe != nil && watching(at: time)
        let learning = watched && keyframe == true && time >= nextLearning
        let changes = integrity?.observe(frame, time: time) ?? []
        if watched && !learning && changes.isEmpty && time < (rules.nextDue ?? .infinity)
            && (integrity.map { $0.hasBaseline && !$0.doubtful } ?? true) {
            if let blobs = lookOnly(frame) {
                return AnalysisResult(blobs: blobs, tracks: tracker.tracks, events: [])
            }
            // Not explained by a look (a standing track's blob grown or split, say): learnt
            // from only if it makes the scene busy or raises something. A frame that leaves
            // it plainly still is one decode-on-demand never decodes (only a busy frame has
            // the skipped ones decoded after all), so it changes nothing here either.
            var trial = self
            let result = trial.learn(frame, time: time, learning: false, changes: changes, minuteOfDay: minuteOfDay, monthDay: monthDay)
            if trial.lastBusy == lastBusy && result.events.isEmpty && result.withheld == 0 && result.fireSmoke.isEmpty {
                return AnalysisResult(blobs: result.blobs, tracks: tracker.tracks, events: [])
            }
            self = trial
            return result
        }
        return learn(frame, time: time, learning: learning, changes: changes, minuteOfDay: minuteOfDay, monthDay: monthDay)
    }

    /// `process` past the look: the frame is learnt from (background, tracks, rules).
    private mutating func learn(_ frame: LumaFrame, time: Double, learning: Bool, changes: [IntegrityEvent], minuteOfDay: Int?, monthDay: Int?) -> AnalysisResult {
        if learning { nextLearning = time + (stillWatch?.keyframeEvery ?? 0) }
        var elapsed = 1.0
        if let interval = frameInterval, interval > 0, let last = lastTime, time - last >= 1.5 * interval {
            elapsed = min(600, ((time - last) / interval).rounded())
        }
        detector.elapsedFrames = elapsed
        tracker.elapsedFrames = Int(elapsed)
        lastTime = time
        for change in changes {
            switch change {
            case .sceneMode:
                // Colour to infrared or back: a new scene. The background is learnt again at
                // once and nothing is raised while it settles.
                detector.reset()
                tracker.reset()
                fireSmoke?.reset()
                quietUntil = time + 3
            case let .cleared(reason, _) where reason != .frozen:
                // The lens uncovered, refocused or turned back: what the background holds is
                // the tampered picture's.
                detector.reset()
                tracker.reset()
                fireSmoke?.reset()
            default:
                break
            }
        }
        // Smoke and fire on a picture that can be trusted: a lens being covered or fogged, a
        // camera turned, softens and changes the picture as smoke would. Not looked at then.
        var fire: [FireSmokeEvent] = []
        // Nor at night: an infrared picture has no flame colour, and its gray is not smoke's.
        // Nor behind the people and vehicles being followed (the last frame's tracks).
        let occluders = fireSmoke == nil ? [] : tracker.tracks.filter {
            $0.confirmed && ($0.objectClass == .person || $0.objectClass == .group || $0.objectClass == .vehicle)
        }.map(\.box)
        if integrity?.suspect != true && sceneMode != .night && time >= quietUntil, let events = fireSmoke?.observe(frame, time: time, occluders: occluders) { fire = events }
        let wasReady = detector.isReady
        let blobs = detector.detect(frame)
        if !detector.isReady || !wasReady && detector.isReady {
            // Learning (or learning again after a light switch): nothing moves yet.
            if !tracker.tracks.isEmpty { tracker.reset() }
            busy(time, unless: false)
            nextLearning = -.infinity
            return AnalysisResult(blobs: [], tracks: [], events: [], integrity: changes, fireSmoke: fire)
        }
        let detections = DetectionBuilder.build(
            blobs: blobs, frame: frame, mask: detector.foreground, expected: tracker.expectations(at: time), scale: scale)
        tracker.aspect = Double(frame.width) / Double(frame.height)
        tracker.update(detections: detections, time: time)
        removeGhosts(frame, time: time)
        learnScale()
        tracker.classify(scale)
        let tracks = tracker.tracks
        var events = rules.evaluate(tracks: tracks, ended: tracker.ended, time: time, minuteOfDay: minuteOfDay,
                                    monthDay: monthDay, mode: sceneMode)
        var withheld = 0
        if !tampered.isEmpty || time < quietUntil {
            // A covered, blurred, turned or frozen picture (or one switching day and night)
            // says nothing about who is where.
            withheld = events.count
            events = []
        }
        // Still: nothing new in the foreground and every track standing (a person waiting, a
        // parked car, what the background has not taken in yet) for the last 1.5 s.
        let standing = tracks.allSatisfy { stands($0, time: time) }
        let still = standing && blobs.count <= tracks.count && fireSmoke == nil && time >= quietUntil
            && (integrity.map { $0.hasBaseline && !$0.doubtful } ?? true)
        busy(time, unless: still)
        // Once still again, the first keyframe is learnt from.
        if !still { nextLearning = -.infinity }
        return AnalysisResult(blobs: blobs, detections: detections, tracks: tracks, events: events, integrity: changes, fireSmoke: fire, withheld: withheld)
    }

    /// Whether a track has stood where it is (moved less than a fifth of its height) for the
    /// last 1.5 s of stream time: a person waiting, or the hole one left (`removeGhosts`).
    /// Seen only once in that time (a keyframe decoded alone while the scene is still), it
    /// is measured from where it was seen before: a walker seen again far from there moved.
    private func stands(_ t: Track, time: Double) -> Bool {
        guard time - t.firstSeen >= 1.5, let last = t.trajectory.last,
              // The oldest point of the last 1.5 s, found from the end (no copy).
              var k = t.trajectory.lastIndex(where: { $0.t < time - 1.5 }).map({ $0 + 1 }) ?? t.trajectory.indices.first,
              k < t.trajectory.count else { return false }
        if k == t.trajectory.count - 1 && k > 0 { k -= 1 }
        let first = t.trajectory[k]
        let ax = (last.x - first.x) * tracker.aspect
        return (ax * ax + (last.y - first.y) * (last.y - first.y)).squareRoot() < 0.2 * t.box.height
    }

    /// Tracks that have not moved for a while are checked for ghosts (the hole a person
    /// who stood still and walked off leaves in the background): a ghost is taken into the
    /// background and its track dropped, so it neither stands on a line nor fills a zone.
    private mutating func removeGhosts(_ frame: LumaFrame, time: Double) {
        for t in tracker.tracks where t.observed && stands(t, time: time) {
            let w = Double(frame.width), h = Double(frame.height)
            let box = PixelBox(minX: max(0, Int(t.box.minX * w)), minY: max(0, Int(t.box.minY * h)),
                               maxX: min(frame.width - 1, Int(t.box.maxX * w)), maxY: min(frame.height - 1, Int(t.box.maxY * h)))
            if detector.isGhost(box, frame: frame) {
                detector.absorb(box, frame: frame)
                tracker.remove(id: t.id)
            }
        }
    }

    /// Samples for the perspective: confirmed tracks seen on their own this frame (not cut
    /// from a group, not joined from pieces, overlapping nobody), walking.
    private mutating func learnScale() {
        let tracks = tracker.tracks
        for (i, t) in tracks.enumerated() where t.confirmed && t.observed && !t.split && t.hits >= 5 {
            let speed = (t.velocity.x * t.velocity.x + t.velocity.y * t.velocity.y).squareRoot()
            guard speed > 0.2 * t.box.height else { continue }
            let alone = tracks.indices.allSatisfy { j in
                j == i || tracks[j].box.intersectionOverUnion(t.box.offset(dx: 0, dy: 0)) == 0
                    && abs(tracks[j].box.center.x - t.box.center.x) > t.box.width
            }
            if alone { scale.observe(t.box) }
        }
    }
}
