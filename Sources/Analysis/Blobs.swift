import PixelKernels

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
        run(&mask, scratch: &scratch, width: width, height: height) { gw_dilate($0, $1, $2, $3, 2) }
    }

    /// 3×3 erosion then 5×5 dilation (opening, then joining a body's parts): the same as
    /// `erode` then `dilate5`, with the mask read and written once.
    public static func erodeThenDilate5(_ mask: inout [UInt8], scratch: inout [UInt8], width: Int, height: Int) {
        run(&mask, scratch: &scratch, width: width, height: height) { gw_erode_dilate($0, $1, $2, $3, 1, 2) }
    }

    /// Any non-zero byte becomes 255, so AND and OR work on whole bytes.
    static func normalise(_ mask: inout [UInt8]) {
        for i in mask.indices where mask[i] != 0 { mask[i] = 255 }
    }

    private static func apply(_ mask: inout [UInt8], scratch: inout [UInt8], width: Int, height: Int, erode: Bool) {
        run(&mask, scratch: &scratch, width: width, height: height) { erode ? gw_erode($0, $1, $2, $3, 1) : gw_dilate($0, $1, $2, $3, 1) }
    }

    /// Separable passes in C (`PixelKernels`): rows into `scratch`, columns back into `mask`.
    private static func run(_ mask: inout [UInt8], scratch: inout [UInt8], width: Int, height: Int,
                            _ kernel: (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt8>, Int, Int) -> Void) {
        precondition(mask.count == width * height)
        guard width > 0, height > 0 else { return }
        if scratch.count != mask.count { scratch = [UInt8](repeating: 0, count: mask.count) }
        mask.withUnsafeMutableBufferPointer { m in
            scratch.withUnsafeMutableBufferPointer { r in kernel(m.baseAddress!, r.baseAddress!, width, height) }
        }
    }
}
