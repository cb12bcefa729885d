/// A polygon zone watched for objects entering it.
public struct ZoneSpec: Sendable, Equatable {
    public var id: String
    public var polygon: Polygon
    /// Consecutive analysed frames with an object inside before it counts as entered.
    public var enterFrames: Int
    /// Consecutive analysed frames with nothing inside before the zone counts as empty again.
    public var exitFrames: Int

    public init(id: String, polygon: Polygon, enterFrames: Int = 2, exitFrames: Int = 5) {
        self.id = id
        self.polygon = polygon
        self.enterFrames = max(1, enterFrames)
        self.exitFrames = max(1, exitFrames)
    }
}

/// Whether a zone is occupied, with inertia in both directions so an object
/// flickering on the edge gives one entry, not ten.
public struct ZoneOccupancy: Sendable, Equatable {
    public enum Transition: Sendable, Equatable { case entered, exited }

    public private(set) var occupied = false
    private var streak = 0

    public init() {}

    /// Feed whether anything is inside on this frame; returns a transition when one happens.
    public mutating func update(anyInside: Bool, spec: ZoneSpec) -> Transition? {
        if anyInside == occupied {
            streak = 0
            return nil
        }
        streak += 1
        if !occupied && streak >= spec.enterFrames {
            occupied = true
            streak = 0
            return .entered
        }
        if occupied && streak >= spec.exitFrames {
            occupied = false
            streak = 0
            return .exited
        }
        return nil
    }
}
