/// Something the analysis saw that a rule cares about.
public struct AnalysisEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case zoneEnter = "zone_enter"
        case zoneExit = "zone_exit"
    }
    public var kind: Kind
    public var zoneID: String
    /// Stream time of the frame, in seconds.
    public var time: Double
    /// The object that caused it (for entries), with its foot point.
    public var blob: Blob?
}

/// One camera's analysis: background model, blobs, zones. Frames and times in, events out.
/// Knows nothing of where frames come from or where events go.
public struct CameraAnalyzer: Sendable {
    public private(set) var zones: [ZoneSpec]
    private var detector: MotionDetector
    private var occupancy: [ZoneOccupancy]

    public init(motion: MotionSettings = MotionSettings(), zones: [ZoneSpec]) {
        detector = MotionDetector(settings: motion)
        self.zones = zones
        occupancy = Array(repeating: ZoneOccupancy(), count: zones.count)
    }

    /// Start over: the background is learnt again and every zone counts as empty.
    public mutating func reset() {
        detector.reset()
        occupancy = Array(repeating: ZoneOccupancy(), count: zones.count)
    }

    public var isReady: Bool { detector.isReady }

    /// Analyse one frame taken at stream time `time` (seconds).
    public mutating func process(_ frame: LumaFrame, time: Double) -> (blobs: [Blob], events: [AnalysisEvent]) {
        let blobs = detector.detect(frame)
        var events: [AnalysisEvent] = []
        for (index, zone) in zones.enumerated() {
            let inside = blobs.filter { zone.polygon.contains($0.footPoint) }
            let largest = inside.max { $0.area < $1.area }
            switch occupancy[index].update(anyInside: !inside.isEmpty, spec: zone) {
            case .entered?:
                events.append(AnalysisEvent(kind: .zoneEnter, zoneID: zone.id, time: time, blob: largest))
            case .exited?:
                events.append(AnalysisEvent(kind: .zoneExit, zoneID: zone.id, time: time, blob: nil))
            case nil:
                break
            }
        }
        return (blobs, events)
    }
}
