/// What one analysed frame produced.
public struct AnalysisResult: Sendable {
    public var blobs: [Blob]
    public var tracks: [Track]
    public var events: [AnalysisEvent]
}

/// One camera's analysis: background model, blobs, tracker, rules. Frames and times in,
/// events out. Knows nothing of where frames come from or where events go, and reads
/// no clock: stream time and, for schedules, the local minute of the day are passed in.
public struct CameraAnalyzer: Sendable {
    private var detector: MotionDetector
    private var tracker: Tracker
    private var rules: RuleEngine

    public init(motion: MotionSettings = MotionSettings(), tracker: TrackerSettings = TrackerSettings(), zones: [ZoneRule] = [], tripwires: [TripwireRule] = [], motionMask: [Polygon] = []) {
        detector = MotionDetector(settings: motion)
        detector.motionMask = motionMask
        self.tracker = Tracker(settings: tracker)
        rules = RuleEngine(zones: zones, tripwires: tripwires)
    }

    /// Start over: the background is learnt again, tracks and rule states are forgotten.
    public mutating func reset() {
        detector.reset()
        tracker.reset()
        rules.reset()
    }

    /// New zones and tripwires (a reload) without forgetting the background.
    public mutating func setRules(zones: [ZoneRule], tripwires: [TripwireRule]) {
        rules.setRules(zones: zones, tripwires: tripwires)
    }

    /// New motion masks (a reload) without forgetting the background.
    public mutating func setMotionMask(_ mask: [Polygon]) {
        detector.motionMask = mask
    }

    public var isReady: Bool { detector.isReady }

    /// Analyse one frame taken at stream time `time` (seconds).
    public mutating func process(_ frame: LumaFrame, time: Double, minuteOfDay: Int? = nil) -> AnalysisResult {
        let wasReady = detector.isReady
        let blobs = detector.detect(frame)
        if !detector.isReady || !wasReady && detector.isReady {
            // Learning (or learning again after a light switch): nothing moves yet.
            if !tracker.tracks.isEmpty { tracker.reset() }
            return AnalysisResult(blobs: [], tracks: [], events: [])
        }
        let boxes = blobs.map { $0.normalizedBox(width: frame.width, height: frame.height) }
        let tracks = tracker.update(boxes: boxes, time: time)
        let events = rules.evaluate(tracks: tracks, ended: tracker.ended, time: time, minuteOfDay: minuteOfDay)
        return AnalysisResult(blobs: blobs, tracks: tracks, events: events)
    }
}
