import Analysis

/// Frames built in the test: a flat or noisy background with boxes drawn on it.
enum SyntheticFrames {
    /// A tiny deterministic generator (xorshift), so noise is the same on every run.
    struct Noise {
        var state: UInt64
        init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        /// Uniform in -amplitude...amplitude.
        mutating func offset(_ amplitude: Int) -> Int {
            amplitude == 0 ? 0 : Int(next() % UInt64(2 * amplitude + 1)) - amplitude
        }
    }

    static func background(width: Int = 320, height: Int = 180, level: UInt8 = 100, noise amplitude: Int = 0, noise: inout Noise) -> LumaFrame {
        var frame = LumaFrame(width: width, height: height, fill: level)
        if amplitude > 0 {
            for i in 0..<frame.pixels.count {
                frame.pixels[i] = UInt8(clamping: Int(level) + noise.offset(amplitude))
            }
        }
        return frame
    }

    static func background(width: Int = 320, height: Int = 180, level: UInt8 = 100) -> LumaFrame {
        var noise = Noise(seed: 1)
        return background(width: width, height: height, level: level, noise: 0, noise: &noise)
    }

    /// Draw a filled box; parts outside the frame are clipped.
    static func drawBox(_ frame: inout LumaFrame, x: Int, y: Int, width: Int, height: Int, level: UInt8 = 230) {
        let x0 = max(0, x), x1 = min(frame.width, x + width)
        let y0 = max(0, y), y1 = min(frame.height, y + height)
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 {
            for xx in x0..<x1 {
                frame[xx, yy] = level
            }
        }
    }
}
