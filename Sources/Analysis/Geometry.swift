/// A point in normalized image coordinates: x from 0 (left) to 1 (right), y from 0 (top) to 1 (bottom).
public struct Point: Sendable, Hashable, Codable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// A closed polygon in normalized coordinates.
public struct Polygon: Sendable, Hashable, Codable {
    public var vertices: [Point]
    public init(_ vertices: [Point]) { self.vertices = vertices }

    /// Even-odd rule (ray casting). Points exactly on an edge may fall either way.
    public func contains(_ p: Point) -> Bool {
        guard vertices.count >= 3 else { return false }
        var inside = false
        var j = vertices.count - 1
        for i in 0..<vertices.count {
            let a = vertices[i], b = vertices[j]
            if (a.y > p.y) != (b.y > p.y) {
                let xCross = (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x
                if p.x < xCross { inside.toggle() }
            }
            j = i
        }
        return inside
    }

    /// Distance from `p` to the nearest edge (normalized units).
    public func distanceToEdge(_ p: Point) -> Double {
        guard vertices.count >= 2 else { return .infinity }
        var best = Double.infinity
        for i in 0..<vertices.count {
            let a = vertices[i], b = vertices[(i + 1) % vertices.count]
            let dx = b.x - a.x, dy = b.y - a.y
            let l2 = dx * dx + dy * dy
            let t = l2 > 0 ? max(0, min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / l2)) : 0
            let ex = a.x + t * dx - p.x, ey = a.y + t * dy - p.y
            best = min(best, (ex * ex + ey * ey).squareRoot())
        }
        return best
    }

    /// Twice the signed area; zero for degenerate polygons.
    public var doubleSignedArea: Double {
        guard vertices.count >= 3 else { return 0 }
        var s = 0.0
        for i in 0..<vertices.count {
            let a = vertices[i], b = vertices[(i + 1) % vertices.count]
            s += a.x * b.y - b.x * a.y
        }
        return s
    }
}

/// An axis-aligned box in pixel coordinates of the analysed frame, bounds inclusive.
public struct PixelBox: Sendable, Hashable {
    public var minX: Int
    public var minY: Int
    public var maxX: Int
    public var maxY: Int
    public init(minX: Int, minY: Int, maxX: Int, maxY: Int) {
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
    }
    public var width: Int { maxX - minX + 1 }
    public var height: Int { maxY - minY + 1 }
}
