/// A connected region of foreground pixels.
public struct Blob: Sendable, Hashable {
    public var box: PixelBox
    /// Foreground pixels in the region.
    public var area: Int
    /// Bottom centre of the box, normalized: where a walking object touches the ground.
    public var footPoint: Point
    /// Share of the frame the region covers (0...1).
    public var normalizedArea: Double
}

/// Labels 8-connected foreground regions of a binary mask.
///
/// Works on runs, not pixels: each row's stretches of foreground are found eight bytes at a
/// time, joined to the runs they touch in the row above (union-find), and each region's
/// area and box are summed per run. Regions come out in raster order of their first pixel.
public enum ConnectedComponents {
    /// Buffers kept between frames so labelling allocates nothing in steady state.
    public struct Scratch: Sendable {
        var runs: [Run] = []
        var parent: [Int32] = []
        var stats: [Stats] = []
        public init() {}
    }

    struct Run: Sendable {
        var y: Int32, start: Int32, end: Int32, label: Int32
    }

    struct Stats: Sendable {
        var area = 0
        var minX = Int.max, minY = Int.max, maxX = Int.min, maxY = Int.min
    }

    /// Regions of `mask` (non-zero = foreground) of a `width`×`height` frame,
    /// keeping those whose pixel count lies within `minArea...maxArea`.
    public static func blobs(mask: [UInt8], width: Int, height: Int, minArea: Int, maxArea: Int = .max) -> [Blob] {
        var scratch = Scratch()
        return blobs(mask: mask, width: width, height: height, minArea: minArea, maxArea: maxArea, scratch: &scratch)
    }

    /// The same, with buffers the caller keeps between frames.
    public static func blobs(mask: [UInt8], width: Int, height: Int, minArea: Int, maxArea: Int = .max, scratch: inout Scratch) -> [Blob] {
        precondition(mask.count == width * height)
        scratch.runs.removeAll(keepingCapacity: true)
        scratch.parent.removeAll(keepingCapacity: true)
        mask.withUnsafeBufferPointer { m in
            let m = m.baseAddress!
            var previousStart = 0, previousEnd = 0
            for y in 0..<height {
                let row = m + y * width
                let rowStart = scratch.runs.count
                var j = previousStart
                var x = 0
                while x < width {
                    // Skip background eight bytes at a time.
                    while x + 8 <= width && UnsafeRawPointer(row + x).loadUnaligned(as: UInt64.self) == 0 { x += 8 }
                    while x < width && row[x] == 0 { x += 1 }
                    if x >= width { break }
                    let start = x
                    while x + 8 <= width && UnsafeRawPointer(row + x).loadUnaligned(as: UInt64.self) == ~0 { x += 8 }
                    while x < width && row[x] != 0 { x += 1 }
                    let end = x - 1
                    // Runs of the row above that touch this one, diagonals included.
                    var label: Int32 = -1
                    while j < previousEnd && Int(scratch.runs[j].end) < start - 1 { j += 1 }
                    var k = j
                    while k < previousEnd && Int(scratch.runs[k].start) <= end + 1 {
                        let other = find(&scratch.parent, scratch.runs[k].label)
                        if label < 0 {
                            label = other
                        } else if other != label {
                            // Keep the older label as root: regions stay in raster order.
                            let (root, child) = other < label ? (other, label) : (label, other)
                            scratch.parent[Int(child)] = root
                            label = root
                        }
                        k += 1
                    }
                    if label < 0 {
                        label = Int32(scratch.parent.count)
                        scratch.parent.append(label)
                    }
                    scratch.runs.append(Run(y: Int32(y), start: Int32(start), end: Int32(end), label: label))
                }
                previousStart = rowStart
                previousEnd = scratch.runs.count
            }
        }
        if scratch.runs.isEmpty { return [] }
        scratch.stats.removeAll(keepingCapacity: true)
        scratch.stats.append(contentsOf: repeatElement(Stats(), count: scratch.parent.count))
        for run in scratch.runs {
            let root = Int(find(&scratch.parent, run.label))
            let x0 = Int(run.start), x1 = Int(run.end), y = Int(run.y)
            scratch.stats[root].area += x1 - x0 + 1
            scratch.stats[root].minX = min(scratch.stats[root].minX, x0)
            scratch.stats[root].maxX = max(scratch.stats[root].maxX, x1)
            scratch.stats[root].minY = min(scratch.stats[root].minY, y)
            scratch.stats[root].maxY = max(scratch.stats[root].maxY, y)
        }
        let total = Double(width * height)
        var result: [Blob] = []
        for s in scratch.stats where s.area > 0 && s.area >= minArea && s.area <= maxArea {
            let box = PixelBox(minX: s.minX, minY: s.minY, maxX: s.maxX, maxY: s.maxY)
            let foot = Point(x: (Double(s.minX + s.maxX) + 1) / 2 / Double(width), y: Double(s.maxY + 1) / Double(height))
            result.append(Blob(box: box, area: s.area, footPoint: foot, normalizedArea: Double(s.area) / total))
        }
        return result
    }

    /// The root of `label`, halving the path on the way.
    @inline(__always)
    private static func find(_ parent: inout [Int32], _ label: Int32) -> Int32 {
        var l = label
        while parent[Int(l)] != l {
            let grand = parent[Int(parent[Int(l)])]
            parent[Int(l)] = grand
            l = grand
        }
        return l
    }
}

/// 3×3 binary morphology on masks (0 = background, anything else = foreground; results are 0 / 255).
///
/// Each operation is separable: a horizontal pass then a vertical one over plain bytes,
/// which the compiler vectorises. Outside the frame counts as foreground for erosion
/// (a region touching the border is not eaten away) and as background for dilation.
public enum Morphology {
    public static func erode(_ mask: [UInt8], width: Int, height: Int) -> [UInt8] {
        var out = mask
        erode(&out, width: width, height: height)
        return out
    }

    public static func dilate(_ mask: [UInt8], width: Int, height: Int) -> [UInt8] {
        var out = mask
        dilate(&out, width: width, height: height)
        return out
    }

    /// Erode then dilate: removes specks smaller than 3×3, keeps the shape of larger regions.
    public static func open(_ mask: [UInt8], width: Int, height: Int) -> [UInt8] {
        var out = mask
        erode(&out, width: width, height: height)
        dilate(&out, width: width, height: height)
        return out
    }

    public static func erode(_ mask: inout [UInt8], width: Int, height: Int) {
        var scratch: [UInt8] = []
        normalise(&mask)
        erode(&mask, scratch: &scratch, width: width, height: height)
    }

    public static func dilate(_ mask: inout [UInt8], width: Int, height: Int) {
        var scratch: [UInt8] = []
        normalise(&mask)
        dilate(&mask, scratch: &scratch, width: width, height: height)
    }

    /// For masks already of 0 / 255, with a scratch buffer the caller keeps between frames.
    public static func erode(_ mask: inout [UInt8], scratch: inout [UInt8], width: Int, height: Int) {
        apply(&mask, scratch: &scratch, width: width, height: height, erode: true)
    }

    public static func dilate(_ mask: inout [UInt8], scratch: inout [UInt8], width: Int, height: Int) {
        apply(&mask, scratch: &scratch, width: width, height: height, erode: false)
    }

    /// 5×5 dilation (the same as dilating twice with 3×3) in two passes instead of four.
    public static func dilate5(_ mask: inout [UInt8], scratch: inout [UInt8], width: Int, height: Int) {
        precondition(mask.count == width * height)
        guard width > 0, height > 0 else { return }
        if scratch.count != mask.count { scratch = [UInt8](repeating: 0, count: mask.count) }
        mask.withUnsafeMutableBufferPointer { m in
            scratch.withUnsafeMutableBufferPointer { r in
                let m = m.baseAddress!, r = r.baseAddress!
                for y in 0..<height {
                    let src = m + y * width, dst = r + y * width
                    if width < 5 {
                        for x in 0..<width {
                            var v: UInt8 = 0
                            for k in max(0, x - 2)...min(width - 1, x + 2) { v |= src[k] }
                            dst[x] = v
                        }
                        continue
                    }
                    dst[0] = src[0] | src[1] | src[2]
                    dst[1] = src[0] | src[1] | src[2] | src[3]
                    for x in 2..<(width - 2) { dst[x] = src[x - 2] | src[x - 1] | src[x] | src[x + 1] | src[x + 2] }
                    dst[width - 2] = src[width - 4] | src[width - 3] | src[width - 2] | src[width - 1]
                    dst[width - 1] = src[width - 3] | src[width - 2] | src[width - 1]
                }
                for y in 0..<height {
                    let dst = m + y * width
                    let lo = max(0, y - 2), hi = min(height - 1, y + 2)
                    if hi - lo == 4 {
                        let a = r + lo * width, b = a + width, c = b + width, d = c + width, e = d + width
                        for x in 0..<width { dst[x] = a[x] | b[x] | c[x] | d[x] | e[x] }
                    } else {
                        // Near the top and bottom edges: fewer rows.
                        dst.update(from: r + lo * width, count: width)
                        for k in (lo + 1)..<(hi + 1) {
                            let row = r + k * width
                            for x in 0..<width { dst[x] |= row[x] }
                        }
                    }
                }
            }
        }
    }

    /// Any non-zero byte becomes 255, so AND and OR work on whole bytes.
    static func normalise(_ mask: inout [UInt8]) {
        for i in mask.indices where mask[i] != 0 { mask[i] = 255 }
    }

    private static func apply(_ mask: inout [UInt8], scratch: inout [UInt8], width: Int, height: Int, erode: Bool) {
        precondition(mask.count == width * height)
        guard width > 0, height > 0 else { return }
        if scratch.count != mask.count { scratch = [UInt8](repeating: 0, count: mask.count) }
        mask.withUnsafeMutableBufferPointer { m in
            scratch.withUnsafeMutableBufferPointer { r in
                let m = m.baseAddress!, r = r.baseAddress!
                let edge: UInt8 = erode ? 255 : 0
                // Horizontal pass into `row`.
                for y in 0..<height {
                    let src = m + y * width, dst = r + y * width
                    if width == 1 {
                        dst[0] = src[0]
                        continue
                    }
                    if erode {
                        dst[0] = edge & src[0] & src[1]
                        for x in 1..<(width - 1) { dst[x] = src[x - 1] & src[x] & src[x + 1] }
                        dst[width - 1] = src[width - 2] & src[width - 1] & edge
                    } else {
                        dst[0] = edge | src[0] | src[1]
                        for x in 1..<(width - 1) { dst[x] = src[x - 1] | src[x] | src[x + 1] }
                        dst[width - 1] = src[width - 2] | src[width - 1] | edge
                    }
                }
                // Vertical pass back into `mask`; outside rows are `edge`.
                for y in 0..<height {
                    let mid = r + y * width
                    let dst = m + y * width
                    let up = y > 0 ? r + (y - 1) * width : nil
                    let down = y < height - 1 ? r + (y + 1) * width : nil
                    switch (up, down, erode) {
                    case let (u?, d?, true): for x in 0..<width { dst[x] = u[x] & mid[x] & d[x] }
                    case let (u?, d?, false): for x in 0..<width { dst[x] = u[x] | mid[x] | d[x] }
                    case let (u?, nil, true), let (nil, u?, true): for x in 0..<width { dst[x] = u[x] & mid[x] }
                    case let (u?, nil, false), let (nil, u?, false): for x in 0..<width { dst[x] = u[x] | mid[x] }
                    case (nil, nil, _): for x in 0..<width { dst[x] = mid[x] }
                    }
                }
            }
        }
    }
}
