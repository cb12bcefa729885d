import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Plain text tables whose columns line up with Chinese text (two cells per wide character),
/// fitted to the terminal: when a row would wrap, the widest columns are cut (with "…"),
/// the last one first. Output to a pipe or a file is never cut.
struct Table {
    var headers: [String]
    var rows: [[String]] = []
    /// Columns to leave out, in this order, when the table is too wide for the terminal
    /// (before any column is cut).
    var dropFirst: [Int] = []
    /// Columns never cut (a time must stay readable), and the least a cut column keeps.
    var neverCut: Set<Int> = []
    var minimum: [Int: Int] = [:]

    static func isWide(_ v: UInt32) -> Bool {
        (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v)
    }

    static func displayWidth(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { $0 + (isWide($1.value) ? 2 : 1) }
    }

    static func pad(_ s: String, to width: Int) -> String {
        s + String(repeating: " ", count: max(0, width - displayWidth(s)))
    }

    /// `s` cut to at most `width` display cells, ending in "…" when cut.
    static func truncate(_ s: String, to width: Int) -> String {
        guard displayWidth(s) > width else { return s }
        var out = ""
        var used = 0
        for scalar in s.unicodeScalars {
            let w = isWide(scalar.value) ? 2 : 1
            if used + w > width - 1 { break }
            out.unicodeScalars.append(scalar)
            used += w
        }
        return out + "…"
    }

    /// Columns of the terminal on standard output; nil when it is not a terminal.
    static var terminalWidth: Int? {
        guard isatty(STDOUT_FILENO) == 1 else { return nil }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init)
    }

    func render(maxWidth: Int? = Table.terminalWidth) -> String {
        if let maxWidth, !dropFirst.isEmpty {
            // Leave out the least useful columns first, as long as the rest does not fit.
            func width(_ columns: [Int]) -> Int {
                columns.map { i in ([headers] + rows).map { i < $0.count ? Self.displayWidth($0[i]) : 0 }.max() ?? 0 }.reduce(0, +)
                    + 2 * max(0, columns.count - 1)
            }
            var kept = Array(headers.indices)
            for column in dropFirst where width(kept) > maxWidth {
                kept.removeAll { $0 == column }
            }
            if kept.count < headers.count {
                var narrower = Table(headers: kept.map { headers[$0] }, rows: rows.map { row in kept.map { $0 < row.count ? row[$0] : "" } })
                narrower.neverCut = Set(kept.indices.filter { neverCut.contains(kept[$0]) })
                narrower.minimum = Dictionary(uniqueKeysWithValues: kept.indices.compactMap { i in minimum[kept[i]].map { (i, $0) } })
                return narrower.render(maxWidth: maxWidth)
            }
        }
        var widths = headers.map(Self.displayWidth)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count {
                widths[i] = max(widths[i], Self.displayWidth(cell))
            }
        }
        if let maxWidth {
            // Two spaces between columns; no column cut below 8 cells (or its own width).
            var excess = widths.reduce(0, +) + 2 * (widths.count - 1) - maxWidth
            let floor = widths.indices.map { i in neverCut.contains(i) ? widths[i] : min(widths[i], minimum[i] ?? 8) }
            while excess > 0 {
                // Cut the last column first (titles, sources, notes), then the widest.
                let candidates = widths.indices.filter { widths[$0] > floor[$0] }
                guard let i = candidates.contains(widths.count - 1) ? widths.count - 1 : candidates.max(by: { widths[$0] < widths[$1] }) else { break }
                let cut = min(excess, widths[i] - floor[i])
                widths[i] -= cut
                excess -= cut
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                let fitted = i < widths.count ? Self.truncate(c, to: widths[i]) : c
                return i == cells.count - 1 ? fitted : Self.pad(fitted, to: widths[i])
            }.joined(separator: "  ")
        }
        // Too many columns even at their narrowest: cut the lines rather than wrap them.
        let lines = ([line(headers)] + rows.map(line)).map { text in maxWidth.map { Self.truncate(text, to: $0) } ?? text }
        return lines.joined(separator: "\n")
    }
}
