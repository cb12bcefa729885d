/// Fire or smoke.
public enum FireSmokeKind: String, Sendable, Codable, CaseIterable {
    case fire, smoke
}

/// Where smoke and fire are looked for: a zone, or (id nil, polygon nil) the whole picture
/// outside every such zone.
public struct FireSmokeArea: Sendable, Equatable {
    public var id: String?
    public var polygon: Polygon?
    public init(id: String?, polygon: Polygon?) {
        self.id = id
        self.polygon = polygon
    }
}

/// Fire or smoke found in an area, with the stream time of the frame that decided it and
/// the part of the picture it covers (normalized).
public struct FireSmokeEvent: Sendable, Equatable {
    public var kind: FireSmokeKind
    public var area: String?
    public var time: Double
    public var box: Box
}

/// Thresholds of the smoke and fire checks (experimental). The picture is looked at in
/// cells of 8×8 analysed pixels (4×4 of the half-size colour planes). Colours are BT.601
/// YCbCr levels (0–255, neutral chroma 128).
public struct FireSmokeSettings: Sendable, Equatable {
    /// Flame colour: luma at least this (flames give light), Cr at least `fireCr`, Cr − Cb
    /// at least `fireRedness` (red, orange, yellow; not white, gray or blue).
    public var fireLuma: Int = 150
    public var fireCr: Int = 145
    public var fireRedness: Int = 40
    /// A flame's core: luma at least this with flame chroma but less red (yellow-white).
    public var coreLuma: Int = 200
    /// Seconds over which a cell's colour and flicker are averaged.
    public var fireWindow: Double = 2
    /// A cell burns when flame-coloured on at least this share of recent frames ...
    public var firePresence: Double = 0.5
    /// ... and the brightness of its flame-coloured pixels changes between analysed frames
    /// by at least this much on average (in 32-level steps; pixels flame-coloured in both
    /// frames only, so something passing in front does not count): flames flicker, a red
    /// car or an orange coat does not.
    public var fireFlicker: Double = 0.2
    /// Burning cells an area needs, and seconds they must keep burning, before fire alerts.
    public var fireCells: Int = 2
    public var fireFor: Double = 5
    /// Smoke is looked at once every this many seconds of stream time.
    public var smokeEvery: Double = 1
    /// Seconds of picture that make each cell's reference (texture, brightness, colour).
    public var learnFor: Double = 8
    /// A cell can show smoke only if its reference has texture (edge contrast, mean absolute
    /// difference of neighbours over mean brightness + 16) at least this: smoke is seen by
    /// what it hides, and the open sky hides nothing.
    public var smokeTexture: Double = 0.02
    /// Smoke softens: the cell's texture falls to at most this share of its reference ...
    public var smokeSoftening: Double = 0.6
    /// ... its colour stays gray (mean |Cb − 128| + |Cr − 128| at most this, and not more
    /// colourful than the reference by more than 4 levels) ...
    public var smokeSaturation: Double = 24
    /// ... for this many checks in a row.
    public var smokeChecks: Int = 2
    /// Smoky cells an area needs; they must keep growing (the count at least `smokeGrowth`
    /// times the count `smokeFor` seconds earlier) and not sink, for `smokeFor` seconds.
    public var smokeCells: Int = 6
    public var smokeGrowth: Double = 1.5
    public var smokeFor: Double = 8
    /// Seconds without fire (smoke) in an area before a new fire (smoke) there alerts again.
    public var rearmAfter: Double = 60

    public init() {}
}

/// Smoke and fire in the picture, from classical image analysis: fire as flame-coloured,
/// bright cells that flicker and stay; smoke as gray regions that soften the texture
/// behind them and grow. Pure: frames with colour and stream times in, events out.
public struct FireSmokeDetector: Sendable {
    public let settings: FireSmokeSettings
    public private(set) var areas: [FireSmokeArea]
    /// Never looked at: the camera's motion and privacy masks.
    public private(set) var excluded: [Polygon]

    private var gw = 0, gh = 0
    /// Per cell: the area it belongs to (index into `areas`); −1 in no area (still
    /// measured, so that a zone added by a reload has its references); −2 masked.
    private var cellArea: [Int16] = []
    // Fire, per cell.
    private var presence: [Float] = []
    private var flicker: [Float] = []
    private var core: [Float] = []
    /// Per colour sample: its luma in the last frame if it was flame-coloured, else 0.
    private var previous: [UInt8] = []
    private var lastTime: Double?
    // Smoke, per cell.
    private var refTexture: [Float] = []
    private var refSaturation: [Float] = []
    private var softChecks: [UInt8] = []
    /// The first seconds' samples per cell (texture, colour), whose lower
    /// quartiles become the references: people walking through (texture they bring) do
    /// not count, even where they are more often than not.
    private var learningTexture: [Float] = []
    private var learningSaturation: [Float] = []
    private var learnt = false
    private var lastSmoke = -Double.infinity

    /// One kind's alert in one area: it alerts once its condition has held for a while,
    /// and re-arms after a while without it.
    private struct Alert: Sendable {
        var since: Double?
        var active = false
        var lastSeen = -Double.infinity

        /// Whether it alerts now.
        mutating func step(holds: Bool, after: Double, rearm: Double, time: Double) -> Bool {
            if holds {
                lastSeen = time
                if since == nil { since = time }
                if !active, let start = since, time - start >= after {
                    active = true
                    return true
                }
            } else {
                since = nil
                if active && time - lastSeen >= rearm { active = false }
            }
            return false
        }
    }

    private struct AreaState: Sendable {
        var fire = Alert()
        var smoke = Alert()
        /// Smoky cell counts and the centroid row at each smoke check: (time, count, row).
        var smokeHistory: [(Double, Int, Double)] = []
        /// The cells of the patch last looked at.
        var patch: Set<Int> = []
    }
    private var states: [AreaState] = []

    public init(settings: FireSmokeSettings = FireSmokeSettings(), areas: [FireSmokeArea], excluded: [Polygon] = []) {
        self.settings = settings
        self.areas = areas
        self.excluded = excluded
        states = areas.map { _ in AreaState() }
    }

    /// Forget everything learnt (a new stream, a scene-mode switch).
    public mutating func reset() {
        self = FireSmokeDetector(settings: settings, areas: areas, excluded: excluded)
    }

    /// New masks (a reload): their cells are no longer looked at, or are again.
    public mutating func setExcluded(_ excluded: [Polygon]) {
        guard excluded != self.excluded else { return }
        self.excluded = excluded
        assignCells()
    }

    /// New areas (a reload): what was learnt of the picture is kept, and so is the alert
    /// state of every area that stays (a fire still burning in it does not alert again).
    public mutating func setAreas(_ areas: [FireSmokeArea]) {
        guard areas != self.areas else { return }
        let old = Dictionary(zip(self.areas.map(\.id), states), uniquingKeysWith: { a, _ in a })
        self.areas = areas
        states = areas.map { old[$0.id] ?? AreaState() }
        assignCells()
    }

    /// `occluders`: where people and vehicles the tracker follows stand (normalized boxes).
    /// A coat in front of a textured wall softens it as smoke would; smoke is never judged
    /// behind them, and what they hide does not move the references.
    public mutating func observe(_ frame: LumaFrame, time: Double, occluders: [Box] = []) -> [FireSmokeEvent] {
        guard frame.hasColour, !areas.isEmpty else { return [] }
        if gw != frame.width / 8 || gh != frame.height / 8 || cellArea.count != gw * gh
            || previous.count != (frame.width / 2) * (frame.height / 2) { layout(frame) }
        if let last = lastTime, time < last {
            // Stream time went backwards (a file replayed again): what was learnt of the
            // picture holds; the timings of what was seen start over.
            states = areas.map { _ in AreaState() }
            lastTime = nil
            lastSmoke = -Double.infinity
        }
        guard gw > 0, gh > 0 else { return [] }
        var events: [FireSmokeEvent] = []
        fire(frame, time: time, into: &events)
        if time - lastSmoke >= settings.smokeEvery {
            lastSmoke = time
            smoke(frame, time: time, occluders: occluders, into: &events)
        }
        return events
    }

    private mutating func layout(_ frame: LumaFrame) {
        self = FireSmokeDetector(settings: settings, areas: areas, excluded: excluded)
        gw = frame.width / 8
        gh = frame.height / 8
        let n = gw * gh
        assignCells()
        presence = [Float](repeating: 0, count: n)
        flicker = presence
        core = presence
        previous = [UInt8](repeating: 0, count: (frame.width / 2) * (frame.height / 2))
        refTexture = presence
        refSaturation = presence
        softChecks = [UInt8](repeating: 0, count: n)
    }

    /// Each cell to the first zone whose polygon holds its centre, else to the whole
    /// picture if it is an area, else to none; cells a mask touches (at a corner or the
    /// centre) are never looked at.
    private mutating func assignCells() {
        cellArea = [Int16](repeating: -1, count: gw * gh)
        let whole = areas.firstIndex { $0.polygon == nil }
        for cy in 0..<gh {
            for cx in 0..<gw {
                let p = Point(x: (Double(cx) + 0.5) / Double(gw), y: (Double(cy) + 0.5) / Double(gh))
                let corners = [(0.0, 0.0), (1, 0), (0, 1), (1, 1)].map { Point(x: (Double(cx) + $0.0) / Double(gw), y: (Double(cy) + $0.1) / Double(gh)) }
                if excluded.contains(where: { mask in mask.contains(p) || corners.contains { mask.contains($0) } }) {
                    cellArea[cy * gw + cx] = -2
                    continue
                }
                if let z = areas.firstIndex(where: { $0.polygon?.contains(p) ?? false }) {
                    cellArea[cy * gw + cx] = Int16(z)
                } else if let whole {
                    cellArea[cy * gw + cx] = Int16(whole)
                }
            }
        }
    }

    // MARK: Fire

    private mutating func fire(_ frame: LumaFrame, time: Double, into events: inout [FireSmokeEvent]) {
        let dt = lastTime.map { max(0.02, min(1, time - $0)) } ?? 0.2
        let first = lastTime == nil
        lastTime = time
        let a = Float(dt / settings.fireWindow)
        let cw = frame.width / 2
        let s = settings
        var burning = [Int](repeating: 0, count: areas.count)
        var burningCore = [Float](repeating: 0, count: areas.count)
        var boxes = [PixelBox?](repeating: nil, count: areas.count)
        frame.pixels.withUnsafeBufferPointer { y in
            frame.u.withUnsafeBufferPointer { u in
                frame.v.withUnsafeBufferPointer { v in
                    for cy in 0..<gh {
                        for cx in 0..<gw {
                            let c = cy * gw + cx
                            guard cellArea[c] >= 0 else { continue }
                            var flame = 0, hot = 0, both = 0, jump = 0
                            for j in 0..<4 {
                                let crow = (cy * 4 + j) * cw + cx * 4
                                let yrow = (cy * 8 + 2 * j) * frame.width + cx * 8
                                for i in 0..<4 {
                                    let l = Int(y[yrow + 2 * i]), cb = Int(u[crow + i]), cr = Int(v[crow + i])
                                    let was = previous[crow + i]
                                    if l >= s.fireLuma && cr >= s.fireCr && cr - cb >= s.fireRedness {
                                        flame += 1
                                        if l >= s.coreLuma { hot += 1 }
                                        if was > 0 {
                                            both += 1
                                            jump += abs(l - Int(was))
                                        }
                                        previous[crow + i] = UInt8(max(1, l))
                                    } else {
                                        previous[crow + i] = 0
                                    }
                                }
                            }
                            guard !first else { continue }
                            // How much the flame's own pixels change brightness (in 32-level steps):
                            // a flame flickers; a red car, an orange coat, a cone that people walk
                            // in front of keeps its colour where it is seen.
                            let change: Float = both >= 2 ? Float(jump) / Float(both) / 32 : 0
                            let share = Float(flame) / 16
                            presence[c] += a * ((share >= 0.2 ? 1 : 0) - presence[c])
                            if share >= 0.2 { flicker[c] += a * (change - flicker[c]) }
                            core[c] += a * ((hot > 0 ? 1 : 0) - core[c])
                            if presence[c] >= Float(s.firePresence) && flicker[c] >= Float(s.fireFlicker) {
                                let k = Int(cellArea[c])
                                burning[k] += 1
                                burningCore[k] = max(burningCore[k], core[c])
                                boxes[k] = Self.grow(boxes[k], cx, cy)
                            }
                        }
                    }
                }
            }
        }
        for k in areas.indices {
            // A flame has a bright core somewhere; a lit orange surface does not.
            let holds = burning[k] >= s.fireCells && burningCore[k] >= 0.3
            if states[k].fire.step(holds: holds, after: s.fireFor, rearm: s.rearmAfter, time: time) {
                events.append(FireSmokeEvent(kind: .fire, area: areas[k].id, time: time, box: normalized(boxes[k])))
            }
        }
    }

    // MARK: Smoke

    private mutating func smoke(_ frame: LumaFrame, time: Double, occluders: [Box], into events: inout [FireSmokeEvent]) {
        let n = gw * gh
        var texture = [Float](repeating: 0, count: n)
        var saturation = texture
        let w = frame.width, cw = frame.width / 2
        frame.pixels.withUnsafeBufferPointer { y in
            frame.u.withUnsafeBufferPointer { u in
                frame.v.withUnsafeBufferPointer { v in
                    for cy in 0..<gh {
                        for cx in 0..<gw {
                            let c = cy * gw + cx
                            // Every cell not masked: a zone added later has its references.
                            guard cellArea[c] != -2 else { continue }
                            var g = 0, m = 0, sat = 0
                            for j in 0..<4 {
                                let row = (cy * 8 + 2 * j) * w + cx * 8
                                let crow = (cy * 4 + j) * cw + cx * 4
                                for i in 0..<4 {
                                    let p = row + 2 * i
                                    let l = Int(y[p])
                                    m += l
                                    g += abs(Int(y[p + 1]) - l) + abs(Int(y[p + w]) - l)
                                    sat += abs(Int(u[crow + i]) - 128) + abs(Int(v[crow + i]) - 128)
                                }
                            }
                            texture[c] = Float(g) / 32 / (Float(m) / 16 + 16)
                            saturation[c] = Float(sat) / 16
                        }
                    }
                }
            }
        }
        if !learnt {
            learningTexture += texture
            learningSaturation += saturation
            let samples = learningTexture.count / n
            guard samples >= max(3, Int(settings.learnFor / settings.smokeEvery)) else { return }
            for c in 0..<n {
                // The sample with the lower-quartile texture gives both.
                let quiet = stride(from: c, to: learningTexture.count, by: n).sorted { learningTexture[$0] < learningTexture[$1] }[samples / 4]
                refTexture[c] = learningTexture[quiet]
                refSaturation[c] = learningSaturation[quiet]
            }
            learningTexture = []
            learningSaturation = []
            learnt = true
            return
        }
        let s = settings
        var smoky = [Bool](repeating: false, count: n)
        var hidden = [Bool](repeating: false, count: n)
        for box in occluders {
            let x0 = max(0, Int((box.minX * Double(gw)).rounded(.down))), x1 = min(gw - 1, Int((box.maxX * Double(gw)).rounded(.up)) - 1)
            let y0 = max(0, Int((box.minY * Double(gh)).rounded(.down))), y1 = min(gh - 1, Int((box.maxY * Double(gh)).rounded(.up)) - 1)
            guard x0 <= x1, y0 <= y1 else { continue }
            for cy in y0...y1 { for cx in x0...x1 { hidden[cy * gw + cx] = true } }
        }
        for c in 0..<n where cellArea[c] != -2 {
            if hidden[c] {
                softChecks[c] = 0
                continue
            }
            let soft = refTexture[c] >= Float(s.smokeTexture) && texture[c] <= Float(s.smokeSoftening) * refTexture[c]
                && saturation[c] <= Float(s.smokeSaturation) && saturation[c] <= refSaturation[c] + 4
            softChecks[c] = soft ? min(250, softChecks[c] + 1) : 0
            smoky[c] = cellArea[c] >= 0 && softChecks[c] >= s.smokeChecks
            // Follow the slow changes of the scene: texture that comes (a person standing)
            // slowly, texture that goes faster, and where it looks hidden slowest of all, so
            // that something taken away for good stops looking like smoke in a few minutes.
            let f: Float = soft ? 0.005 : texture[c] > refTexture[c] ? 0.01 : 0.05
            refTexture[c] += f * (texture[c] - refTexture[c])
            refSaturation[c] += f * (saturation[c] - refSaturation[c])
        }
        // Per area, its largest connected patch of smoky cells: a plume is one piece, cells
        // a passer-by has uncovered here and there are not. A patch belongs to the area of
        // its lowest cell (smoke rises from where it burns), so a plume rising out of a
        // field is the field's, once.
        var count = [Int](repeating: 0, count: areas.count)
        var rows = [Double](repeating: 0, count: areas.count)
        var boxes = [PixelBox?](repeating: nil, count: areas.count)
        var patches = [[Int]](repeating: [], count: areas.count)
        var seen = [Bool](repeating: false, count: n)
        var stack: [Int] = []
        for start in 0..<n where smoky[start] && !seen[start] {
            var size = 0, rowSum = 0, lowest = start
            var box: PixelBox?
            var cells: [Int] = []
            seen[start] = true
            stack.append(start)
            while let c = stack.popLast() {
                size += 1
                cells.append(c)
                if c / gw > lowest / gw { lowest = c }
                rowSum += c / gw
                box = Self.grow(box, c % gw, c / gw)
                let x = c % gw, y = c / gw
                for (dx, dy) in [(-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (1, -1), (-1, 1), (1, 1)] {
                    let nx = x + dx, ny = y + dy
                    guard nx >= 0, ny >= 0, nx < gw, ny < gh else { continue }
                    let m = ny * gw + nx
                    if smoky[m] && !seen[m] {
                        seen[m] = true
                        stack.append(m)
                    }
                }
            }
            let k = Int(cellArea[lowest])
            if size > count[k] {
                count[k] = size
                patches[k] = cells
                rows[k] = Double(rowSum) / Double(size)
                boxes[k] = box
            }
        }
        for k in areas.indices {
            let row = rows[k]
            // The history follows one patch: when the largest patch is not the last one's
            // (grown or shrunk, it shares cells with it), it starts again.
            let last = states[k].patch
            if !last.isEmpty && !patches[k].contains(where: { last.contains($0) }) { states[k].smokeHistory = [] }
            states[k].patch = Set(patches[k])
            states[k].smokeHistory.append((time, count[k], row))
            states[k].smokeHistory.removeAll { time - $0.0 > s.smokeFor + 2 * s.smokeEvery }
            var holds = false
            let window = states[k].smokeHistory.filter { time - $0.0 <= s.smokeFor + 0.5 * s.smokeEvery }
            if let first = window.first, time - first.0 >= s.smokeFor - 0.5 * s.smokeEvery, window.allSatisfy({ $0.1 >= s.smokeCells }) {
                // A patch that has stayed all along and grown in that time (cells a crowd
                // uncovers as it leaves do not keep growing), rising or drifting sideways
                // (not sinking by more than two cells, as a person walking down would).
                holds = Double(count[k]) >= s.smokeGrowth * Double(first.1) && row - first.2 <= 2
            }
            // One smoke at a time per camera: a plume drifting out of its field into the rest
            // of the picture is the same smoke.
            let elsewhere = states.indices.contains { $0 != k && states[$0].smoke.active }
            let goingOn = states[k].smoke.active && count[k] >= s.smokeCells
            if states[k].smoke.step(holds: holds && !elsewhere || goingOn, after: 0, rearm: s.rearmAfter, time: time) {
                events.append(FireSmokeEvent(kind: .smoke, area: areas[k].id, time: time, box: normalized(boxes[k])))
            }
        }
    }

    // MARK: Helpers

    private static func grow(_ box: PixelBox?, _ cx: Int, _ cy: Int) -> PixelBox {
        guard let b = box else { return PixelBox(minX: cx, minY: cy, maxX: cx, maxY: cy) }
        return PixelBox(minX: min(b.minX, cx), minY: min(b.minY, cy), maxX: max(b.maxX, cx), maxY: max(b.maxY, cy))
    }

    private func normalized(_ box: PixelBox?) -> Box {
        guard let b = box, gw > 0, gh > 0 else { return Box(minX: 0, minY: 0, maxX: 1, maxY: 1) }
        return Box(minX: Double(b.minX) / Double(gw), minY: Double(b.minY) / Double(gh),
                   maxX: Double(b.maxX + 1) / Double(gw), maxY: Double(b.maxY + 1) / Double(gh))
    }
}
