/// What size of thing a detection is, judged against the size of a person at its row.
public enum ObjectClass: String, Sendable, CaseIterable, Codable {
    /// One person, or a person-sized thing (a cyclist seen head on).
    case person
    /// Several people together that could not be told apart.
    case group
    /// Much wider and larger than a person at that row: a car, a tractor, a lorry.
    case vehicle
    /// Much smaller than a person at that row: a cat, a dog, a bird, a bag blown about.
    case small
    /// The camera's perspective is not learnt yet.
    case unknown
}

/// The camera's perspective, learnt from the people it sees: the typical height and
/// width of a person whose feet are at a given image row.
///
/// On a fixed camera looking down at the ground, a person's height in the picture grows
/// about linearly with how low their feet are (y). Samples come from confirmed tracks
/// that move alone (one track, one blob, upright); a least-squares line through them,
/// fitted again without the samples it explains worst, gives the height at any row,
/// and the median width-to-height ratio the width. Pure: samples in, sizes out.
public struct PersonScale: Sendable, Equatable {
    /// One observation: foot row and box height, width (normalized).
    struct Sample: Sendable, Equatable {
        var y: Double, height: Double, width: Double
    }
    private var samples: [Sample] = []
    private var next = 0
    /// height ≈ a + b·y; nil until enough samples spread over enough rows.
    public private(set) var line: (a: Double, b: Double)?
    public private(set) var aspect = 0.4
    private var sinceFit = 0

    /// Samples kept (the newest), and how many are needed, over how many rows, to trust the line.
    public static let capacity = 400
    public static let needed = 40
    public static let spread = 0.12

    public init() {}

    public static func == (l: PersonScale, r: PersonScale) -> Bool {
        l.samples == r.samples && l.line?.a == r.line?.a && l.line?.b == r.line?.b
    }

    public var isReady: Bool { line != nil }

    /// Add a single person's box (normalized). Boxes that are not upright, or touch the
    /// frame's edge (cut off), are ignored.
    public mutating func observe(_ box: Box) {
        let h = box.height, w = box.width
        guard h > 0.02, w > 0.005, h / w >= 1.3, h / w <= 5,
              box.minY > 0.005, box.maxY < 0.995, box.minX > 0.005, box.maxX < 0.995 else { return }
        let s = Sample(y: box.maxY, height: h, width: w)
        if samples.count < Self.capacity {
            samples.append(s)
        } else {
            samples[next] = s
            next = (next + 1) % Self.capacity
        }
        sinceFit += 1
        if line == nil ? samples.count >= Self.needed && sinceFit >= 5 : sinceFit >= 20 {
            fit()
            sinceFit = 0
        }
    }

    private mutating func fit() {
        let ys = samples.map(\.y).sorted()
        guard ys.count >= Self.needed else { return }
        // Rows from the 10th to the 90th percentile must span enough of the picture.
        guard ys[ys.count * 9 / 10] - ys[ys.count / 10] >= Self.spread else { return }
        func leastSquares(_ s: [Sample]) -> (a: Double, b: Double)? {
            let n = Double(s.count)
            guard n >= 2 else { return nil }
            let mx = s.reduce(0) { $0 + $1.y } / n, my = s.reduce(0) { $0 + $1.height } / n
            var sxx = 0.0, sxy = 0.0
            for p in s {
                sxx += (p.y - mx) * (p.y - mx)
                sxy += (p.y - mx) * (p.height - my)
            }
            guard sxx > 1e-9 else { return nil }
            let b = sxy / sxx
            return (my - b * mx, b)
        }
        guard var l = leastSquares(samples) else { return }
        // Twice: drop the samples more than 30 % off the line (pairs, pieces), fit again.
        for _ in 0..<2 {
            let kept = samples.filter { abs($0.height - (l.a + l.b * $0.y)) <= 0.3 * max(0.01, l.a + l.b * $0.y) }
            guard kept.count >= Self.needed / 2, let refit = leastSquares(kept) else { break }
            l = refit
        }
        // A person never shrinks towards the camera; a line that says so is noise.
        guard l.b >= -0.05 else { return }
        line = l
        let ratios = samples.map { $0.width / $0.height }.sorted()
        aspect = ratios[ratios.count / 2]
    }

    /// Typical person height (normalized) with feet at row `y`; nil until learnt.
    public func height(atFoot y: Double) -> Double? {
        guard let l = line else { return nil }
        return max(0.01, l.a + l.b * y)
    }

    /// Typical person width (normalized) with feet at row `y`.
    public func width(atFoot y: Double) -> Double? {
        height(atFoot: y).map { $0 * aspect }
    }

    /// The size class of a box, against a person at its foot row.
    public func classify(_ box: Box) -> ObjectClass {
        guard let h = height(atFoot: box.maxY), let w = width(atFoot: box.maxY) else { return .unknown }
        let area = box.width * box.height, person = h * w
        if area < 0.2 * person || box.height < 0.4 * h { return .small }
        if box.width > 2.2 * w && box.height < 1.4 * h && box.width > box.height { return .vehicle }
        if box.width > 1.6 * w || area > 2.5 * person { return .group }
        return .person
    }
}
