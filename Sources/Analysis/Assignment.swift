/// Optimal assignment of rows to columns at least total cost (the Hungarian method,
/// Kuhn–Munkres with potentials, O(n²·m)). Costs at or above `forbidden` are never paired.
public enum Assignment {
    /// For each row, the column it is paired with, or nil. Rectangular matrices are fine.
    public static func solve(_ cost: [[Double]], forbidden: Double) -> [Int?] {
        let rows = cost.count
        guard rows > 0, let cols = cost.first?.count, cols > 0 else { return Array(repeating: nil, count: rows) }
        // The method wants rows ≤ columns: transpose when needed.
        if rows > cols {
            let t = (0..<cols).map { c in (0..<rows).map { r in cost[r][c] } }
            let byCol = solve(t, forbidden: forbidden)
            var out: [Int?] = Array(repeating: nil, count: rows)
            for (c, r) in byCol.enumerated() { if let r { out[r] = c } }
            return out
        }
        // Forbidden pairs cost more than any whole assignment of allowed pairs.
        let big = forbidden * Double(rows + 1) + 1
        let n = rows, m = cols
        var u = [Double](repeating: 0, count: n + 1), v = [Double](repeating: 0, count: m + 1)
        var p = [Int](repeating: 0, count: m + 1), way = [Int](repeating: 0, count: m + 1)
        for i in 1...n {
            p[0] = i
            var j0 = 0
            var minv = [Double](repeating: .infinity, count: m + 1)
            var used = [Bool](repeating: false, count: m + 1)
            repeat {
                used[j0] = true
                let i0 = p[j0]
                var delta = Double.infinity, j1 = 0
                for j in 1...m where !used[j] {
                    let c = cost[i0 - 1][j - 1]
                    let cur = (c >= forbidden ? big : c) - u[i0] - v[j]
                    if cur < minv[j] {
                        minv[j] = cur
                        way[j] = j0
                    }
                    if minv[j] < delta {
                        delta = minv[j]
                        j1 = j
                    }
                }
                for j in 0...m {
                    if used[j] {
                        u[p[j]] += delta
                        v[j] -= delta
                    } else {
                        minv[j] -= delta
                    }
                }
                j0 = j1
            } while p[j0] != 0
            repeat {
                let j1 = way[j0]
                p[j0] = p[j1]
                j0 = j1
            } while j0 != 0
        }
        var out: [Int?] = Array(repeating: nil, count: n)
        for j in 1...m where p[j] != 0 {
            let r = p[j] - 1
            if cost[r][j - 1] < forbidden { out[r] = j - 1 }
        }
        return out
    }
}
