import PixelKernels
import Testing

/// The vector loops of PixelKernels against their plain versions, on random input that
/// reaches the edges (levels 0 and 255, ages about to saturate or be absorbed, pixels
/// flipping, masked pixels) and on lengths that leave a tail of fewer than eight.
@Suite struct PixelKernelTests {
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
        mutating func int16(_ range: ClosedRange<Int>) -> Int16 { Int16(range.lowerBound + Int(next() % UInt64(range.count))) }
    }

    struct ModelState: Equatable {
        var background: [Int16], noise: [Int16], flicker: [Int16], previous: [UInt8], age: [Int16], mask: [UInt8]
    }

    static func randomState(_ n: Int, _ r: inout Random) -> (pixels: [UInt8], allowed: [UInt8], state: ModelState) {
        var pixels = [UInt8](), allowed = [UInt8](), s = ModelState(background: [], noise: [], flicker: [], previous: [], age: [], mask: [UInt8](repeating: 7, count: n))
        for _ in 0..<n {
            let level = r.next() % 4 == 0 ? [0, 255, 128][Int(r.next() % 3)] : UInt8(r.next() % 256)
            pixels.append(UInt8(level))
            // Background near the level half of the time, so both sides of every threshold occur.
            let near = Int(level) * 128 + Int(r.int16(-4000...4000))
            s.background.append(r.next() % 2 == 0 ? Int16(max(0, min(32640, near))) : r.int16(0...32640))
            s.noise.append(r.int16(0...3000))
            s.flicker.append(r.next() % 3 == 0 ? r.int16(6000...7500) : r.int16(0...32767))
            s.previous.append(UInt8(r.next() % 2))
            s.age.append(r.next() % 4 == 0 ? r.int16(32760...32767) : r.int16(0...400))
            allowed.append(r.next() % 5 == 0 ? 0 : 255)
        }
        return (pixels, allowed, s)
    }

    /// `allowed` empty: no motion mask (NULL).
    static func run(_ vector: Bool, _ pixels: [UInt8], _ allowed: [UInt8], _ state: ModelState, _ params: gw_subtract_params) -> (Int, ModelState) {
        var s = state, p = params
        let n = pixels.count
        let total = pixels.withUnsafeBufferPointer { px in
            allowed.withUnsafeBufferPointer { al in
                s.background.withUnsafeMutableBufferPointer { bg in
                s.noise.withUnsafeMutableBufferPointer { nz in
                s.flicker.withUnsafeMutableBufferPointer { fl in
                s.previous.withUnsafeMutableBufferPointer { pv in
                s.age.withUnsafeMutableBufferPointer { ag in
                s.mask.withUnsafeMutableBufferPointer { m in
                    vector
                        ? gw_motion_subtract(px.baseAddress!, bg.baseAddress!, nz.baseAddress!, fl.baseAddress!, pv.baseAddress!, ag.baseAddress!, al.isEmpty ? nil : al.baseAddress, m.baseAddress!, n, &p)
                        : gw_motion_subtract_plain(px.baseAddress!, bg.baseAddress!, nz.baseAddress!, fl.baseAddress!, pv.baseAddress!, ag.baseAddress!, al.isEmpty ? nil : al.baseAddress, m.baseAddress!, n, &p)
                }}}}}}
            }
        }
        return (Int(total), s)
    }

    static let settings: [gw_subtract_params] = [
        // The defaults (MotionSettings()), absorbing after 300 frames.
        gw_subtract_params(threshold: 25 << 7, noise_off: 0, inverse_factor: 16384, rate_still: 3277, rate_moving: 328,
                           flicker_limit: 6554, absorb_on: 1, absorb_after: 300, noise_rate: 1311, flicker_rate: 3277, age_step: 1),
        // No noise threshold, no absorbing, absorbing as late as it can be.
        gw_subtract_params(threshold: 10 << 7, noise_off: 1, inverse_factor: 0, rate_still: 32767, rate_moving: 0,
                           flicker_limit: 32767, absorb_on: 0, absorb_after: 32767, noise_rate: 1311, flicker_rate: 3277, age_step: 1),
        // Absorbing after one frame.
        gw_subtract_params(threshold: 5 << 7, noise_off: 0, inverse_factor: 65535, rate_still: 1, rate_moving: 32767,
                           flicker_limit: 0, absorb_on: 1, absorb_after: 1, noise_rate: 32767, flicker_rate: 1, age_step: 1),
        // A keyframe after a 5 s gap at 10 fps: changed pixels age by 50.
        gw_subtract_params(threshold: 25 << 7, noise_off: 0, inverse_factor: 16384, rate_still: 30_000, rate_moving: 14_000,
                           flicker_limit: 6554, absorb_on: 1, absorb_after: 300, noise_rate: 20_000, flicker_rate: 30_000, age_step: 50),
    ]

    @Test(arguments: [0, 1, 7, 8, 9, 57_600, 70_001])
    func subtractMatchesPlainLoop(count: Int) {
        var r = Random(state: UInt64(count) &+ 11)
        for (k, params) in Self.settings.enumerated() {
            var (pixels, allowed, state) = Self.randomState(count, &r)
            if k == 1 { allowed = [] }
            var stateVector = state
            // Three frames in a row, so the statistics written by one are read by the next.
            for _ in 0..<3 {
                let (plainTotal, plain) = Self.run(false, pixels, allowed, state, params)
                let (vectorTotal, vector) = Self.run(true, pixels, allowed, stateVector, params)
                #expect(vectorTotal == plainTotal)
                #expect(vector == plain)
                #expect(plainTotal == plain.mask.filter { $0 == 255 }.count)
                #expect(plain.mask.allSatisfy { $0 == 0 || $0 == 255 })
                state = plain
                stateVector = vector
                for i in pixels.indices where r.next() % 3 == 0 { pixels[i] = r.byte() }
            }
        }
    }

    /// A frame looked at (`gw_motion_peek`): the mask and count the update would give, and
    /// nothing else written.
    @Test(arguments: [0, 1, 7, 8, 9, 57_600, 70_001])
    func peekWritesTheUpdatesMaskAndNothingElse(count: Int) {
        var r = Random(state: UInt64(count) &+ 23)
        for (k, params) in Self.settings.enumerated() {
            let generated = Self.randomState(count, &r), state = generated.state
            var pixels = generated.pixels, allowed = generated.allowed
            if k == 1 { allowed = [] }
            if k == 2 { for i in pixels.indices where r.next() % 3 == 0 { pixels[i] = r.byte() } }
            let (total, updated) = Self.run(true, pixels, allowed, state, params)
            // A copy of its own (not a shared buffer): a stray write would show.
            let before = ModelState(background: state.background.map { $0 }, noise: state.noise.map { $0 }, flicker: state.flicker.map { $0 },
                                    previous: state.previous.map { $0 }, age: state.age.map { $0 }, mask: state.mask.map { $0 })
            for vector in [false, true] {
                var s = state, p = params
                let peeked = pixels.withUnsafeBufferPointer { px in
                    allowed.withUnsafeBufferPointer { al in
                        s.mask.withUnsafeMutableBufferPointer { m in
                            (vector ? gw_motion_peek : gw_motion_peek_plain)(
                                px.baseAddress, state.background, state.noise, state.flicker, state.previous, state.age,
                                al.isEmpty ? nil : al.baseAddress, m.baseAddress, count, &p)
                        }
                    }
                }
                #expect(Int(peeked) == total)
                #expect(s.mask == updated.mask)
                var unchanged = s
                unchanged.mask = state.mask
                #expect(unchanged == before)
            }
        }
    }

    @Test(arguments: [1, 8, 15, 16, 17, 14_400, 14_407])
    func chromaUpdateMatchesPlainLoop(count: Int) {
        var r = Random(state: UInt64(count))
        let u = (0..<count).map { _ in r.byte() }, v = (0..<count).map { _ in r.byte() }
        // Backgrounds far from the colour too: |dCb| + |dCr| beyond 16 bits saturates.
        let bu = (0..<count).map { i in i % 4 == 0 ? Int16(32640) : r.int16(0...32640) }
        let bv = (0..<count).map { i in i % 4 == 0 ? Int16(0) : r.int16(0...32640) }
        func run(_ vector: Bool) -> ([Int16], [Int16], [UInt8]) {
            var bu = bu, bv = bv, changed = [UInt8](repeating: 9, count: count)
            bu.withUnsafeMutableBufferPointer { bu in
                bv.withUnsafeMutableBufferPointer { bv in
                    changed.withUnsafeMutableBufferPointer { c in
                        (vector ? gw_chroma_update : gw_chroma_update_plain)(u, v, bu.baseAddress!, bv.baseAddress!, c.baseAddress!, count, 14 << 7, 3277, 328)
                    }
                }
            }
            return (bu, bv, changed)
        }
        let plain = run(false), vector = run(true)
        #expect(vector.0 == plain.0 && vector.1 == plain.1 && vector.2 == plain.2)
        #expect(plain.2.allSatisfy { $0 <= 1 })
        // Blue on yellow is a change, never a wrapped-around "no change".
        if count > 0 { #expect(plain.2[0] == 1 || abs(Int(u[0]) * 128 - 32640) + abs(Int(v[0]) * 128) <= 14 << 7) }
    }

    @Test(arguments: [(2, 2), (17, 9), (320, 180), (331, 181)])
    func colourAndShadowsMatchPlainLoop(width: Int, height: Int) {
        var r = Random(state: UInt64(width * 7 + height))
        let n = width * height, cw = width / 2, ch = height / 2
        let (pixels, allowed, state) = Self.randomState(n, &r)
        // A mask of runs (still stretches to skip, busy ones to look at), colour changed in patches.
        var mask = [UInt8](repeating: 0, count: n)
        var i = 0
        while i < n {
            let run = Int(r.next() % 40), on = r.next() % 3 == 0
            for k in i..<min(n, i + run) { mask[k] = on ? 255 : 0 }
            i += max(1, run)
        }
        let colour = (0..<(cw * ch)).map { _ in UInt8(r.next() % 4 == 0 ? 1 : 0) }
        for (useColour, shadows, useMask, low, high) in [(true, true, true, 128, 225), (true, false, false, 0, 256), (false, true, true, 128, 225), (true, true, false, 64, 64)] {
            func run(_ vector: Bool) -> (Int, [UInt8]) {
                var m = mask
                let delta = pixels.withUnsafeBufferPointer { p in
                    state.background.withUnsafeBufferPointer { bg in
                    state.flicker.withUnsafeBufferPointer { fl in
                    state.age.withUnsafeBufferPointer { ag in
                    allowed.withUnsafeBufferPointer { al in
                    colour.withUnsafeBufferPointer { cc in
                    m.withUnsafeMutableBufferPointer { mm in
                        (vector ? gw_colour_and_shadows : gw_colour_and_shadows_plain)(
                            p.baseAddress!, bg.baseAddress!, fl.baseAddress!, ag.baseAddress!, useMask ? al.baseAddress : nil,
                            useColour ? cc.baseAddress : nil, mm.baseAddress!, width, cw, ch, shadows ? 1 : 0,
                            Int32(low), Int32(high), 6554, 300)
                    }}}}}}
                }
                return (Int(delta), m)
            }
            let plain = run(false), vector = run(true)
            #expect(vector.0 == plain.0)
            #expect(vector.1 == plain.1)
            #expect(plain.0 == plain.1.filter { $0 != 0 }.count - mask.filter { $0 != 0 }.count)
            if useColour && shadows && n > 100 { #expect(plain.1 != mask) }
        }
    }

    @Test(arguments: [(1, 1), (7, 3), (16, 2), (17, 5), (320, 180), (331, 4)])
    func halvingAndPickingMatchPlainLoops(width: Int, height: Int) {
        var r = Random(state: UInt64(width * 1000 + height))
        let stride = 2 * width + 13
        let source = (0..<(stride * 2 * height)).map { _ in r.byte() }
        func run(_ f: (UnsafePointer<UInt8>, Int, UnsafeMutablePointer<UInt8>, Int, Int) -> Void) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: width * height)
            out.withUnsafeMutableBufferPointer { o in source.withUnsafeBufferPointer { s in f(s.baseAddress!, stride, o.baseAddress!, width, height) } }
            return out
        }
        let half = run(gw_half_plane), halfPlain = run(gw_half_plane_plain)
        #expect(half == halfPlain)
        #expect(halfPlain[0] == UInt8((Int(source[0]) + Int(source[1]) + Int(source[stride]) + Int(source[stride + 1]) + 2) / 4))
        let odd = run(gw_pick_odd), oddPlain = run(gw_pick_odd_plain)
        #expect(odd == oddPlain)
        #expect(oddPlain[width * height - 1] == source[(2 * height - 1) * stride + 2 * width - 1])
    }
}
