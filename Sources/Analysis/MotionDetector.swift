import PixelKernels

/// Settings of the motion detector; sizes are shares of the frame so they hold at any resolution.
public struct MotionSettings: Sendable, Equatable {
    /// How fast the background follows the scene where nothing moves (share per frame).
    public var learningRate: Double = 0.05
    /// How fast it follows where something moves: slow, so a walker leaves no ghost behind.
    public var foregroundLearningRate: Double = 0.005
    /// Gray-level difference from the background that counts as change.
    public var threshold: Int = 25
    /// Frames used to learn the background before anything is reported.
    public var warmupFrames: Int = 10
    /// When more than this share of the frame changes at once (light switch, IR cut, exposure
    /// jump), the background is learnt again and nothing is reported.
    public var globalChangeShare: Double = 0.4
    /// Smallest and largest blob, as shares of the frame.
    public var minBlobArea: Double = 0.002
    public var maxBlobArea: Double = 0.5
    /// The change threshold rises to this many times a pixel's own noise (mean absolute
    /// deviation of its still frames), so grainy night pictures do not light up.
    public var noiseFactor: Double = 4
    /// Pixels that flip between changed and still more often than this share of frames
    /// (leaves, water, flicker) are ignored until they calm down.
    public var flickerShare: Double = 0.2
    /// Frames a pixel may stay changed before it is taken into the background
    /// (a parked car, a dropped bag). 0: never.
    public var absorbAfterFrames: Int = 300
    /// Colour difference from the background (|ΔCb| + |ΔCr|, 8-bit) that counts as change
    /// where the gray level alone does not: a light-blue coat on pale paving. 0: gray only.
    public var chromaThreshold: Int = 14
    /// A pixel darker than the background by this share range with its colour unchanged
    /// is a shadow, not an object (lower bound, upper bound of level ÷ background).
    public var shadowRange: ClosedRange<Double>? = 0.5...0.88

    public init() {}
}

/// A running-average background model with a per-pixel change threshold.
///
/// Holds no clock and no I/O: frames in, blobs out.
public struct MotionDetector: Sendable {
    public let settings: MotionSettings
    /// Background level per pixel in 1/128 gray levels. All per-pixel state is 16-bit fixed
    /// point so the update loop runs eight pixels a vector with native 16-bit multiplies
    /// (see Docs/design/motion-fixed-point.md).
    private var background: [Int16] = []
    /// Per pixel: mean absolute deviation while still (1/128 levels), how often it flips
    /// between changed and still (1/32768), whether it was changed last frame, and for how
    /// many frames it has been changed.
    private var noise: [Int16] = []
    private var flicker: [Int16] = []
    private var previous: [UInt8] = []
    private var age: [Int16] = []
    /// 255 where analysis is allowed, 0 under a motion mask; empty without a mask
    /// (then allowed everywhere).
    private var allowed: [UInt8] = []
    public var motionMask: [Polygon] = [] {
        didSet { allowed = []; allowedSize = nil }
    }
    /// The frame size `allowed` was rasterised for.
    private var allowedSize: (width: Int, height: Int)?
    private var width = 0
    private var height = 0
    private var learnedFrames = 0
    /// Frame intervals since the previous frame (1 normally; more after a gap, e.g. keyframes
    /// only while the scene is still): the per-frame rates are compounded over them, so the
    /// background follows stream time rather than the count of frames.
    public var elapsedFrames: Double = 1
    // Buffers kept between frames so the hot path allocates nothing.
    private var mask: [UInt8] = []
    private var scratch: [UInt8] = []
    private var labelling = ConnectedComponents.Scratch()
    /// Colour background (Cb, Cr in 1/128) at half size, and where colour changed.
    private var chromaBackground: [Int16] = []
    private var chromaBackgroundV: [Int16] = []
    private var chromaChanged: [UInt8] = []

    /// The foreground of the last frame after clean-up: 255 object, 0 background
    /// (for drawing and for splitting blobs). Empty until the first detection.
    public var foreground: [UInt8] { mask }
    /// Share of the frame that differed from the background in the last frame, before
    /// clean-up (0 during learning).
    public private(set) var changedShare: Double = 0

    public init(settings: MotionSettings = MotionSettings()) {
        self.settings = settings
    }

    /// True once the background has been learnt and blobs are reported.
    public var isReady: Bool { learnedFrames >= settings.warmupFrames }

    /// Frames until the longest-changed pixel that counts (not under a motion mask, not
    /// flickering) is taken into the background (a parked object, a person standing), if
    /// it stays changed; nil when none is changed or absorbing is off. One pass over the
    /// ages (57 600 at 320×180).
    public var framesUntilAbsorbed: Int? {
        guard settings.absorbAfterFrames > 0, !age.isEmpty, flicker.count == age.count else { return nil }
        let flickerLimit = Int16(min(32767, (settings.flickerShare * 32768).rounded()))
        let oldest = age.withUnsafeBufferPointer { a in
            flicker.withUnsafeBufferPointer { f in
                allowed.withUnsafeBufferPointer { al in
                    var m: Int16 = 0
                    let masked = al.count == a.count
                    for i in 0..<a.count where a[i] > m && f[i] <= flickerLimit && (!masked || al[i] != 0) { m = a[i] }
                    return m
                }
            }
        }
        guard oldest > 0 else { return nil }
        return max(0, min(32767, settings.absorbAfterFrames) - Int(oldest))
    }

    /// Forget the background (new resolution, camera reconnected, global change).
    public mutating func reset() {
        background = []
        learnedFrames = 0
    }

    private mutating func learn(_ frame: LumaFrame) {
        let n = frame.pixels.count
        background = frame.pixels.map { Int16($0) << 7 }
        if noise.count != n {
            noise = [Int16](repeating: 2 << 7, count: n)
            flicker = [Int16](repeating: 0, count: n)
        }
        previous = [UInt8](repeating: 0, count: n)
        age = [Int16](repeating: 0, count: n)
        learnedFrames = 1
        chromaBackground = frame.hasColour ? frame.u.map { Int16($0) << 7 } : []
        chromaBackgroundV = frame.hasColour ? frame.v.map { Int16($0) << 7 } : []
    }

    /// Whether a frame's colour says anything: an infrared or black-and-white picture sent
    /// as YUV has flat chroma, and there a shadow cannot be told from a dark coat. Mean
    /// distance from neutral over every 16th colour sample, at least 2 levels.
    static func isColourful(_ frame: LumaFrame) -> Bool {
        var sum = 0, n = 0
        frame.u.withUnsafeBufferPointer { u in
            frame.v.withUnsafeBufferPointer { v in
                var i = 0
                while i < u.count {
                    sum += abs(Int(u[i]) - 128) + abs(Int(v[i]) - 128)
                    n += 1
                    i += 16
                }
            }
        }
        return n > 0 && sum >= 2 * n
    }

    /// Colour and shadows, after the gray pass has marked `mask`: a pixel whose colour
    /// changed counts even if its gray level did not, and a pixel only darker, by a
    /// shadow's share and with its colour unchanged, does not count. Works at half size
    /// (the colour's own resolution). Returns the change in the number of marked pixels.
    private mutating func colourAndShadows(_ frame: LumaFrame, dry: Bool = false) -> Int {
        let cw = width / 2, ch = height / 2
        if frame.hasColour && chromaBackground.count != cw * ch {
            // Colour arrived after the scene was learnt in gray: learn it from here.
            chromaBackground = frame.u.map { Int16($0) << 7 }
            chromaBackgroundV = frame.v.map { Int16($0) << 7 }
        }
        let useColour = settings.chromaThreshold > 0 && frame.hasColour && chromaBackground.count == cw * ch && Self.isColourful(frame)
        // Without colour a shadow cannot be told from a dark gray coat: none are removed.
        let shadows = useColour ? settings.shadowRange : nil
        guard useColour || shadows != nil else { return 0 }
        if useColour && chromaChanged.count != cw * ch { chromaChanged = [UInt8](repeating: 0, count: cw * ch) }
        let limit = Int16(settings.chromaThreshold) << 7
        // Looked at without learning (`peek`): the colour background stays as it is.
        let rateStill = dry ? 0 : rate16(settings.learningRate), rateMoving = dry ? 0 : rate16(settings.foregroundLearningRate)
        // level ÷ background in 1/256.
        let low = Int(((shadows?.lowerBound ?? 0) * 256).rounded()), high = Int(((shadows?.upperBound ?? 0) * 256).rounded())
        if useColour {
            frame.u.withUnsafeBufferPointer { u in
            frame.v.withUnsafeBufferPointer { v in
            chromaBackground.withUnsafeMutableBufferPointer { cb in
            chromaBackgroundV.withUnsafeMutableBufferPointer { cv in
            chromaChanged.withUnsafeMutableBufferPointer { cc in
                gw_chroma_update(u.baseAddress!, v.baseAddress!, cb.baseAddress!, cv.baseAddress!, cc.baseAddress!,
                                 cw * ch, limit, rateStill, rateMoving)
            }}}}}
        }
        let flickerLimit = Int16(min(32767, (settings.flickerShare * 32768).rounded()))
        let absorbLimit = Int16(min(32767, max(1, settings.absorbAfterFrames)))
        return frame.pixels.withUnsafeBufferPointer { p in
        background.withUnsafeBufferPointer { bg in
        flicker.withUnsafeBufferPointer { fl in
        age.withUnsafeBufferPointer { ag in
        allowed.withUnsafeBufferPointer { al in
        chromaChanged.withUnsafeBufferPointer { cc in
        mask.withUnsafeMutableBufferPointer { m in
            Int(gw_colour_and_shadows(p.baseAddress!, bg.baseAddress!, fl.baseAddress!, ag.baseAddress!,
                                      al.isEmpty ? nil : al.baseAddress, useColour ? cc.baseAddress : nil, m.baseAddress!,
                                      width, cw, ch, shadows != nil ? 1 : 0, Int32(low), Int32(high), flickerLimit, absorbLimit))
        }}}}}}}
    }

    /// Rasterise the motion masks at the frame's size (once per size); none without masks.
    private mutating func prepareMask() {
        guard allowedSize?.width != width || allowedSize?.height != height else { return }
        allowedSize = (width, height)
        allowed = []
        guard !motionMask.isEmpty else { return }
        allowed = [UInt8](repeating: 255, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let p = Point(x: (Double(x) + 0.5) / Double(width), y: (Double(y) + 0.5) / Double(height))
                if motionMask.contains(where: { $0.contains(p) }) { allowed[y * width + x] = 0 }
            }
        }
    }

    /// A rate (share per frame) as a 16-bit multiplier: (x * r) >> 16.
    /// Never inlined: otherwise the optimiser sinks the Double conversion into the pixel loop.
    @inline(never)
    private static func rate16(_ rate: Double) -> Int16 {
        Int16(min(32767, max(0, (rate * 65536).rounded())))
    }

    /// The rate over `elapsedFrames` frame intervals: 1 - (1 - rate)^k (the rate itself when k is 1).
    @inline(never)
    private func rate16(_ rate: Double) -> Int16 {
        guard elapsedFrames > 1 else { return Self.rate16(rate) }
        // (1 - rate)^k by squaring; k is a whole number of frame intervals.
        var base = 1 - min(1, rate), keep = 1.0, k = Int(elapsedFrames)
        while k > 0 {
            if k & 1 == 1 { keep *= base }
            base *= base
            k >>= 1
        }
        return Self.rate16(1 - keep)
    }

    /// Compare `pixels` with the background and mark changed pixels 255 in `mask`; keep
    /// each pixel's statistics. Returns how many pixels changed. Fixed point throughout
    /// (levels in 1/128, rates in 1/65536, flicker in 1/32768), every value in 16 bits,
    /// eight pixels a vector (`gw_motion_subtract` in PixelKernels).
    private mutating func subtract(_ pixels: [UInt8], dry: Bool = false) -> Int {
        var params = gw_subtract_params(
            threshold: Int16(settings.threshold) << 7,
            // ad > noise * factor  <=>  ad / factor > noise: one unsigned high multiply.
            noise_off: settings.noiseFactor >= 1 ? 0 : 1,
            inverse_factor: settings.noiseFactor >= 1 ? UInt16(min(65535, (65536 / settings.noiseFactor).rounded())) : 0,
            rate_still: dry ? 0 : rate16(settings.learningRate),
            rate_moving: dry ? 0 : rate16(settings.foregroundLearningRate),
            flicker_limit: Int16(min(32767, (settings.flickerShare * 32768).rounded())),
            absorb_on: settings.absorbAfterFrames > 0 ? 1 : 0,
            absorb_after: Int16(min(32767, max(1, settings.absorbAfterFrames))),
            // The noise and the flips are counted per frame seen, not compounded over a
            // gap: one frame after a gap is one sample of the sensor's noise, and one flip
            // (someone arriving) must not count as fifty and hide them as flicker.
            noise_rate: Self.rate16(0.02),
            flicker_rate: Self.rate16(0.05),
            // A pixel changed at a keyframe seen alone after a gap has been changed, as far as
            // anyone knows, for the frames the gap stands for: a parked object is taken into
            // the background at the same stream time however sparsely it is looked at.
            age_step: dry ? 1 : Int16(min(32767, max(1, elapsedFrames))))
        let count = pixels.count
        if mask.count != count { mask = [UInt8](repeating: 0, count: count) }
        // A dry run (`peek`) writes nothing but the mask: the same buffers, passed on read-only.
        return pixels.withUnsafeBufferPointer { p in
        background.withUnsafeMutableBufferPointer { bg in
        noise.withUnsafeMutableBufferPointer { nz in
        flicker.withUnsafeMutableBufferPointer { fl in
        previous.withUnsafeMutableBufferPointer { pv in
        age.withUnsafeMutableBufferPointer { ag in
        allowed.withUnsafeBufferPointer { al in
        mask.withUnsafeMutableBufferPointer { m in
            dry
                ? Int(gw_motion_peek(p.baseAddress!, bg.baseAddress!, nz.baseAddress!, fl.baseAddress!, pv.baseAddress!,
                                     ag.baseAddress!, al.isEmpty ? nil : al.baseAddress, m.baseAddress!, count, &params))
                : Int(gw_motion_subtract(p.baseAddress!, bg.baseAddress!, nz.baseAddress!, fl.baseAddress!, pv.baseAddress!,
                                         ag.baseAddress!, al.isEmpty ? nil : al.baseAddress, m.baseAddress!, count, &params))
        }}}}}}}}
    }

    /// Whether the foreground in `box` (pixels of the last frame) is a ghost: something
    /// that was in the background and has gone (a parked car driven off, a person who
    /// stood for a while and walked away), rather than an object. An object has its edges
    /// in the picture along the foreground's outline; a ghost has them in the background.
    public func isGhost(_ box: PixelBox, frame: LumaFrame) -> Bool {
        guard frame.width == width, frame.height == height, mask.count == width * height, background.count == mask.count else { return false }
        let x0 = max(1, box.minX), x1 = min(width - 2, box.maxX), y0 = max(1, box.minY), y1 = min(height - 2, box.maxY)
        guard x0 < x1, y0 < y1 else { return false }
        var inPicture = 0, inBackground = 0, outline = 0
        let p = frame.pixels
        for y in y0...y1 {
            for x in x0...x1 {
                let i = y * width + x
                guard mask[i] != 0, mask[i - 1] == 0 || mask[i + 1] == 0 || mask[i - width] == 0 || mask[i + width] == 0 else { continue }
                inPicture += abs(Int(p[i + 1]) - Int(p[i - 1])) + abs(Int(p[i + width]) - Int(p[i - width]))
                inBackground += abs(Int(background[i + 1] >> 7) - Int(background[i - 1] >> 7)) + abs(Int(background[i + width] >> 7) - Int(background[i - width] >> 7))
                outline += 1
            }
        }
        return outline >= 8 && inPicture * 10 < inBackground * 7
    }

    /// Take the picture inside `box` into the background at once (a ghost found).
    public mutating func absorb(_ box: PixelBox, frame: LumaFrame) {
        guard frame.width == width, frame.height == height, background.count == width * height else { return }
        let x0 = min(width - 1, max(0, box.minX - 2)), x1 = min(width - 1, box.maxX + 2)
        let y0 = min(height - 1, max(0, box.minY - 2)), y1 = min(height - 1, box.maxY + 2)
        guard x0 <= x1, y0 <= y1 else { return }
        for y in y0...y1 {
            for x in x0...x1 {
                let i = y * width + x
                background[i] = Int16(frame.pixels[i]) << 7
                age[i] = 0
                mask[i] = 0
            }
        }
        let cw = width / 2
        if frame.hasColour && chromaBackground.count == cw * (height / 2) {
            for y in min(height / 2 - 1, y0 / 2)...min(height / 2 - 1, y1 / 2) {
                for x in min(cw - 1, x0 / 2)...min(cw - 1, x1 / 2) {
                    let c = y * cw + x
                    chromaBackground[c] = Int16(frame.u[c]) << 7
                    chromaBackgroundV[c] = Int16(frame.v[c]) << 7
                }
            }
        }
    }

    /// The moving regions of `frame` against the background as it is, found without
    /// learning anything from it: the background and every statistic stay as they are
    /// (only the foreground for drawing is this frame's), and the frame counts as the next
    /// one after the last learnt (`detect` with one frame interval, nothing written).
    /// nil where `detect` would learn the frame rather than
    /// judge it (warm-up, a new size, colour not yet learnt) or where more than
    /// `globalChangeShare` changed (it would learn the scene again).
    public mutating func peek(_ frame: LumaFrame) -> [Blob]? {
        guard isReady, frame.width == width, frame.height == height, !background.isEmpty,
              !frame.hasColour || chromaBackground.count == (width / 2) * (height / 2) else { return nil }
        let changed = markChanges(frame, dry: true)
        guard Double(changed) <= settings.globalChangeShare * Double(frame.pixels.count) else { return nil }
        return blobs(changed: changed)
    }

    /// Marks the changed pixels of `frame` in `mask` (the gray pass, then colour and
    /// shadows) and sets `changedShare`; learns from the frame unless `dry`. Returns the
    /// number marked.
    private mutating func markChanges(_ frame: LumaFrame, dry: Bool) -> Int {
        prepareMask()
        let changed = subtract(frame.pixels, dry: dry) + colourAndShadows(frame, dry: dry)
        changedShare = Double(changed) / Double(max(1, frame.pixels.count))
        return changed
    }

    private mutating func blobs(changed: Int) -> [Blob] {
        if changed == 0 { return [] }
        // Opening (erode, dilate) removes specks; one more dilation joins a body's parts
        // (the two dilations as one 5×5), all three in one pass over the mask.
        Morphology.erodeThenDilate5(&mask, scratch: &scratch, width: width, height: height)
        let total = Double(width * height)
        return ConnectedComponents.blobs(
            mask: mask, width: width, height: height,
            minArea: max(1, Int(settings.minBlobArea * total)),
            maxArea: Int(settings.maxBlobArea * total), scratch: &labelling)
    }

    /// The moving regions of `frame`. Empty during warm-up and after a global change.
    public mutating func detect(_ frame: LumaFrame) -> [Blob] {
        if frame.width != width || frame.height != height || background.isEmpty {
            if frame.width != width || frame.height != height { noise = [] }
            width = frame.width
            height = frame.height
            learn(frame)
            return []
        }
        let changed = markChanges(frame, dry: false)
        if Double(changed) > settings.globalChangeShare * Double(frame.pixels.count) {
            // Light switch or exposure jump: re-learn from this frame instead of alerting.
            learn(frame)
            return []
        }
        if learnedFrames < settings.warmupFrames {
            learnedFrames += 1
            return []
        }
        return blobs(changed: changed)
    }
}
