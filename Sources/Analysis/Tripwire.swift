/// A directed line segment from `a` to `b`, in normalized coordinates.
///
/// Side A is on the left, as seen on screen, of someone walking from a to b: with
/// d = b − a and y pointing down, a point p is on side A when
/// d.x·(p.y − a.y) − d.y·(p.x − a.x) < 0.
public struct Tripwire: Sendable, Equatable {
    public enum Direction: String, Sendable, CaseIterable {
        case aToB = "a_to_b"
        case bToA = "b_to_a"
        case both
    }

    public enum Side: Sendable, Equatable { case a, b }

    public var id: String
    public var a: Point
    public var b: Point
    public var direction: Direction

    public init(id: String, a: Point, b: Point, direction: Direction = .both) {
        self.id = id
        self.a = a
        self.b = b
        self.direction = direction
    }

    /// Which way a crossing in `direction` goes on screen, as people say it: the larger part
    /// of the move from one side to the other (left to right, right to left, top to bottom,
    /// bottom to top). `both` has none.
    public enum ScreenWay: String, Sendable, Equatable { case leftToRight, rightToLeft, topToBottom, bottomToTop }

    public func screenWay(_ crossing: Direction) -> ScreenWay? {
        // Side B lies along (−dy, dx) (y down): a crossing from A to B moves that way.
        let dx = b.x - a.x, dy = b.y - a.y
        var mx = -dy, my = dx
        switch crossing {
        case .aToB: break
        case .bToA: mx = -mx; my = -my
        case .both: return nil
        }
        if abs(mx) >= abs(my) { return mx > 0 ? .leftToRight : .rightToLeft }
        return my > 0 ? .topToBottom : .bottomToTop
    }

    public var length: Double {
        let dx = b.x - a.x, dy = b.y - a.y
        return (dx * dx + dy * dy).squareRoot()
    }

    /// Signed distance of `p` from the line through a and b, in normalized units:
    /// negative on side A, positive on side B.
    public func signedDistance(_ p: Point) -> Double {
        let dx = b.x - a.x, dy = b.y - a.y
        let l = length
        guard l > 0 else { return 0 }
        return (dx * (p.y - a.y) - dy * (p.x - a.x)) / l
    }

    public func side(of p: Point) -> Side { signedDistance(p) < 0 ? .a : .b }

    /// Where along the segment (0 at a, 1 at b) the path from `p` to `q` meets the line,
    /// or nil if the path does not cross the line.
    public func crossingParameter(from p: Point, to q: Point) -> Double? {
        let dp = signedDistance(p), dq = signedDistance(q)
        guard (dp < 0) != (dq < 0), dp != dq else { return nil }
        let f = dp / (dp - dq)
        let x = Point(x: p.x + (q.x - p.x) * f, y: p.y + (q.y - p.y) * f)
        let dx = b.x - a.x, dy = b.y - a.y
        let l2 = dx * dx + dy * dy
        guard l2 > 0 else { return nil }
        return ((x.x - a.x) * dx + (x.y - a.y) * dy) / l2
    }
}

/// An axis-aligned box in normalized coordinates.
public struct Box: Sendable, Hashable {
    public var minX: Double
    public var minY: Double
    public var maxX: Double
    public var maxY: Double

    public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
    }

    public var width: Double { maxX - minX }
    public var height: Double { maxY - minY }
    public var area: Double { max(0, width) * max(0, height) }
    public var center: Point { Point(x: (minX + maxX) / 2, y: (minY + maxY) / 2) }
    /// Bottom centre: where a walking object touches the ground.
    public var foot: Point { Point(x: (minX + maxX) / 2, y: maxY) }
    public var diagonal: Double { (width * width + height * height).squareRoot() }

    public func offset(dx: Double, dy: Double) -> Box {
        Box(minX: minX + dx, minY: minY + dy, maxX: maxX + dx, maxY: maxY + dy)
    }

    public func intersectionOverUnion(_ o: Box) -> Double {
        let ix = max(0, min(maxX, o.maxX) - max(minX, o.minX))
        let iy = max(0, min(maxY, o.maxY) - max(minY, o.minY))
        let inter = ix * iy
        let union = area + o.area - inter
        return union > 0 ? inter / union : 0
    }
}

extension Blob {
    /// The blob's box in normalized coordinates of a `width`×`height` frame.
    public func normalizedBox(width: Int, height: Int) -> Box {
        Box(minX: Double(box.minX) / Double(width), minY: Double(box.minY) / Double(height),
            maxX: Double(box.maxX + 1) / Double(width), maxY: Double(box.maxY + 1) / Double(height))
    }
}
