/// One point of a track's path: where its foot was, and when (stream seconds).
public struct TrajectoryPoint: Sendable, Equatable, Codable {
    public var x: Double
    public var y: Double
    public var t: Double
    public init(x: Double, y: Double, t: Double) {
        self.x = x
        self.y = y
        self.t = t
    }
    public var point: Point { Point(x: x, y: y) }
}

/// A moving object followed across frames. Anonymous: an id and a path, nothing else.
public struct Track: Sendable, Equatable {
    public let id: Int
    /// The last observed box (normalized).
    public var box: Box
    /// Velocity of the box centre, normalized units per second.
    public var velocity: Point
    public var hits: Int
    /// Consecutive frames without an observation of its own.
    public var misses: Int
    public var confirmed: Bool
    public var firstSeen: Double
    public var lastSeen: Double
    public var trajectory: [TrajectoryPoint]
    /// True when the last update had an observation of its own (not shared, not predicted).
    public var observed: Bool

    public var foot: Point { box.foot }

    public init(id: Int, box: Box, velocity: Point, hits: Int, misses: Int, confirmed: Bool, firstSeen: Double, lastSeen: Double, trajectory: [TrajectoryPoint], observed: Bool) {
        self.id = id
        self.box = box
        self.velocity = velocity
        self.hits = hits
        self.misses = misses
        self.confirmed = confirmed
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.trajectory = trajectory
        self.observed = observed
    }
}

public struct TrackerSettings: Sendable, Equatable {
    /// Observations before a track counts (and rules see it).
    public var confirmHits = 3
    /// Frames a track survives without an observation (objects hidden behind each other).
    public var maxMisses = 8
    /// Association gate: centre distance to the predicted box, in box diagonals.
    public var gate = 1.2
    /// Trajectory points kept per track.
    public var maxTrajectory = 600
    public init() {}
}

/// Associates blobs across frames into tracks with stable ids: constant-velocity
/// prediction, association by overlap and by distance normalized by size, confirmation
/// after `confirmHits` observations, death after `maxMisses` frames unobserved.
/// When objects meet and their blobs merge, each keeps its id and moves on its
/// prediction until they part.
public struct Tracker: Sendable {
    public let settings: TrackerSettings
    public private(set) var tracks: [Track] = []
    private var nextID = 1
    private var lastTime: Double?

    public init(settings: TrackerSettings = TrackerSettings()) {
        self.settings = settings
    }

    public mutating func reset() {
        tracks = []
        lastTime = nil
    }

    /// Tracks that died in the last update (for rules that close episodes).
    public private(set) var ended: [Track] = []

    /// Feed the blobs of one frame (normalized boxes) taken at `time`; returns the live tracks.
    @discardableResult
    public mutating func update(boxes: [Box], time: Double) -> [Track] {
        let dt = lastTime.map { max(1e-3, time - $0) } ?? 0
        lastTime = time
        ended = []
        let predicted = tracks.map { $0.box.offset(dx: $0.velocity.x * dt, dy: $0.velocity.y * dt) }

        // Candidate pairs within the gate, cheapest first.
        var pairs: [(cost: Double, track: Int, box: Int)] = []
        for (t, p) in predicted.enumerated() {
            for (b, box) in boxes.enumerated() {
                let iou = p.intersectionOverUnion(box)
                let c1 = p.center, c2 = box.center
                let dist = ((c1.x - c2.x) * (c1.x - c2.x) + (c1.y - c2.y) * (c1.y - c2.y)).squareRoot()
                let scale = max(p.diagonal, box.diagonal, 1e-6)
                let normalized = dist / scale
                if iou > 0.05 || normalized < settings.gate {
                    pairs.append((normalized - iou, t, b))
                }
            }
        }
        pairs.sort { $0.cost < $1.cost }
        var trackTaken = Array(repeating: false, count: tracks.count)
        var boxOwner = Array(repeating: -1, count: boxes.count)
        for pair in pairs where !trackTaken[pair.track] && boxOwner[pair.box] < 0 {
            trackTaken[pair.track] = true
            boxOwner[pair.box] = pair.track
        }
        // A track that lost its box to another but overlaps it: the objects have met and
        // their blobs merged. It keeps its id and follows its prediction.
        var sharing = Array(repeating: false, count: tracks.count)
        for pair in pairs where !trackTaken[pair.track] && boxOwner[pair.box] >= 0 {
            if predicted[pair.track].intersectionOverUnion(boxes[pair.box]) > 0.05 {
                trackTaken[pair.track] = true
                sharing[pair.track] = true
            }
        }
        let shared = Set(pairs.filter { sharing[$0.track] }.map(\.box))

        var next: [Track] = []
        for (i, var track) in tracks.enumerated() {
            if sharing[i] {
                // Merged with another object: move on the prediction, do not count a miss yet.
                track.box = predicted[i]
                track.observed = false
                track.misses += 1
                if track.misses <= settings.maxMisses { next.append(track) } else { ended.append(track) }
                continue
            }
            guard let b = boxOwner.firstIndex(of: i) else {
                track.box = predicted[i]
                track.observed = false
                track.misses += 1
                if track.misses <= settings.maxMisses { next.append(track) } else { ended.append(track) }
                continue
            }
            var box = boxes[b]
            if shared.contains(b) {
                // The owner of a merged blob: keep its own size, centred on its prediction.
                box = predicted[i]
            }
            let old = track.box.center, new = box.center
            if dt > 0 {
                let v = Point(x: (new.x - old.x) / dt, y: (new.y - old.y) / dt)
                let a = track.hits < 2 ? 1.0 : 0.5
                track.velocity = Point(x: a * v.x + (1 - a) * track.velocity.x, y: a * v.y + (1 - a) * track.velocity.y)
            }
            track.box = box
            track.hits += 1
            track.misses = 0
            track.lastSeen = time
            track.observed = !shared.contains(b)
            if track.hits >= settings.confirmHits { track.confirmed = true }
            track.trajectory.append(TrajectoryPoint(x: box.foot.x, y: box.foot.y, t: time))
            if track.trajectory.count > settings.maxTrajectory { track.trajectory.removeFirst(track.trajectory.count - settings.maxTrajectory) }
            next.append(track)
        }
        for (b, box) in boxes.enumerated() where boxOwner[b] < 0 && !shared.contains(b) {
            next.append(Track(
                id: nextID, box: box, velocity: Point(x: 0, y: 0), hits: 1, misses: 0,
                confirmed: settings.confirmHits <= 1, firstSeen: time, lastSeen: time,
                trajectory: [TrajectoryPoint(x: box.foot.x, y: box.foot.y, t: time)], observed: true))
            nextID += 1
        }
        tracks = next
        return tracks
    }
}
