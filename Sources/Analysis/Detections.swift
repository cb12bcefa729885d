/// One object candidate in one frame: a blob, a blob's pieces joined into one person, or
/// one person of a blob that held several.
public struct Detection: Sendable, Equatable {
    /// Normalized box.
    public var box: Box
    /// Foreground pixels in it.
    public var area: Int
    /// A small colour histogram of its foreground pixels (appearance, to keep identities
    /// through a crossing); empty when not computed.
    public var histogram: [Float]
    /// Cut out of a larger blob (a pair walking together, people passing).
    public var split: Bool
    /// Joined from pieces of one person (a coat close to the pavement's colour).
    public var joined: Bool

    public init(box: Box, area: Int = 0, histogram: [Float] = [], split: Bool = false, joined: Bool = false) {
        self.box = box
        self.area = area
        self.histogram = histogram
        self.split = split
        self.joined = joined
    }

    public var foot: Point { box.foot }

    /// Bhattacharyya coefficient of two histograms (1: same colours, 0: none in common);
    /// 0.5 when either is missing (no opinion).
    public static func similarity(_ a: [Float], _ b: [Float]) -> Double {
        guard !a.isEmpty, a.count == b.count else { return 0.5 }
        var s: Float = 0
        for i in a.indices { s += (a[i] * b[i]).squareRoot() }
        // Two histograms, each normalized: their marginals sum to 2.
        return Double(s) / Double(Histogram.parts)
    }
}

/// Appearance: 8 gray-level bins, and 4 bins each of Cb and Cr when there is colour, over
/// an object's foreground pixels; each part sums to 1.
enum Histogram {
    static let parts = 3
    static let bins = 16

    static func of(frame: LumaFrame, mask: [UInt8], box: PixelBox) -> [Float] {
        var h = [Float](repeating: 0, count: bins)
        var n: Float = 0, nc: Float = 0
        let cw = frame.width / 2
        let colour = frame.hasColour
        for y in box.minY...box.maxY {
            let row = y * frame.width
            for x in box.minX...box.maxX where mask[row + x] != 0 {
                h[Int(frame.pixels[row + x] >> 5)] += 1
                n += 1
                if colour && (y / 2) < frame.height / 2 && (x / 2) < cw {
                    let c = (y / 2) * cw + x / 2
                    h[8 + min(3, max(0, (Int(frame.u[c]) - 112) / 8))] += 1
                    h[12 + min(3, max(0, (Int(frame.v[c]) - 112) / 8))] += 1
                    nc += 1
                }
            }
        }
        guard n > 0 else { return [] }
        for i in 0..<8 { h[i] /= n }
        if nc > 0 {
            for i in 8..<16 { h[i] /= nc }
        } else {
            // No colour: the colour parts agree with anything.
            for i in 8..<16 { h[i] = 0.25 }
        }
        return h
    }
}

/// Turns one frame's blobs into detections of objects, using what the tracker expects
/// (where the tracks it follows should be now) and the camera's perspective:
///
/// - **pieces** of one person (a body whose coat the background hides, cut in two) are
///   joined when together they make one person's size at their row, or fall inside one
///   track's expected box;
/// - a **blob holding several tracks** (a pair, people passing) is cut between them, along
///   the direction they are spread in, each part's box fitted to its own pixels;
/// - a **blob wider than a person** at its row, with no tracks to tell, is cut into as
///   many people as it is wide, at the thinnest columns near the even cuts.
public enum DetectionBuilder {
    /// What the tracker expects: a live track's predicted box, and whether it is reliable
    /// enough (confirmed, recently seen) to claim a part of a blob.
    public struct Expectation: Sendable {
        public var box: Box
        public var reliable: Bool
        public init(box: Box, reliable: Bool) {
            self.box = box
            self.reliable = reliable
        }
    }

    public static func build(blobs: [Blob], frame: LumaFrame, mask: [UInt8], expected: [Expectation], scale: PersonScale) -> [Detection] {
        let w = frame.width, h = frame.height
        guard mask.count == w * h else {
            return blobs.map { Detection(box: $0.normalizedBox(width: w, height: h), area: $0.area) }
        }
        var parts: [(box: PixelBox, area: Int, joined: Bool)] = blobs.map { ($0.box, $0.area, false) }
        func norm(_ b: PixelBox) -> Box {
            Box(minX: Double(b.minX) / Double(w), minY: Double(b.minY) / Double(h), maxX: Double(b.maxX + 1) / Double(w), maxY: Double(b.maxY + 1) / Double(h))
        }
        func union(_ a: PixelBox, _ b: PixelBox) -> PixelBox {
            PixelBox(minX: min(a.minX, b.minX), minY: min(a.minY, b.minY), maxX: max(a.maxX, b.maxX), maxY: max(a.maxY, b.maxY))
        }
        func overlapShare(_ inner: Box, _ outer: Box) -> Double {
            let ix = max(0, min(inner.maxX, outer.maxX) - max(inner.minX, outer.minX))
            let iy = max(0, min(inner.maxY, outer.maxY) - max(inner.minY, outer.minY))
            return inner.area > 0 ? ix * iy / inner.area : 0
        }

        // Join pieces, smallest gaps first, until nothing more joins.
        var joinedAny = true
        while joinedAny && parts.count > 1 {
            joinedAny = false
            search: for i in 0..<parts.count {
                for j in (i + 1)..<parts.count {
                    let a = norm(parts[i].box), b = norm(parts[j].box)
                    let u = norm(union(parts[i].box, parts[j].box))
                    let overlapX = min(a.maxX, b.maxX) - max(a.minX, b.minX)
                    guard overlapX >= 0.5 * min(a.width, b.width) else { continue }
                    let gapY = max(a.minY, b.minY) - min(a.maxY, b.maxY)
                    var join = false
                    if let ph = scale.height(atFoot: u.maxY), let pw = scale.width(atFoot: u.maxY) {
                        join = gapY < 0.35 * ph && u.height <= 1.25 * ph && u.width <= 1.3 * pw
                    }
                    if !join {
                        // Both inside one reliable expected box that their union does not outgrow.
                        join = expected.contains { e in
                            e.reliable && overlapShare(a, e.box) >= 0.6 && overlapShare(b, e.box) >= 0.6
                                && u.height <= 1.3 * e.box.height && u.width <= 1.4 * e.box.width
                        }
                    }
                    if join {
                        parts[i] = (union(parts[i].box, parts[j].box), parts[i].area + parts[j].area, true)
                        parts.remove(at: j)
                        joinedAny = true
                        break search
                    }
                }
            }
        }

        var out: [Detection] = []
        for part in parts {
            let box = norm(part.box)
            // Tracks expected in this blob: a good share of their expected box lies in it.
            let claimants = expected.filter { $0.reliable && overlapShare($0.box, box) >= 0.35 }
            var cuts: [PixelBox] = []
            // Two tracks can share a blob only if it is bigger than either: one person's blob
            // with two tracks on it (a track left on a piece) is not cut, and the extra track fades.
            let roomForMore = box.width >= 1.25 * (claimants.map(\.box.width).max() ?? 0)
                || box.height >= 1.2 * (claimants.map(\.box.height).max() ?? 0)
            if claimants.count == 2 && roomForMore, let (near, far) = Self.oneBehindTheOther(claimants.map(\.box)) {
                // One behind the other: the near one's feet are the blob's bottom; the far one's
                // are hidden, so it is where it was expected, inside the blob. No cut by rows:
                // that would leave the near one a stub of legs and swap the two.
                let nearBox = Box(minX: max(box.minX, near.minX), minY: max(box.minY, box.maxY - near.height),
                                  maxX: min(box.maxX, near.maxX), maxY: box.maxY)
                let farBox = Box(minX: max(box.minX, far.minX), minY: max(box.minY, far.minY),
                                 maxX: min(box.maxX, far.maxX), maxY: min(box.maxY, far.maxY))
                if nearBox.width > 0, nearBox.height > 0, farBox.width > 0, farBox.height > 0 {
                    for b in [nearBox, farBox] {
                        let px = PixelBox(minX: max(0, Int(b.minX * Double(w))), minY: max(0, Int(b.minY * Double(h))),
                                          maxX: min(w - 1, Int(b.maxX * Double(w)) - 1), maxY: min(h - 1, Int(b.maxY * Double(h)) - 1))
                        let hist = px.maxX >= px.minX && px.maxY >= px.minY ? Histogram.of(frame: frame, mask: mask, box: px) : []
                        out.append(Detection(box: b, area: part.area / 2, histogram: hist, split: true, joined: part.joined))
                    }
                    continue
                }
            }
            if claimants.count >= 2 && roomForMore {
                cuts = cutByExpectation(part.box, claimants: claimants.map(\.box), width: w, height: h)
            } else if let pw = scale.width(atFoot: box.maxY), let ph = scale.height(atFoot: box.maxY),
                      box.width >= 1.7 * pw, box.height >= 0.6 * ph, box.height <= 1.6 * ph,
                      // A car is not a row of people; nor is a blob one track already fills.
                      scale.classify(box) != .vehicle,
                      !claimants.contains(where: { $0.box.width >= 0.7 * box.width }) {
                let k = min(4, Int((box.width / pw).rounded()))
                if k >= 2 { cuts = cutEvenly(part.box, into: k, personWidth: pw * Double(w), mask: mask, width: w) }
            }
            let pieces = cuts.compactMap { tighten($0, mask: mask, width: w) }.filter { $0.area >= max(4, part.area / 12) }
            if pieces.count >= 2 {
                for p in pieces {
                    out.append(Detection(box: norm(p.box), area: p.area, histogram: Histogram.of(frame: frame, mask: mask, box: p.box), split: true, joined: part.joined))
                }
            } else {
                out.append(Detection(box: box, area: part.area, histogram: Histogram.of(frame: frame, mask: mask, box: part.box), joined: part.joined))
            }
        }
        return out
    }

    /// Two expected boxes that overlap in columns by half the narrower one's width: one
    /// person behind the other. Returns (near, far): the near one stands lower.
    static func oneBehindTheOther(_ boxes: [Box]) -> (near: Box, far: Box)? {
        guard boxes.count == 2 else { return nil }
        let a = boxes[0], b = boxes[1]
        let overlap = min(a.maxX, b.maxX) - max(a.minX, b.minX)
        guard overlap >= 0.5 * min(a.width, b.width) else { return nil }
        return a.maxY >= b.maxY ? (a, b) : (b, a)
    }

    /// Cut a blob between the expected boxes of the tracks inside it: across the axis
    /// along which their feet are spread most (relative to their size).
    static func cutByExpectation(_ blob: PixelBox, claimants: [Box], width w: Int, height h: Int) -> [PixelBox] {
        let meanW = claimants.reduce(0) { $0 + $1.width } / Double(claimants.count)
        let meanH = claimants.reduce(0) { $0 + $1.height } / Double(claimants.count)
        let xs = claimants.map(\.center.x), ys = claimants.map(\.maxY)
        let spreadX = (xs.max()! - xs.min()!) / max(meanW, 1e-6)
        let spreadY = (ys.max()! - ys.min()!) / max(meanH, 1e-6)
        if spreadX >= spreadY {
            return spans(between: xs, from: blob.minX, to: blob.maxX, size: w).map {
                PixelBox(minX: $0.lowerBound, minY: blob.minY, maxX: $0.upperBound, maxY: blob.maxY)
            }
        }
        // One behind the other: cut between their feet.
        return spans(between: ys, from: blob.minY, to: blob.maxY, size: h).map {
            PixelBox(minX: blob.minX, minY: $0.lowerBound, maxX: blob.maxX, maxY: $0.upperBound)
        }
    }

    /// Pixel spans of `lo...hi` cut half-way between consecutive `centres` (normalized,
    /// `size` pixels to 1); empty spans are left out.
    static func spans(between centres: [Double], from lo: Int, to hi: Int, size: Int) -> [ClosedRange<Int>] {
        let sorted = centres.sorted()
        var bounds = [lo]
        for i in 0..<max(0, sorted.count - 1) {
            let mid = Int(((sorted[i] + sorted[i + 1]) / 2 * Double(size)).rounded())
            bounds.append(min(hi, max(bounds.last! + 1, mid)))
        }
        bounds.append(hi + 1)
        var out: [ClosedRange<Int>] = []
        for i in 0..<(bounds.count - 1) where bounds[i] < bounds[i + 1] {
            let end: Int = bounds[i + 1] - 1
            out.append(bounds[i]...end)
        }
        return out
    }

    /// Cut a blob into `k` side by side, each cut at the column with the fewest foreground
    /// pixels within a third of a person's width of the even position.
    static func cutEvenly(_ blob: PixelBox, into k: Int, personWidth: Double, mask: [UInt8], width w: Int) -> [PixelBox] {
        var columns = [Int](repeating: 0, count: blob.width)
        for y in blob.minY...blob.maxY {
            let row = y * w
            for x in blob.minX...blob.maxX where mask[row + x] != 0 { columns[x - blob.minX] += 1 }
        }
        var bounds = [blob.minX]
        let reach = max(1, Int(personWidth / 3))
        for i in 1..<k {
            let even = blob.minX + blob.width * i / k
            var best = even, bestCount = Int.max
            let lo = max(bounds.last! + 1, even - reach), hi = min(blob.maxX, even + reach)
            guard lo <= hi else { break }
            for x in lo...hi {
                let c = columns[x - blob.minX] * 8 + abs(x - even)
                if c < bestCount {
                    bestCount = c
                    best = x
                }
            }
            bounds.append(best)
        }
        bounds.append(blob.maxX + 1)
        return (0..<(bounds.count - 1)).compactMap { i in
            bounds[i] < bounds[i + 1] ? PixelBox(minX: bounds[i], minY: blob.minY, maxX: bounds[i + 1] - 1, maxY: blob.maxY) : nil
        }
    }

    /// The tight box of the foreground inside `box`, and its pixel count; nil if empty.
    static func tighten(_ box: PixelBox, mask: [UInt8], width w: Int) -> (box: PixelBox, area: Int)? {
        var minX = Int.max, minY = Int.max, maxX = Int.min, maxY = Int.min, n = 0
        for y in box.minY...box.maxY {
            let row = y * w
            for x in box.minX...box.maxX where mask[row + x] != 0 {
                n += 1
                minX = min(minX, x)
                maxX = max(maxX, x)
                minY = min(minY, y)
                maxY = max(maxY, y)
            }
        }
        return n > 0 ? (PixelBox(minX: minX, minY: minY, maxX: maxX, maxY: maxY), n) : nil
    }
}
