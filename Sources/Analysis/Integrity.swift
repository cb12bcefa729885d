/// Why a camera's picture cannot be trusted: its lens covered (dark or flat, also behind a
/// translucent cover), out of focus (sprayed, fogged), turned away from its scene, or
/// frozen (frames arrive but never change).
public enum TamperReason: String, Sendable, CaseIterable, Codable, Comparable {
    case covered, defocused, moved, frozen

    public static func < (a: TamperReason, b: TamperReason) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Colour or infrared: a camera's day/night switch. Baselines are learnt per mode, so a
/// dark infrared night is not a covered lens.
public enum SceneMode: String, Sendable, Codable, CaseIterable {
    case day, night
}

/// What the integrity checks say, with the stream time of the frame that decided it.
public enum IntegrityEvent: Sendable, Equatable {
    case tamper(TamperReason, time: Double)
    case cleared(TamperReason, time: Double)
    case sceneMode(SceneMode, time: Double)
}

/// Thresholds of the integrity checks. Ratios compare a statistic with the camera's own
/// baseline for the scene mode (learnt over `learnFor` seconds, then followed slowly while
/// the picture is normal); the absolute floors hold before any baseline exists.
public struct IntegritySettings: Sendable, Equatable {
    /// Seconds a condition must hold before it alerts, per reason (all ≤ 20 s).
    public var persistence: [TamperReason: Double] = [.covered: 10, .defocused: 20, .moved: 20, .frozen: 15]
    /// Seconds the picture must be normal again before the reason is cleared.
    public var clearAfter: Double = 5
    /// Seconds of stream time between two checks of the picture's statistics (the frozen
    /// check runs on every analysed frame; it is a few thousand byte compares).
    public var checkEvery: Double = 1
    /// Seconds of normal picture that make a baseline.
    public var learnFor: Double = 8
    /// Covered: the spread of brightness (standard deviation, gray levels) below this share
    /// of the baseline's, or below `coveredFloor` whatever the baseline.
    public var coveredRatio: Double = 0.3
    public var coveredFloor: Double = 4
    /// Defocused: edge energy (mean absolute difference of neighbouring pixels) below this
    /// share of the baseline's.
    public var defocusedRatio: Double = 0.4
    /// Moved: the edges of the picture correlate with the learnt scene's edges (normalised
    /// cross-correlation, −1…1) below this share of the usual correlation.
    public var movedRatio: Double = 0.55
    /// Frozen: two frames are "the same picture" when no sampled pixel differs by more than
    /// `frozenLevels` gray levels and the mean difference is below `frozenMeanDifference`
    /// (a hung encoder's picture re-encoded at each keyframe moves a few pixels by 1 or 2;
    /// a live picture's noise moves the mean by about a level and 2 % of pixels by more than 3).
    public var frozenLevels: Int = 3
    public var frozenMeanDifference: Double = 0.05
    /// Night: colour planes whose mean distance from neutral gray is below this many levels.
    public var nightChroma: Double = 2.5

    public init() {}
}

/// The camera-integrity checks of one camera: covered, defocused, moved, frozen, and the
/// day/night scene mode. Pure: frames and stream times in, events out.
public struct IntegrityMonitor: Sendable {
    /// A picture's statistics, as compared with a baseline.
    struct Stats: Sendable, Equatable {
        var std: Double
        var sharpness: Double
        var correlation: Double?
    }

    struct Baseline: Sendable {
        var std: Double
        var sharpness: Double
        var correlation: Double
        /// Edge strength of the scene on a coarse grid: what `moved` compares with.
        var edges: [Float]
    }

    private struct ReasonState: Sendable {
        var since: Double?
        var active = false
        var normalSince: Double?
    }

    public let settings: IntegritySettings
    public private(set) var mode: SceneMode = .day
    private var baselines: [SceneMode: Baseline] = [:]
    private var learning: [(stats: Stats, edges: [Float])] = []
    private var learningSince: Double?
    /// The last `checkEvery` slot of stream time whose statistics were checked.
    private var lastCheck = -Double.infinity
    private var states: [TamperReason: ReasonState] = [:]
    private var previousSample: [UInt8] = []
    private var modeVotes = 0
    private var lastFlat = false

    public init(settings: IntegritySettings = IntegritySettings()) {
        self.settings = settings
    }

    /// The reasons alerted and not yet cleared.
    public var active: Set<TamperReason> { Set(states.filter(\.value.active).map(\.key)) }

    /// Whether the picture is in doubt: a reason alerted, or its condition holding and not yet
    /// persisting long enough (a lens being covered, a camera just turned).
    public var suspect: Bool { states.values.contains { $0.active || $0.since != nil } }

    /// Whether a tamper is alerted, or a cover, blur or turn is building up. A still picture
    /// with little noise often looks frozen for a moment; that doubt alone does not count
    /// (decode-on-demand keeps looking at keyframes, and a frozen stream's keyframes are
    /// frozen too).
    public var doubtful: Bool {
        states.contains { reason, state in state.active || (reason != .frozen && state.since != nil) }
    }

    /// The stream time a condition now building up alerts if it keeps holding (the
    /// earliest); nil when none is. Decode-on-demand has every frame decoded from then on,
    /// so the alert comes on the frame it would with every frame analysed.
    public var nextAlert: Double? {
        states.compactMap { reason, state in
            state.active ? nil : state.since.map { $0 + (settings.persistence[reason] ?? 20) }
        }.min()
    }

    /// Whether a baseline exists for the current scene mode.
    public var hasBaseline: Bool { baselines[mode] != nil }

    /// Forget everything (a new resolution, a new camera).
    public mutating func reset() {
        self = IntegrityMonitor(settings: settings)
    }

    /// The same camera's stream again (a reconnect): what was learnt of its scene still
    /// holds, and so does what was alerted. A lens covered before the drop is still covered
    /// after it, and is cleared (with its `cleared` event) when the picture is normal again.
    /// The new stream's first frame is not compared with the old stream's last, and
    /// conditions not yet alerted start over.
    public mutating func resume() {
        previousSample = []
        lastCheck = -Double.infinity
        modeVotes = 0
        learning = []
        learningSince = nil
        for reason in TamperReason.allCases {
            states[reason]?.since = nil
            states[reason]?.normalSince = nil
        }
    }

    /// Look at one analysed frame.
    public mutating func observe(_ frame: LumaFrame, time: Double) -> [IntegrityEvent] {
        var events: [IntegrityEvent] = []
        // Frozen: every frame, a sparse sample compared with the previous frame's (in place:
        // no allocation on the analysis thread's every frame).
        let identical = Self.compareAndKeep(frame, into: &previousSample, levels: settings.frozenLevels, mean: settings.frozenMeanDifference)
        // A flat picture (a black cover) shows no change whatever happens: that is covered's.
        step(.frozen, holds: identical && !lastFlat, time: time, into: &events)

        // The first analysed frame of each `checkEvery` of stream time: the same frames
        // whether every frame is analysed or, while still, a keyframe now and then and the
        // frames of a catch-up (decode-on-demand).
        let slot = settings.checkEvery > 0 ? (time / settings.checkEvery).rounded(.down) : time
        guard slot > lastCheck else { return events }
        lastCheck = slot
        let edges = Self.edgeGrid(frame)
        var stats = Self.stats(frame)
        lastFlat = stats.std < settings.coveredFloor
        // A switch to infrared keeps the scene (its edges, most of its contrast); a cover,
        // a blur or a turn that also takes the colour away does not switch the mode.
        // The layout's match with this mode's baseline: the mode switch and `moved` both read it.
        var correlation = baselines[mode].flatMap { Self.correlation(edges, $0.edges) }
        let sameScene = baselines[mode].map { b in
            stats.std >= 0.5 * b.std && (correlation ?? 0) >= settings.movedRatio * b.correlation
        } ?? !lastFlat
        if let switched = detectMode(frame, sameScene: sameScene) {
            mode = switched
            events.append(.sceneMode(switched, time: time))
            // The other mode's baseline (if learnt) applies; a first night learns one.
            learning = []
            learningSince = nil
            for reason in [TamperReason.covered, .defocused, .moved] where !(states[reason]?.active ?? false) { states[reason]?.since = nil }
            correlation = baselines[mode].flatMap { Self.correlation(edges, $0.edges) }
        }
        guard let baseline = baselines[mode] else {
            // Learning: only what no scene can look like counts (a black or flat picture).
            step(.covered, holds: lastFlat, time: time, into: &events)
            if !lastFlat { learn(stats, edges, time: time) }
            return events
        }
        stats.correlation = correlation
        let covered = stats.std < max(settings.coveredFloor, settings.coveredRatio * baseline.std)
        let defocused = !covered && stats.sharpness < settings.defocusedRatio * baseline.sharpness
        let moved = !covered && !defocused && (stats.correlation ?? 1) < settings.movedRatio * baseline.correlation
        step(.covered, holds: covered, time: time, into: &events)
        step(.defocused, holds: defocused, time: time, into: &events)
        step(.moved, holds: moved, time: time, into: &events)
        if !covered && !defocused && !moved && active.isEmpty && TamperReason.allCases.allSatisfy({ states[$0]?.since == nil }) {
            follow(stats, edges)
        }
        return events
    }

    /// A reason's condition at `time`: alerts once it has held for its persistence, clears
    /// once the picture has been normal for `clearAfter`.
    private mutating func step(_ reason: TamperReason, holds: Bool, time: Double, into events: inout [IntegrityEvent]) {
        var s = states[reason] ?? ReasonState()
        if holds {
            s.normalSince = nil
            if s.since == nil { s.since = time }
            if !s.active, let since = s.since, time - since >= settings.persistence[reason] ?? 20 {
                s.active = true
                events.append(.tamper(reason, time: time))
            }
        } else {
            s.since = nil
            if s.active {
                if s.normalSince == nil { s.normalSince = time }
                if let normal = s.normalSince, time - normal >= settings.clearAfter {
                    s.active = false
                    s.normalSince = nil
                    events.append(.cleared(reason, time: time))
                }
            }
        }
        states[reason] = s
    }

    private mutating func learn(_ stats: Stats, _ edges: [Float], time: Double) {
        if learningSince == nil { learningSince = time }
        learning.append((stats, edges))
        guard let since = learningSince, time - since >= settings.learnFor, learning.count >= 3 else { return }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        var mean = [Float](repeating: 0, count: edges.count)
        for sample in learning where sample.edges.count == mean.count {
            for i in mean.indices { mean[i] += sample.edges[i] }
        }
        let n = Float(learning.count)
        mean = mean.map { $0 / n }
        // How well single frames of the normal scene match the learnt edges: people walking
        // lower it, so a busy scene is compared with its own usual value.
        let usual = median(learning.map { Self.correlation($0.edges, mean) ?? 1 })
        baselines[mode] = Baseline(
            std: median(learning.map(\.stats.std)), sharpness: median(learning.map(\.stats.sharpness)),
            correlation: max(0.2, usual), edges: mean)
        learning = []
        learningSince = nil
    }

    /// Follow slow change of a normal picture (seasons, the light of the day).
    private mutating func follow(_ stats: Stats, _ edges: [Float]) {
        guard var b = baselines[mode] else { return }
        let a = 0.02
        b.std += a * (stats.std - b.std)
        b.sharpness += a * (stats.sharpness - b.sharpness)
        if let c = stats.correlation { b.correlation += a * (max(0.2, c) - b.correlation) }
        if edges.count == b.edges.count {
            for i in b.edges.indices { b.edges[i] += Float(a) * (edges[i] - b.edges[i]) }
        }
        baselines[mode] = b
    }

    /// Colour planes close to neutral gray on two checks in a row: infrared (night).
    private mutating func detectMode(_ frame: LumaFrame, sameScene: Bool) -> SceneMode? {
        guard frame.hasColour, sameScene else {
            modeVotes = 0
            return nil
        }
        var sum = 0
        var n = 0
        var i = 0
        while i < frame.u.count {
            sum += abs(Int(frame.u[i]) - 128) + abs(Int(frame.v[i]) - 128)
            n += 1
            i += 7
        }
        let chroma = Double(sum) / Double(max(1, n))
        let seen: SceneMode = chroma < settings.nightChroma ? .night : .day
        if seen == mode {
            modeVotes = 0
            return nil
        }
        modeVotes += 1
        if modeVotes >= 2 {
            modeVotes = 0
            return seen
        }
        return nil
    }

    // MARK: Picture statistics

    /// Every 11th pixel of `frame` against `kept` (the previous frame's sample), which then
    /// becomes this frame's: whether the two are the same picture.
    static func compareAndKeep(_ frame: LumaFrame, into kept: inout [UInt8], levels: Int, mean: Double) -> Bool {
        let step = 11
        let count = (frame.pixels.count + step - 1) / step
        guard kept.count == count else {
            kept = stride(from: 0, to: frame.pixels.count, by: step).map { frame.pixels[$0] }
            return false
        }
        var total = 0, moved = false
        frame.pixels.withUnsafeBufferPointer { p in
            kept.withUnsafeMutableBufferPointer { k in
                var i = 0, n = 0
                while i < p.count {
                    let v = p[i]
                    let d = abs(Int(v) - Int(k[n]))
                    if d > levels { moved = true }
                    total += d
                    k[n] = v
                    i += step
                    n += 1
                }
            }
        }
        return !moved && Double(total) < mean * Double(count)
    }

    /// Spread of brightness, and edge energy between neighbouring 2×2-pixel blocks (the
    /// block means halve sensor noise, which would otherwise pass for sharpness).
    static func stats(_ frame: LumaFrame) -> Stats {
        let w = frame.width, h = frame.height
        let bw = w / 2, bh = h / 2
        guard bw >= 2, bh >= 2 else { return Stats(std: 0, sharpness: 0, correlation: nil) }
        var sum = 0, sumSquares = 0, edge = 0
        var above = [Int](repeating: 0, count: bw)
        frame.pixels.withUnsafeBufferPointer { p in
            for by in 0..<bh {
                let row = 2 * by * w
                var left = 0
                for bx in 0..<bw {
                    let i = row + 2 * bx
                    let b = Int(p[i]) + Int(p[i + 1]) + Int(p[i + w]) + Int(p[i + w + 1])
                    sum += b
                    sumSquares += b * b
                    if bx > 0 { edge += abs(b - left) }
                    if by > 0 { edge += abs(b - above[bx]) }
                    left = b
                    above[bx] = b
                }
            }
        }
        let n = Double(bw * bh)
        // Block sums are 4× a pixel's level.
        let mean = Double(sum) / n
        let variance = max(0, Double(sumSquares) / n - mean * mean)
        let pairs = Double((bw - 1) * bh + bw * (bh - 1))
        return Stats(std: variance.squareRoot() / 4, sharpness: Double(edge) / pairs / 4, correlation: nil)
    }

    /// Edge strength on a grid of 8×8-pixel blocks (block means, then their differences):
    /// the scene's layout, blind to noise and to small moving people.
    static func edgeGrid(_ frame: LumaFrame) -> [Float] {
        let block = 8
        let gw = frame.width / block, gh = frame.height / block
        guard gw >= 2, gh >= 2 else { return [] }
        var means = [Float](repeating: 0, count: gw * gh)
        frame.pixels.withUnsafeBufferPointer { p in
            for gy in 0..<gh {
                for gx in 0..<gw {
                    var s = 0
                    // Every second pixel of every second row of the block.
                    var y = gy * block
                    while y < gy * block + block {
                        var x = gx * block
                        let row = y * frame.width
                        while x < gx * block + block {
                            s += Int(p[row + x])
                            x += 2
                        }
                        y += 2
                    }
                    means[gy * gw + gx] = Float(s) / Float(block * block / 4)
                }
            }
        }
        var edges = [Float](repeating: 0, count: (gw - 1) * (gh - 1))
        for gy in 0..<(gh - 1) {
            for gx in 0..<(gw - 1) {
                let m = means[gy * gw + gx]
                edges[gy * (gw - 1) + gx] = abs(means[gy * gw + gx + 1] - m) + abs(means[(gy + 1) * gw + gx] - m)
            }
        }
        return edges
    }

    /// Normalised cross-correlation of two edge grids; nil when either is flat or they differ
    /// in size.
    static func correlation(_ a: [Float], _ b: [Float]) -> Double? {
        guard a.count == b.count, !a.isEmpty else { return nil }
        let n = Float(a.count)
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var num: Float = 0, da: Float = 0, db: Float = 0
        for i in a.indices {
            let x = a[i] - ma, y = b[i] - mb
            num += x * y
            da += x * x
            db += y * y
        }
        guard da > 1e-6, db > 1e-6 else { return nil }
        return Double(num / (da * db).squareRoot())
    }
}
