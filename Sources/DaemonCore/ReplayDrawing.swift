import Analysis
import MediaIO

/// `gridwatchd replay --draw`: each analysed frame drawn with what the analysis saw, so a
/// person tuning a camera sees why an event fired or did not. At twice the analysis size:
/// - the picture in gray, foreground pixels tinted magenta;
/// - blobs as thin gray boxes, detections cut from a group orange, joined pieces blue;
/// - tracks: confirmed green, tentative yellow, coasting (unseen) dotted; id above the box,
///   size class initial after it (P person, G group, V vehicle, S small); trail behind;
/// - zones yellow and tripwires red with their ids (side A marked), flashing white for a
///   second when they fire, with the event written at the top;
/// - the learnt person size: white bars near the left edge for five rows, each as tall and
///   its foot tick as wide as a person standing on that row.
struct ReplayCanvas {
    struct RGB {
        var r: UInt8, g: UInt8, b: UInt8
        static let green = RGB(r: 40, g: 220, b: 60)
        static let yellow = RGB(r: 250, g: 220, b: 30)
        static let red = RGB(r: 240, g: 40, b: 40)
        static let white = RGB(r: 255, g: 255, b: 255)
        static let gray = RGB(r: 150, g: 150, b: 150)
        static let orange = RGB(r: 255, g: 140, b: 0)
        static let blue = RGB(r: 60, g: 140, b: 255)
        static let cyan = RGB(r: 0, g: 220, b: 230)
        static let magenta = RGB(r: 230, g: 40, b: 230)

        var yuv: (y: UInt8, u: UInt8, v: UInt8) {
            let r = Double(r), g = Double(g), b = Double(b)
            let y = 0.299 * r + 0.587 * g + 0.114 * b
            let u = 128 + (b - y) * 0.564, v = 128 + (r - y) * 0.713
            func c(_ x: Double) -> UInt8 { UInt8(max(0, min(255, x.rounded()))) }
            return (c(y), c(u), c(v))
        }
    }

    var picture: VideoWriter.Picture
    let zoom: Int

    /// The analysed frame at `zoom` times its size, foreground tinted.
    init(frame: LumaFrame, foreground: [UInt8], zoom: Int = 2) {
        self.zoom = zoom
        let w = (frame.width * zoom) & ~1, h = (frame.height * zoom) & ~1
        var luma = [UInt8](repeating: 0, count: w * h)
        for y in 0..<h {
            let sy = min(frame.height - 1, y / zoom)
            for x in 0..<w { luma[y * w + x] = frame.pixels[sy * frame.width + min(frame.width - 1, x / zoom)] }
        }
        picture = VideoWriter.Picture(width: w, height: h, luma: luma)
        if foreground.count == frame.width * frame.height {
            let tint = RGB.magenta.yuv
            for y in 0..<(h / 2) {
                for x in 0..<(w / 2) {
                    let sx = min(frame.width - 1, 2 * x / zoom), sy = min(frame.height - 1, 2 * y / zoom)
                    if foreground[sy * frame.width + sx] != 0 {
                        picture.u[y * (w / 2) + x] = tint.u
                        picture.v[y * (w / 2) + x] = tint.v
                    }
                }
            }
        }
    }

    var width: Int { picture.width }
    var height: Int { picture.height }

    mutating func dot(_ x: Int, _ y: Int, _ c: RGB, size: Int = 2) {
        let yuv = c.yuv
        for yy in y..<(y + size) where yy >= 0 && yy < height {
            for xx in x..<(x + size) where xx >= 0 && xx < width {
                picture.y[yy * width + xx] = yuv.y
                picture.u[(yy / 2) * (width / 2) + xx / 2] = yuv.u
                picture.v[(yy / 2) * (width / 2) + xx / 2] = yuv.v
            }
        }
    }

    /// A line between normalized points; `dash` > 0 draws every other `dash` pixels.
    mutating func line(_ a: Point, _ b: Point, _ c: RGB, size: Int = 2, dash: Int = 0) {
        guard a.x.isFinite, a.y.isFinite, b.x.isFinite, b.y.isFinite else { return }
        let x0 = min(max(a.x, -1), 2) * Double(width), y0 = min(max(a.y, -1), 2) * Double(height)
        let x1 = min(max(b.x, -1), 2) * Double(width), y1 = min(max(b.y, -1), 2) * Double(height)
        let steps = max(1, Int(max(abs(x1 - x0), abs(y1 - y0))))
        for s in 0...steps {
            if dash > 0 && (s / dash) % 2 == 1 { continue }
            let t = Double(s) / Double(steps)
            dot(Int(x0 + (x1 - x0) * t) - size / 2, Int(y0 + (y1 - y0) * t) - size / 2, c, size: size)
        }
    }

    mutating func box(_ b: Box, _ c: RGB, size: Int = 2, dash: Int = 0) {
        let p = [Point(x: b.minX, y: b.minY), Point(x: b.maxX, y: b.minY), Point(x: b.maxX, y: b.maxY), Point(x: b.minX, y: b.maxY)]
        for i in 0..<4 { line(p[i], p[(i + 1) % 4], c, size: size, dash: dash) }
    }

    /// Text in a 3×5 pixel font, `scale` screen pixels a font pixel, on a dark backing.
    mutating func text(_ s: String, at p: Point, _ c: RGB, scale: Int = 2) {
        var x = Int(p.x * Double(width)), y = Int(p.y * Double(height))
        x = max(0, min(width - 4 * scale * s.count - 2, x))
        y = max(0, min(height - 6 * scale - 1, y))
        for (i, ch) in s.uppercased().enumerated() {
            let glyph = Self.font[ch] ?? Self.font["?"]!
            let ox = x + i * 4 * scale
            for row in 0..<5 {
                for col in 0..<3 {
                    let on = (glyph[row] >> (2 - col)) & 1 == 1
                    if on { dot(ox + col * scale, y + row * scale, c, size: scale) }
                }
            }
        }
    }

    /// 3×5 glyphs, one row per number, bit 2 the left column.
    static let font: [Character: [UInt8]] = [
        "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 3, 1, 7], "4": [5, 5, 7, 1, 1],
        "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 2, 2, 2], "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7],
        "A": [2, 5, 7, 5, 5], "B": [6, 5, 6, 5, 6], "C": [3, 4, 4, 4, 3], "D": [6, 5, 5, 5, 6], "E": [7, 4, 6, 4, 7],
        "F": [7, 4, 6, 4, 4], "G": [3, 4, 5, 5, 3], "H": [5, 5, 7, 5, 5], "I": [7, 2, 2, 2, 7], "J": [1, 1, 1, 5, 2],
        "K": [5, 5, 6, 5, 5], "L": [4, 4, 4, 4, 7], "M": [5, 7, 7, 5, 5], "N": [6, 5, 5, 5, 5], "O": [2, 5, 5, 5, 2],
        "P": [6, 5, 6, 4, 4], "Q": [2, 5, 5, 6, 3], "R": [6, 5, 6, 5, 5], "S": [3, 4, 2, 1, 6], "T": [7, 2, 2, 2, 2],
        "U": [5, 5, 5, 5, 7], "V": [5, 5, 5, 5, 2], "W": [5, 5, 7, 7, 5], "X": [5, 5, 2, 5, 5], "Y": [5, 5, 2, 2, 2],
        "Z": [7, 1, 2, 4, 7], "-": [0, 0, 7, 0, 0], "_": [0, 0, 0, 0, 7], ".": [0, 0, 0, 0, 2], ":": [0, 2, 0, 2, 0],
        "#": [5, 7, 5, 7, 5], ">": [4, 2, 1, 2, 4], "<": [1, 2, 4, 2, 1], "/": [1, 1, 2, 4, 4], " ": [0, 0, 0, 0, 0],
        "?": [7, 1, 2, 0, 2], "=": [0, 7, 0, 7, 0], "+": [0, 2, 7, 2, 0], "(": [1, 2, 2, 2, 1], ")": [4, 2, 2, 2, 4],
    ]
}

/// Draws one analysed frame of a replay.
struct ReplayDrawer {
    let zones: [ZoneRule]
    let tripwires: [TripwireRule]
    /// Rules that fired recently: id → (until when to flash, the text).
    private var flashes: [String: Double] = [:]
    private var messages: [(until: Double, text: String)] = []

    init(zones: [ZoneRule], tripwires: [TripwireRule]) {
        self.zones = zones
        self.tripwires = tripwires
    }

    mutating func draw(frame: LumaFrame, result: AnalysisResult, foreground: [UInt8], scale: PersonScale, time: Double, clock: Double, frameIndex: Int) -> VideoWriter.Picture {
        var c = ReplayCanvas(frame: frame, foreground: foreground)
        for e in result.events {
            flashes[e.ruleID] = time + 1
            var text = "\(e.ruleID) \(e.kind.rawValue)"
            if let d = e.direction { text += " \(d.rawValue)" }
            if let t = e.trackID { text += " #\(t)" }
            messages.append((time + 2, text))
        }
        messages = messages.filter { $0.until > time }
        for zone in zones {
            let hot = (flashes[zone.id] ?? 0) > time
            let v = zone.polygon.vertices
            for i in v.indices { c.line(v[i], v[(i + 1) % v.count], hot ? .white : .yellow, size: hot ? 3 : 1) }
            if let first = v.first { c.text(zone.id, at: Point(x: first.x, y: first.y - 0.03), .yellow) }
        }
        for rule in tripwires {
            let hot = (flashes[rule.line.id] ?? 0) > time
            c.line(rule.line.a, rule.line.b, hot ? .white : .red, size: hot ? 4 : 2)
            c.text(rule.line.id, at: Point(x: rule.line.a.x + 0.005, y: rule.line.a.y + 0.005), .red)
            // Mark side A: a short tick from the middle towards it.
            let m = Point(x: (rule.line.a.x + rule.line.b.x) / 2, y: (rule.line.a.y + rule.line.b.y) / 2)
            let dx = rule.line.b.x - rule.line.a.x, dy = rule.line.b.y - rule.line.a.y
            let l = max(1e-9, (dx * dx + dy * dy).squareRoot())
            let toA = Point(x: m.x + dy / l * 0.02, y: m.y - dx / l * 0.02)
            c.line(m, toA, .red, size: 2)
            c.text("A", at: Point(x: toA.x, y: toA.y - 0.01), .red)
        }
        for blob in result.blobs { c.box(blob.normalizedBox(width: frame.width, height: frame.height), .gray, size: 1) }
        for d in result.detections where d.split || d.joined { c.box(d.box, d.split ? .orange : .blue, size: 1) }
        for t in result.tracks {
            let colour: ReplayCanvas.RGB = t.confirmed ? .green : .yellow
            c.box(t.box, colour, size: t.observed ? 2 : 1, dash: t.observed ? 0 : 3)
            let trail = t.trajectory.suffix(40)
            var prev: Point?
            for p in trail {
                if let q = prev { c.line(q, p.point, .cyan, size: 1) }
                prev = p.point
            }
            let cls = t.objectClass == .unknown ? "" : String(t.objectClass.rawValue.prefix(1))
            c.text("\(t.id)\(cls)", at: Point(x: t.box.minX, y: t.box.minY - 0.03), colour)
        }
        // The learnt person size, at five rows.
        if scale.isReady {
            for k in 1...5 {
                let y = 0.15 + Double(k) * 0.15
                if let h = scale.height(atFoot: y) {
                    // Side by side, so the bars of neighbouring rows do not run into one line.
                    let x = 0.008 + Double(k - 1) * 0.012
                    c.line(Point(x: x, y: y), Point(x: x, y: y - h), .white, size: 2)
                    if let w = scale.width(atFoot: y) { c.line(Point(x: x, y: y), Point(x: x + w, y: y), .white, size: 2) }
                }
            }
        }
        c.text(String(format: "F%d T%.1f", frameIndex, clock), at: Point(x: 0.01, y: 0.01), .white)
        for (i, m) in messages.enumerated() { c.text(m.text, at: Point(x: 0.30, y: 0.01 + 0.035 * Double(i)), .white) }
        return c.picture
    }
}
