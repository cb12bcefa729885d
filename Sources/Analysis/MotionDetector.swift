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
    private var background: [Float] = []
    private var width = 0
    private var height = 0
    private var learnedFrames = 0

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

    /// The moving regions of `frame`. Empty during warm-up and after a global change.
    public mutating func detect(_ frame: LumaFrame) -> [Blob] {
        if frame.width != width || frame.height != height || background.isEmpty {
            width = frame.width
            height = frame.height
            background = frame.pixels.map(Float.init)
            learnedFrames = 1
            return []
        }
        let threshold = Float(settings.threshold)
        let alpha = Float(settings.learningRate)
        let alphaForeground = Float(settings.foregroundLearningRate)
        var mask = [UInt8](repeating: 0, count: frame.pixels.count)
        var changed = 0
        frame.pixels.withUnsafeBufferPointer { p in
            background.withUnsafeMutableBufferPointer { bg in
                mask.withUnsafeMutableBufferPointer { m in
                    for i in 0..<p.count {
                        let v = Float(p[i])
                        let d = v - bg[i]
                        if abs(d) > threshold {
                            m[i] = 255
                            changed += 1
                            bg[i] += alphaForeground * d
                        } else {
                            bg[i] += alpha * d
                        }
                    }
                }
            }
        }
        if Double(changed) > settings.globalChangeShare * Double(frame.pixels.count) {
            // Light switch or exposure jump: re-learn from this frame instead of alerting.
            background = frame.pixels.map(Float.init)
            learnedFrames = 1
            return []
        }
        if learnedFrames < settings.warmupFrames {
            learnedFrames += 1
            return []
        }
        let cleaned = Morphology.dilate(Morphology.open(mask, width: width, height: height), width: width, height: height)
        let total = Double(width * height)
        return ConnectedComponents.blobs(
            mask: cleaned, width: width, height: height,
            minArea: max(1, Int(settings.minBlobArea * total)),
            maxArea: Int(settings.maxBlobArea * total))
    }
}
