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
    /// Its size class against a person at its row (`unknown` until the perspective is learnt).
    public var objectClass: ObjectClass = .unknown
    /// Motion model of the foot point, appearance, and where it was first seen.
    var filterX = Kalman1D(position: 0)
    var filterY = Kalman1D(position: 0)
    var histogram: [Float] = []
    var origin = Point(x: 0, y: 0)
    /// The furthest its foot has been from where it was first seen, in its own heights.
    var travelled = 0.0
    /// The last frame's observation came from a cut blob or joined pieces.
    public internal(set) var split = false
    /// Seen cut by the top edge of the picture while taller than a quarter of it: from a
    /// camera that looks down on its scene, nobody in the scene is that tall that high up;
    /// it is something at the lens (a hand, an insect, a branch). Never raises a rule event.
    public internal(set) var atLens = false

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
    public var maxMisses = 10
    /// Association gate: distance of a detection's foot from the predicted foot, in the
    /// track's heights (grows while the track is unseen).
    public var gate = 1.0
    /// A track must have moved this many of its own heights from where it appeared before
    /// it counts: a flapping leaf, a shadow's edge or a ghost left by the scene does not.
    public var minTravel = 0.35
    /// Fastest believable motion, in the object's own heights per second (a runner ~2,
    /// a cyclist ~4; a car seen side on covers its height in a fraction of a second).
    public var maxSpeed = 4.0
    /// Trajectory points kept per track.
    public var maxTrajectory = 600
    public init() {}
}

/// A constant-velocity Kalman filter on one coordinate (position and velocity), with
/// noises given per update in the object's own size, so near and far objects are
/// followed alike.
struct Kalman1D: Sendable, Equatable {
    var position: Double
    var velocity = 0.0
    // Covariance [[pp, pv], [pv, vv]].
    var pp = 1.0, pv = 0.0, vv = 1.0

    init(position: Double) {
        self.position = position
    }

    /// Start at `z` with unknown velocity; `scale` is the object's size.
    mutating func start(_ z: Double, scale: Double) {
        position = z
        velocity = 0
        pp = (0.1 * scale) * (0.1 * scale)
        pv = 0
        vv = (1.5 * scale) * (1.5 * scale)
    }

    func predicted(_ dt: Double) -> Double { position + velocity * dt }

    /// Move `dt` seconds ahead; `accel` is the acceleration noise (size units / s²).
    mutating func predict(_ dt: Double, accel: Double) {
        position += velocity * dt
        let q = accel * accel
        let dt2 = dt * dt
        pp += 2 * dt * pv + dt2 * vv + q * dt2 * dt2 / 4
        pv += dt * vv + q * dt2 * dt / 2
        vv += q * dt2
    }

    /// Correct with a measurement `z` of noise `sigma`.
    mutating func update(_ z: Double, sigma: Double) {
        let s = pp + sigma * sigma
        let k0 = pp / s, k1 = pv / s
        let y = z - position
        position += k0 * y
        velocity += k1 * y
        let npp = (1 - k0) * pp, npv = (1 - k0) * pv, nvv = vv - k1 * pv
        pp = npp
        pv = npv
        vv = max(1e-9, nvv)
    }
}

/// Follows objects from frame to frame with stable ids.
///
/// Each track's foot point moves on a constant-velocity Kalman filter (noise in the
/// track's own size); detections are paired with tracks by global assignment (the
/// Hungarian method) on a cost of distance from the predicted foot, size change and
/// appearance (a small colour histogram), so two people passing each other keep their
/// ids. A track unpaired but whose expected box lies inside a paired detection is hidden
/// behind another person and coasts on its prediction. A track counts (is confirmed)
/// after `confirmHits` observations once it has moved `minTravel` of its height; it dies
/// after `maxMisses` frame intervals unseen (`elapsedFrames`).
public struct Tracker: Sendable {
    public let settings: TrackerSettings
    public private(set) var tracks: [Track] = []
    /// Frame width ÷ height: normalized x is stretched by it, so distances in a track's
    /// heights count pixels alike in both directions.
    public var aspect = 1.0
    /// Frame intervals since the last update (1 at the sampled rate; more after a gap, such
    /// as a keyframe decoded alone while the scene is still): an unseen track's misses count
    /// them, so it dies at the same stream time however sparsely it was looked at.
    public var elapsedFrames = 1
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

    /// Where each live track is expected at `time` (before `update`), for cutting blobs.
    public func expectations(at time: Double) -> [DetectionBuilder.Expectation] {
        let dt = lastTime.map { max(0, time - $0) } ?? 0
        return tracks.map { t in
            let box = Self.place(t.box, foot: Point(x: t.filterX.predicted(dt), y: t.filterY.predicted(dt)))
            return .init(box: box, reliable: t.hits >= 2 && t.misses <= 3)
        }
    }

    /// A box of `box`'s size standing on `foot`.
    static func place(_ box: Box, foot: Point) -> Box {
        let w = box.width, h = box.height
        return Box(minX: foot.x - w / 2, minY: foot.y - h, maxX: foot.x + w / 2, maxY: foot.y)
    }

    /// Feed plain boxes (no appearance): for tests and simple callers.
    @discardableResult
    public mutating func update(boxes: [Box], time: Double) -> [Track] {
        update(detections: boxes.map { Detection(box: $0) }, time: time)
    }

    /// Feed the detections of one frame taken at `time`; returns the live tracks.
    @discardableResult
    public mutating func update(detections: [Detection], time: Double) -> [Track] {
        let dt = lastTime.map { max(1e-3, time - $0) } ?? 0
        lastTime = time
        ended = []
        // Predict. A track unseen slows down (people hidden behind others stop, turn, wait).
        for i in tracks.indices {
            let size = max(0.02, tracks[i].box.height)
            if tracks[i].misses > 0 {
                tracks[i].filterX.velocity *= 0.85
                tracks[i].filterY.velocity *= 0.85
            }
            tracks[i].filterX.predict(dt, accel: 2.0 * size)
            tracks[i].filterY.predict(dt, accel: 2.0 * size)
        }
        let predicted = tracks.map { Self.place($0.box, foot: Point(x: $0.filterX.position, y: $0.filterY.position)) }

        // Costs: distance in the track's heights, size change, appearance.
        let forbidden = 1e6
        var cost = [[Double]](repeating: [Double](repeating: forbidden, count: detections.count), count: tracks.count)
        for (t, track) in tracks.enumerated() {
            let size = max(0.02, track.box.height)
            let gate = settings.gate * (1 + min(0.8, 0.1 * Double(track.misses)))
            let pf = predicted[t].foot
            for (d, det) in detections.enumerated() {
                let dx = (det.foot.x - pf.x) * aspect, dy = det.foot.y - pf.y
                let dist = (dx * dx + dy * dy).squareRoot() / size
                guard dist <= gate else { continue }
                let ratio = max(1e-3, det.box.height) / size
                let sizeChange = max(ratio, 1 / ratio) - 1
                guard sizeChange < 2 else { continue }
                let appearance = 1 - Detection.similarity(track.histogram, det.histogram)
                cost[t][d] = dist + 0.3 * sizeChange + 1.5 * appearance
            }
        }
        let pairing = Assignment.solve(cost, forbidden: forbidden)
        var owner = [Int](repeating: -1, count: detections.count)
        for (t, d) in pairing.enumerated() { if let d { owner[d] = t } }

        var next: [Track] = []
        next.reserveCapacity(tracks.count + detections.count)
        // Each track is moved out of the old list before it changes, so its trajectory and
        // histogram are appended to and blended in place instead of copied on every frame.
        var current = tracks
        tracks = []
        for i in current.indices {
            var track = current[i]
            current[i].trajectory = []
            current[i].histogram = []
            guard let d = pairing[i] else {
                // Unseen: hidden in another's blob, or gone.
                let hidden = detections.indices.contains { owner[$0] >= 0 && Self.share(predicted[i], inside: detections[$0].box) >= 0.4 }
                track.box = predicted[i]
                track.observed = false
                track.split = false
                track.misses += max(1, elapsedFrames)
                let limit = hidden || track.confirmed ? settings.maxMisses : min(settings.maxMisses, 3)
                if track.misses <= limit { next.append(track) } else { ended.append(track) }
                continue
            }
            let det = detections[d]
            let size = max(0.02, det.box.height)
            let sigma = (det.split || det.joined ? 0.12 : 0.06) * size
            track.filterX.update(det.foot.x, sigma: sigma)
            track.filterY.update(det.foot.y, sigma: sigma * 1.5)
            // Size follows the observation, a little smoothed; the box stands on the filtered foot.
            let a = track.hits < 2 ? 1.0 : 0.4
            let w = a * det.box.width + (1 - a) * track.box.width
            let h = a * det.box.height + (1 - a) * track.box.height
            track.box = Self.place(Box(minX: 0, minY: 0, maxX: w, maxY: h), foot: Point(x: track.filterX.position, y: track.filterY.position))
            // Nobody walks faster than `maxSpeed` of their heights a second; a jump that
            // says so is a wrong pairing or a blob's edge moving, not speed.
            let vmax = settings.maxSpeed * max(0.02, h)
            track.filterX.velocity = min(vmax, max(-vmax, track.filterX.velocity))
            track.filterY.velocity = min(vmax, max(-vmax, track.filterY.velocity))
            track.velocity = Point(x: track.filterX.velocity, y: track.filterY.velocity)
            if !det.histogram.isEmpty {
                if track.histogram.count != det.histogram.count {
                    track.histogram = det.histogram
                } else if !det.split {
                    for k in track.histogram.indices { track.histogram[k] = 0.8 * track.histogram[k] + 0.2 * det.histogram[k] }
                }
            }
            track.hits += 1
            track.misses = 0
            track.lastSeen = time
            track.observed = true
            track.split = det.split || det.joined
            let fx = (track.filterX.position - track.origin.x) * aspect, fy = track.filterY.position - track.origin.y
            track.travelled = max(track.travelled, (fx * fx + fy * fy).squareRoot() / max(0.02, h))
            if track.hits >= settings.confirmHits && track.travelled >= settings.minTravel { track.confirmed = true }
            track.trajectory.append(TrajectoryPoint(x: track.filterX.position, y: track.filterY.position, t: time))
            // Trimmed in batches of a tenth, not one point a frame (each trim shifts the array).
            if track.trajectory.count > settings.maxTrajectory + settings.maxTrajectory / 10 {
                track.trajectory.removeFirst(track.trajectory.count - settings.maxTrajectory)
            }
            next.append(track)
        }
        for (d, det) in detections.enumerated() where owner[d] < 0 {
            // A piece of a person already followed (an arm, a bag) is not a new object.
            if detections.indices.contains(where: { owner[$0] >= 0 && $0 != d && Self.share(det.box, inside: predicted[owner[$0]]) >= 0.7 }) { continue }
            var track = Track(
                id: nextID, box: det.box, velocity: Point(x: 0, y: 0), hits: 1, misses: 0,
                confirmed: settings.confirmHits <= 1 && settings.minTravel <= 0, firstSeen: time, lastSeen: time,
                trajectory: [TrajectoryPoint(x: det.foot.x, y: det.foot.y, t: time)], observed: true)
            let size = max(0.02, det.box.height)
            track.filterX.start(det.foot.x, scale: size)
            track.filterY.start(det.foot.y, scale: size)
            track.origin = det.foot
            track.histogram = det.histogram
            track.split = det.split || det.joined
            next.append(track)
            nextID += 1
        }
        tracks = next
        return tracks
    }

    /// Drop a track at once (a ghost): it ends this frame.
    mutating func remove(id: Int) {
        if let i = tracks.firstIndex(where: { $0.id == id }) {
            ended.append(tracks.remove(at: i))
        }
    }

    /// Share of `a`'s area that lies inside `b`.
    static func share(_ a: Box, inside b: Box) -> Double {
        let ix = max(0, min(a.maxX, b.maxX) - max(a.minX, b.minX))
        let iy = max(0, min(a.maxY, b.maxY) - max(a.minY, b.minY))
        return a.area > 0 ? ix * iy / a.area : 0
    }

    /// Set each track's size class (the analyzer knows the perspective).
    mutating func classify(_ scale: PersonScale) {
        for i in tracks.indices where tracks[i].observed {
            tracks[i].objectClass = scale.classify(tracks[i].box)
            if tracks[i].box.minY <= 0.02 && tracks[i].box.height >= 0.25 { tracks[i].atLens = true }
        }
    }
}
