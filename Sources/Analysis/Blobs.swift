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
public enum ConnectedComponents {
    /// Regions of `mask` (non-zero = foreground) of a `width`×`height` frame,
    /// keeping those whose pixel count lies within `minArea...maxArea`.
    public static func blobs(mask: [UInt8], width: Int, height: Int, minArea: Int, maxArea: Int = .max) -> [Blob] {
        var labels: [UInt8] = []
        return blobs(mask: mask, width: width, height: height, minArea: minArea, maxArea: maxArea, visited: &labels)
    }

    /// The same, with a `visited` buffer the caller keeps between frames.
    public static func blobs(mask: [UInt8], width: Int, height: Int, minArea: Int, maxArea: Int = .max, visited labels: inout [UInt8]) -> [Blob] {
        precondition(mask.count == width * height)
        if labels.count != mask.count {
            labels = [UInt8](repeating: 0, count: mask.count)
        } else {
            labels.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
        var stack: [Int] = []
        stack.reserveCapacity(1024)
        var result: [Blob] = []
        let total = Double(width * height)
        mask.withUnsafeBufferPointer { m in
            labels.withUnsafeMutableBufferPointer { l in
                var start = -1
                while true {
                    start += 1
                    // Skip empty stretches of the mask eight bytes at a time.
                    while start & 7 == 0 && start + 8 <= m.count
                        && UnsafeRawPointer(m.baseAddress! + start).loadUnaligned(as: UInt64.self) == 0 {
                        start += 8
                    }
                    if start >= m.count { break }
                    guard m[start] != 0 && l[start] == 0 else { continue }
                    l[start] = 1
                    stack.append(start)
                    var area = 0
                    var minX = Int.max, minY = Int.max, maxX = Int.min, maxY = Int.min
                    while let i = stack.popLast() {
                        area += 1
                        let x = i % width, y = i / width
                        if x < minX { minX = x }
                        if x > maxX { maxX = x }
                        if y < minY { minY = y }
                        if y > maxY { maxY = y }
                        for dy in -1...1 {
                            let ny = y + dy
                            if ny < 0 || ny >= height { continue }
                            for dx in -1...1 {
                                let nx = x + dx
                                if nx < 0 || nx >= width || (dx == 0 && dy == 0) { continue }
                                let j = ny * width + nx
                                if m[j] != 0 && l[j] == 0 {
                                    l[j] = 1
                                    stack.append(j)
                                }
                            }
                        }
                    }
                    if area >= minArea && area <= maxArea {
                        let box = PixelBox(minX: minX, minY: minY, maxX: maxX, maxY: maxY)
                        let foot = Point(x: (Double(minX + maxX) + 1) / 2 / Double(width), y: Double(maxY + 1) / Double(height))
                        result.append(Blob(box: box, area: area, footPoint: foot, normalizedArea: Double(area) / total))
                    }
                }
            }
        }
        return result
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
