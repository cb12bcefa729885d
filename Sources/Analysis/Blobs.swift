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
        precondition(mask.count == width * height)
        var labels = [Int32](repeating: 0, count: mask.count)
        var stack: [Int] = []
        stack.reserveCapacity(1024)
        var result: [Blob] = []
        var next: Int32 = 0
        let total = Double(width * height)
        mask.withUnsafeBufferPointer { m in
            labels.withUnsafeMutableBufferPointer { l in
                for start in 0..<m.count where m[start] != 0 && l[start] == 0 {
                    next += 1
                    l[start] = next
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
                                    l[j] = next
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

/// 3×3 binary morphology on masks of 0 / 255.
public enum Morphology {
    public static func erode(_ mask: [UInt8], width: Int, height: Int) -> [UInt8] {
        apply(mask, width: width, height: height, keepIf: { $0 == 9 })
    }

    public static func dilate(_ mask: [UInt8], width: Int, height: Int) -> [UInt8] {
        apply(mask, width: width, height: height, keepIf: { $0 > 0 })
    }

    /// Erode then dilate: removes specks smaller than 3×3, keeps the shape of larger regions.
    public static func open(_ mask: [UInt8], width: Int, height: Int) -> [UInt8] {
        dilate(erode(mask, width: width, height: height), width: width, height: height)
    }

    /// Counts foreground in each 3×3 neighbourhood (outside the frame counts as background
    /// for erosion's purposes only where it is outside) and keeps pixels where `keepIf` holds.
    private static func apply(_ mask: [UInt8], width: Int, height: Int, keepIf: (Int) -> Bool) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: mask.count)
        mask.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<height {
                    for x in 0..<width {
                        var count = 0
                        var cells = 0
                        for dy in -1...1 {
                            let ny = y + dy
                            if ny < 0 || ny >= height { continue }
                            for dx in -1...1 {
                                let nx = x + dx
                                if nx < 0 || nx >= width { continue }
                                cells += 1
                                if m[ny * width + nx] != 0 { count += 1 }
                            }
                        }
                        // At the border, a full neighbourhood is the part inside the frame.
                        let normalized = count == cells ? 9 : count
                        if keepIf(normalized) { o[y * width + x] = 255 }
                    }
                }
            }
        }
        return out
    }
}
