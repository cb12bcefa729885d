/// When a rule is active: time-of-day windows in local minutes (0..<1440). A window may
/// wrap past midnight (22:00–06:00). No windows means always.
public struct Schedule: Sendable, Equatable {
    public struct Window: Sendable, Equatable {
        public var start: Int
        public var end: Int
        public init(start: Int, end: Int) {
            self.start = start
            self.end = end
        }
        public func contains(_ minute: Int) -> Bool {
            start <= end ? (minute >= start && minute < end) : (minute >= start || minute < end)
        }
    }
    /// A span of the year, month and day as `month * 100 + day` (601 is June 1st), both
    /// ends included; it may wrap past the new year (1101…0228).
    public struct DateRange: Sendable, Equatable {
        public var start: Int
        public var end: Int
        public init(start: Int, end: Int) {
            self.start = start
            self.end = end
        }
        public func contains(_ monthDay: Int) -> Bool {
            start <= end ? (monthDay >= start && monthDay <= end) : (monthDay >= start || monthDay <= end)
        }
    }
    public var windows: [Window]
    /// Dates the rule is active on (flood season: 601…930); none means every day.
    public var dates: [DateRange] = []
    /// Only by day (colour) or only at night (infrared), as the camera's scene mode says.
    public var mode: SceneMode?
    public init(_ windows: [Window] = [], dates: [DateRange] = [], mode: SceneMode? = nil) {
        self.windows = windows
        self.dates = dates
        self.mode = mode
    }
    public static let always = Schedule()

    /// `minuteOfDay` and `monthDay` nil (replaying a file with no wall clock) count as active.
    public func isActive(minuteOfDay: Int?, monthDay: Int? = nil, mode current: SceneMode = .day) -> Bool {
        if let mode, mode != current { return false }
        if !dates.isEmpty, let d = monthDay, !dates.contains(where: { $0.contains(d) }) { return false }
        guard !windows.isEmpty, let m = minuteOfDay else { return true }
        return windows.contains { $0.contains(m) }
    }
}

/// Filters every rule shares.
public struct RuleOptions: Sendable, Equatable {
    /// Smallest object the rule reacts to, as a share of the frame area.
    public var minSize: Double = 0
    /// Seconds after an event during which the same rule raises no other of the same type.
    public var cooldown: Double = 0
    /// The configuration's default: on a busy road a monitoring room wants one alert per
    /// burst of activity at a rule, not one per passer-by; the ticket they merge into keeps
    /// counting episodes at least this far apart. Replay with a geometry file uses 0 (every
    /// event, for scoring).
    public static let defaultCooldown: Double = 10
    public var schedule: Schedule = .always
    /// Size classes the rule reacts to (`objects: [person]`); empty: any. An object whose
    /// class is not known yet (the perspective is still being learnt) passes.
    public var objects: Set<ObjectClass> = []
    public init(minSize: Double = 0, cooldown: Double = 0, schedule: Schedule = .always, objects: Set<ObjectClass> = []) {
        self.minSize = minSize
        self.cooldown = cooldown
        self.schedule = schedule
        self.objects = objects
    }
}

/// A polygon zone: entries and exits per track, optional loitering and crowding.
public struct ZoneRule: Sendable, Equatable {
    public var id: String
    public var polygon: Polygon
    /// Consecutive frames with the foot inside before a track counts as entered.
    public var enterFrames: Int
    /// Consecutive frames with the foot outside before it counts as gone.
    public var exitFrames: Int
    /// And at least this long outside: someone standing on the edge, their foot flickering
    /// in and out, has not left (nor entered again). Seconds, so it holds at any rate.
    public var exitSeconds: Double = 1
    /// Seconds inside before a track is loitering; nil: not watched.
    public var loiterAfter: Double?
    /// More tracks than this inside at once is crowding; nil: not watched.
    public var crowdAbove: Int?
    public var options: RuleOptions

    public init(id: String, polygon: Polygon, enterFrames: Int = 2, exitFrames: Int = 3, loiterAfter: Double? = nil, crowdAbove: Int? = nil, options: RuleOptions = RuleOptions()) {
        self.id = id
        self.polygon = polygon
        self.enterFrames = max(1, enterFrames)
        self.exitFrames = max(1, exitFrames)
        self.loiterAfter = loiterAfter
        self.crowdAbove = crowdAbove
        self.options = options
    }
}

/// A directional tripwire with hysteresis.
public struct TripwireRule: Sendable, Equatable {
    public var line: Tripwire
    /// Distance from the line (normalized) a foot must reach for a side to count: jitter
    /// inside this band is not a crossing.
    public var hysteresis: Double
    /// Distance a track must get from the line after crossing before it may cross again
    /// in the same direction.
    public var clearance: Double
    public var options: RuleOptions

    public init(line: Tripwire, hysteresis: Double = 0.015, clearance: Double = 0.05, options: RuleOptions = RuleOptions()) {
        self.line = line
        self.hysteresis = hysteresis
        self.clearance = clearance
        self.options = options
    }
}

/// Something a rule saw.
public struct AnalysisEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case zoneEnter = "zone_enter"
        case zoneExit = "zone_exit"
        case crossing
        case loiter
        case crowd
    }
    public var kind: Kind
    /// The zone or tripwire id.
    public var ruleID: String
    /// Stream time of the frame, in seconds.
    public var time: Double
    public var trackID: Int?
    public var direction: Tripwire.Direction?
    /// Tracks inside (crowding) or seconds inside (loitering).
    public var count: Int?
    public var dwell: Double?
    /// The object's box and path at the time of the event.
    public var box: Box?
    public var trajectory: [TrajectoryPoint]

    public init(kind: Kind, ruleID: String, time: Double, trackID: Int? = nil, direction: Tripwire.Direction? = nil, count: Int? = nil, dwell: Double? = nil, box: Box? = nil, trajectory: [TrajectoryPoint] = []) {
        self.kind = kind
        self.ruleID = ruleID
        self.time = time
        self.trackID = trackID
        self.direction = direction
        self.count = count
        self.dwell = dwell
        self.box = box
        self.trajectory = trajectory
    }
}

/// Evaluates zones and tripwires on confirmed tracks, frame by frame. Pure.
public struct RuleEngine: Sendable {
    public private(set) var zones: [ZoneRule]
    public private(set) var tripwires: [TripwireRule]

    private struct ZoneTrackState: Sendable {
        var inside = false
        var streak = 0
        var enteredAt: Double?
        var loitered = false
        /// When the current streak of frames on the other side began: the moment of entry.
        var streakStart: Double?
        /// Seen outside the zone at least once (a track first seen inside, away from the
        /// zone's edge, is someone already there: a group splitting, a ghost, not an entry).
        var seenOutside = false
        var first = true
    }

    private struct LineTrackState: Sendable {
        /// The last side the foot was clearly on.
        var side: Tripwire.Side?
        /// Where the foot was when it was last clearly on that side.
        var from: Point?
        /// Crossed, and not yet clearly away from the line: nothing counts until it is.
        var cooling = false
        /// The last observed signed distance and its time, and when the foot last went over
        /// the line (interpolated between the two frames around it).
        var lastDistance: Double?
        var lastTime: Double?
        var overAt: Double?
        /// (time, signed distance) since the foot was last clearly on its side, to time
        /// the crossing by a line through them (a slow walker's foot dithers about it).
        var near: [(t: Double, d: Double)] = []
        /// Since when, while cooling, the foot has been clearly on the side it crossed to.
        var clearSince: Double?
    }
    private struct CrowdState: Sendable {
        var crowded = false
        var streak = 0
    }

    private var zoneState: [String: [Int: ZoneTrackState]] = [:]
    private var lineState: [String: [Int: LineTrackState]] = [:]
    private var crowdState: [String: CrowdState] = [:]
    private var lastEvent: [String: Double] = [:]

    public init(zones: [ZoneRule] = [], tripwires: [TripwireRule] = []) {
        self.zones = zones
        self.tripwires = tripwires
    }

    /// The stream time a rule's timer runs out with nothing else happening: the earliest
    /// moment a track inside a zone has loitered (nil: none due).
    public var nextDue: Double? {
        var due: Double?
        for zone in zones {
            guard let dwell = zone.loiterAfter, let states = zoneState[zone.id] else { continue }
            for s in states.values where s.inside && !s.loitered {
                if let since = s.enteredAt { due = min(due ?? .infinity, since + dwell) }
            }
        }
        return due
    }

    public mutating func reset() {
        zoneState = [:]
        lineState = [:]
        crowdState = [:]
        lastEvent = [:]
    }

    /// Replace the rules (a reload); state of rules that keep their id is kept.
    public mutating func setRules(zones: [ZoneRule], tripwires: [TripwireRule]) {
        self.zones = zones
        self.tripwires = tripwires
    }

    static func distance(_ a: Point, _ b: Point) -> Double {
        ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).squareRoot()
    }

    /// When a foot went over a line: where a straight line fitted through its signed
    /// distances over time (from last clearly on one side to clearly on the other) is zero.
    static func crossingTime(_ near: [(t: Double, d: Double)]) -> Double? {
        guard near.count >= 2, let t0 = near.first?.t, let t1 = near.last?.t, t1 > t0 else { return nil }
        let n = Double(near.count)
        let mt = near.reduce(0) { $0 + $1.t } / n, md = near.reduce(0) { $0 + $1.d } / n
        var stt = 0.0, std = 0.0
        for p in near {
            stt += (p.t - mt) * (p.t - mt)
            std += (p.t - mt) * (p.d - md)
        }
        guard stt > 0, std != 0 else { return nil }
        let slope = std / stt
        // The fit must go the way the foot went, and meet the line within the samples
        // (a track confirmed well after it crossed has only new-side samples left).
        guard (slope > 0) == (near.last!.d > near.first!.d) else { return nil }
        let at = mt - md / slope
        return at >= t0 && at <= t1 ? at : nil
    }

    private func matches(_ track: Track, _ options: RuleOptions) -> Bool {
        options.objects.isEmpty || track.objectClass == .unknown || options.objects.contains(track.objectClass)
    }

    /// Whether the cooldown lets an event at `time` through. Event times are when things
    /// happened, not when they were decided, so they may come a little out of order (two
    /// people crossing together): an earlier one is not "within the cooldown" of a later one
    /// unless a cooldown is set, and then by the distance either way.
    private mutating func allowed(_ key: String, time: Double, options: RuleOptions) -> Bool {
        guard options.cooldown > 0 else { return true }
        if let last = lastEvent[key], abs(time - last) < options.cooldown { return false }
        lastEvent[key] = max(lastEvent[key] ?? time, time)
        return true
    }

    /// Evaluate one frame: `tracks` alive now, `ended` those that died this frame.
    public mutating func evaluate(tracks: [Track], ended: [Track], time: Double, minuteOfDay: Int?, monthDay: Int? = nil,
                                  mode: SceneMode = .day) -> [AnalysisEvent] {
        var events: [AnalysisEvent] = []
        // Something at the lens (`Track.atLens`) is not in the scene.
        let candidates = tracks.filter { $0.confirmed && !$0.atLens }
        // The states are taken out of their tables while they change and put back after, so
        // each table is changed in place rather than copied on every frame (copy on write).
        let alive = Set(tracks.lazy.filter { !$0.atLens }.map(\.id))
        let allTracks = tripwires.isEmpty ? [] : Set(tracks.lazy.map(\.id))

        for zone in zones {
            let active = zone.options.schedule.isActive(minuteOfDay: minuteOfDay, monthDay: monthDay, mode: mode)
            var states = zoneState.removeValue(forKey: zone.id) ?? [:]
            var insideCount = 0
            for track in candidates {
                var s = states[track.id] ?? ZoneTrackState()
                let big = track.box.area >= zone.options.minSize
                // Observations move a track in or out. A track last seen leaving (already
                // outside on some frames) keeps leaving while unseen, e.g. past the frame edge;
                // one hidden while inside stays inside.
                let leavingUnseen = !track.observed && s.inside && s.streak > 0
                if track.observed || leavingUnseen {
                    let isIn = track.observed ? big && zone.polygon.contains(track.foot) : false
                    if s.first {
                        // First look at this track. Already inside, it counts as entering
                        // unless it appeared beside someone already inside: a group or a
                        // body splitting in two is not a new person walking in.
                        s.first = false
                        let born = track.trajectory.first?.point ?? track.foot
                        let split = isIn && zone.polygon.distanceToEdge(born) >= 0.6 * track.box.height && candidates.contains { other in
                            other.id != track.id && (states[other.id]?.inside ?? false)
                                && Self.distance(other.foot, born) < 1.5 * max(other.box.height, track.box.height)
                        }
                        s.seenOutside = !split
                    }
                    if !isIn { s.seenOutside = true }
                    if isIn == s.inside {
                        s.streak = 0
                        s.streakStart = nil
                    } else {
                        if s.streak == 0 { s.streakStart = track.trajectory.last?.t ?? time }
                        s.streak += 1
                        if !s.inside && s.streak >= zone.enterFrames {
                            s.inside = true
                            s.streak = 0
                            // The moment of entry: the first of the points inside at the end of
                            // its path (a track confirmed inside entered before it counted).
                            var at = s.streakStart ?? time
                            for p in track.trajectory.reversed() {
                                guard zone.polygon.contains(p.point) else { break }
                                at = min(at, p.t)
                            }
                            s.enteredAt = at
                            s.loitered = false
                            if active && s.seenOutside && matches(track, zone.options) && allowed("\(zone.id)/enter", time: at, options: zone.options) {
                                events.append(AnalysisEvent(kind: .zoneEnter, ruleID: zone.id, time: at, trackID: track.id, box: track.box, trajectory: track.trajectory))
                            }
                        } else if s.inside && s.streak >= zone.exitFrames && time - (s.streakStart ?? time) >= zone.exitSeconds {
                            s.inside = false
                            s.streak = 0
                            s.enteredAt = nil
                            if active && allowed("\(zone.id)/exit", time: time, options: zone.options) {
                                events.append(AnalysisEvent(kind: .zoneExit, ruleID: zone.id, time: time, trackID: track.id, box: track.box, trajectory: track.trajectory))
                            }
                        }
                    }
                }
                if s.inside {
                    insideCount += 1
                    if let dwell = zone.loiterAfter, let since = s.enteredAt, !s.loitered, time - since >= dwell {
                        s.loitered = true
                        if active && allowed("\(zone.id)/loiter", time: time, options: zone.options) {
                            events.append(AnalysisEvent(kind: .loiter, ruleID: zone.id, time: time, trackID: track.id, dwell: time - since, box: track.box, trajectory: track.trajectory))
                        }
                    }
                }
                states[track.id] = s
            }
            for track in ended where !track.atLens {
                if let s = states.removeValue(forKey: track.id), s.inside, active,
                   allowed("\(zone.id)/exit", time: time, options: zone.options) {
                    events.append(AnalysisEvent(kind: .zoneExit, ruleID: zone.id, time: time, trackID: track.id, box: track.box, trajectory: track.trajectory))
                }
            }
            // A track found to be at the lens leaves no state behind (it never exits either).
            Self.keep(alive, in: &states)
            zoneState[zone.id] = states

            if let limit = zone.crowdAbove {
                var c = crowdState[zone.id] ?? CrowdState()
                let over = insideCount > limit
                if over == c.crowded {
                    c.streak = 0
                } else {
                    c.streak += 1
                    if !c.crowded && c.streak >= zone.enterFrames {
                        c.crowded = true
                        c.streak = 0
                        if active && allowed("\(zone.id)/crowd", time: time, options: zone.options) {
                            events.append(AnalysisEvent(kind: .crowd, ruleID: zone.id, time: time, count: insideCount))
                        }
                    } else if c.crowded && c.streak >= zone.exitFrames {
                        c.crowded = false
                        c.streak = 0
                    }
                }
                crowdState[zone.id] = c
            }
        }

        for rule in tripwires {
            let active = rule.options.schedule.isActive(minuteOfDay: minuteOfDay, monthDay: monthDay, mode: mode)
            var states = lineState.removeValue(forKey: rule.line.id) ?? [:]
            for track in tracks where track.observed && !track.atLens {
                // Tentative tracks are followed too, so a crossing made while a track was
                // being confirmed is reported once it is. Out of the table while it changes
                // (its `near` is then changed in place); every path below puts it back.
                var s = states.removeValue(forKey: track.id) ?? LineTrackState()
                let foot = track.foot
                let d = rule.line.signedDistance(foot)
                if let ld = s.lastDistance, let lt = s.lastTime, (ld < 0) != (d < 0), ld != d {
                    // When the foot last went over the line (a slow walker's foot dithers
                    // about it before it is clearly across).
                    s.overAt = lt + (time - lt) * ld / (ld - d)
                }
                s.lastDistance = d
                s.lastTime = time
                // The last second and a little: what the crossing is timed by.
                s.near.removeAll { $0.t < time - 1.5 }
                s.near.append((time, d))
                // The band either side of the line in which jitter is ignored, at least
                // `hysteresis`, wider for big (near) objects.
                let band = max(rule.hysteresis, 0.08 * track.box.height)
                if s.cooling {
                    // Standing on the line, or swaying across it, after a crossing: ignored
                    // until the track is clearly away from the line, on either side, or has
                    // stayed a second on the side it crossed to (someone who turns back
                    // later near the line crosses again).
                    let onNewSide = abs(d) >= band && (d < 0 ? Tripwire.Side.a : .b) == s.side
                    if onNewSide {
                        if s.clearSince == nil { s.clearSince = time }
                    } else {
                        s.clearSince = nil
                    }
                    let settled = s.clearSince.map { time - $0 >= 1 } ?? false
                    if abs(d) < max(rule.clearance, 0.25 * track.box.height) && !settled {
                        states[track.id] = s
                        continue
                    }
                    s.cooling = false
                    s.clearSince = nil
                }
                guard abs(d) >= band else {
                    states[track.id] = s
                    continue
                }
                let side: Tripwire.Side = d < 0 ? .a : .b
                if s.side == nil || s.side == side {
                    s.overAt = nil
                    s.near = [(time, d)]
                }
                if let previous = s.side, previous != side, let from = s.from {
                    guard track.confirmed else {
                        // Not confirmed yet: keep the old side and try again next frame.
                        states[track.id] = s
                        continue
                    }
                    if let t = rule.line.crossingParameter(from: from, to: foot), t >= -0.05, t <= 1.05 {
                        let direction: Tripwire.Direction = previous == .a ? .aToB : .bToA
                        let wanted = rule.line.direction == .both || rule.line.direction == direction
                        // Timed by the last second of the approach: a person who stood on
                        // the line crossed when they walked off it, not when they arrived.
                        let at = Self.crossingTime(s.near.filter { $0.t >= time - 1 }) ?? min(time, s.overAt ?? time)
                        s.overAt = nil
                        s.near = [(time, d)]
                        s.cooling = true
                        if wanted && track.box.area >= rule.options.minSize && matches(track, rule.options) && active
                            && allowed("\(rule.line.id)/\(direction.rawValue)", time: at, options: rule.options) {
                            events.append(AnalysisEvent(kind: .crossing, ruleID: rule.line.id, time: at, trackID: track.id, direction: direction, box: track.box, trajectory: track.trajectory))
                        }
                    }
                }
                s.side = side
                s.from = foot
                states[track.id] = s
            }
            Self.keep(allTracks, in: &states)
            lineState[rule.line.id] = states
        }
        return events
    }

    /// Drop the states of tracks not in `ids`, in place (nothing is allocated when none go).
    private static func keep<State>(_ ids: Set<Int>, in states: inout [Int: State]) {
        var gone: [Int] = []
        for id in states.keys where !ids.contains(id) { gone.append(id) }
        for id in gone { states.removeValue(forKey: id) }
    }
}
