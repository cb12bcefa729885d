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

    public init() {}
}

/// A running-average background model with a fixed change threshold.
///
/// Holds no clock and no I/O: frames in, blobs out.
public struct MotionDetector: Sendable {
    public let settings: MotionSettings
    /// Background level per pixel in 1/256 gray levels (fixed point, so the loop vectorises).
    private var background: [Int32] = []
    private var width = 0
    private var height = 0
    private var learnedFrames = 0
    // Buffers kept between frames so the hot path allocates nothing.
    private var mask: [UInt8] = []
    private var scratch: [UInt8] = []
    private var visited: [UInt8] = []

    public init(settings: MotionSettings = MotionSettings()) {
        self.settings = settings
    }

    /// True once the background has been learnt and blobs are reported.
    public var isReady: Bool { learnedFrames >= settings.warmupFrames }

    /// Forget the background (new resolution, camera reconnected, global change).
    public mutating func reset() {
        background = []
        learnedFrames = 0
    }

    /// Compare `pixels` with the background, mark changed pixels 255 in `mask`, and blend
    /// the frame into the background (slowly where it changed). Returns the changed count.
    /// Fixed point: background in 1/256 levels, learning rates in 1/4096.
    static func subtract(_ pixels: [UInt8], background: inout [Int32], mask: inout [UInt8], settings: MotionSettings) -> Int {
        let threshold = Int32(settings.threshold) << 8
        let rateStill = Int32((settings.learningRate * 4096).rounded())
        let rateMoving = Int32((settings.foregroundLearningRate * 4096).rounded())
        var changed = 0
        let count = pixels.count
        pixels.withUnsafeBufferPointer { p in
            background.withUnsafeMutableBufferPointer { bg in
                mask.withUnsafeMutableBufferPointer { m in
                    let p = p.baseAddress!, bg = bg.baseAddress!, m = m.baseAddress!
                    // Plain integer arithmetic with selects: the auto-vectoriser handles it.
                    var total: Int32 = 0
                    for i in 0..<count {
                        let d = (Int32(p[i]) << 8) &- bg[i]
                        let ad = d < 0 ? 0 &- d : d
                        let isMoving: Int32 = ad > threshold ? 1 : 0
                        let rate = isMoving != 0 ? rateMoving : rateStill
                        bg[i] = bg[i] &+ ((d &* rate) &>> 12)
                        m[i] = UInt8(truncatingIfNeeded: isMoving &* 255)
                        total &+= isMoving
                    }
                    changed = Int(total)
                }
            }
        }
        return changed
    }

    /// The moving regions of `frame`. Empty during warm-up and after a global change.
    public mutating func detect(_ frame: LumaFrame) -> [Blob] {
        if frame.width != width || frame.height != height || background.isEmpty {
            width = frame.width
            height = frame.height
            background = frame.pixels.map { Int32($0) << 8 }
            learnedFrames = 1
            return []
        }
        if mask.count != frame.pixels.count { mask = [UInt8](repeating: 0, count: frame.pixels.count) }
        let changed = Self.subtract(frame.pixels, background: &background, mask: &mask, settings: settings)
        if Double(changed) > settings.globalChangeShare * Double(frame.pixels.count) {
            // Light switch or exposure jump: re-learn from this frame instead of alerting.
            background = frame.pixels.map { Int32($0) << 8 }
            learnedFrames = 1
            return []
        }
        if learnedFrames < settings.warmupFrames {
            learnedFrames += 1
            return []
        }
        if changed == 0 { return [] }
        // Opening (erode, dilate) removes specks; one more dilation joins a body's parts.
        Morphology.erode(&mask, scratch: &scratch, width: width, height: height)
        Morphology.dilate(&mask, scratch: &scratch, width: width, height: height)
        Morphology.dilate(&mask, scratch: &scratch, width: width, height: height)
        let total = Double(width * height)
        return ConnectedComponents.blobs(
            mask: mask, width: width, height: height,
            minArea: max(1, Int(settings.minBlobArea * total)),
            maxArea: Int(settings.maxBlobArea * total), visited: &visited)
    }
}
