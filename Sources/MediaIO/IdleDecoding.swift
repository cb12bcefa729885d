/// How a reader decodes its stream.
public enum DecodeMode: String, Sendable, CaseIterable {
    /// Every packet is decoded.
    case full
    /// The scene is still: only keyframes are decoded; the packets between them are kept
    /// (since the last keyframe) and their sizes watched.
    case keyframes
}

/// Why a reader in keyframe mode went back to decoding every frame.
public enum WakeReason: String, Sendable, CaseIterable {
    /// The packets left what the still scene makes: an inter-frame packet grew past it
    /// (something moves), a keyframe's size changed (the whole picture did: a cover, a blur,
    /// an infrared switch), or the inter-frame packets fell far below it (the sensor noise
    /// stopped: a frozen or covered picture).
    case size
    /// The analysis saw something (in a keyframe) or was asked to look closely.
    case analysis
}

/// The sizes of the inter-frame packets a still scene makes, learnt while the analysis
/// says nothing moves, and the verdicts decode-on-demand takes from them. Pure: sizes in,
/// verdicts out (`Docs/design/decode-on-demand.md`).
///
/// An encoder spends its bits on change. A still picture's P-frames carry only the sensor
/// noise the encoder did not smooth away, and they come in a narrow band of sizes; a
/// person walking through adds the macroblocks they cover, and the packet grows. The
/// threshold sits above the largest still packets seen (a high percentile, so one
/// mislabelled packet does not lift it) by a margin of a quarter and a fixed 256 bytes.
/// Where the still packets are not small beside a keyframe (noise at night, rain, an
/// encoder that pads its frames: constant bit rate), their size says nothing about
/// motion and the camera stays in full decoding.
///
/// Two more verdicts catch what changes the whole picture without growing the inter-frame
/// packets. A still scene's keyframes come in a narrow band of sizes (the same picture
/// coded again); a keyframe outside the band of the last still ones by more than a tenth
/// means the picture changed (covered, blurred, switched to infrared). And inter-frame
/// packets far below the still ones, several in a row, mean the noise the encoder was
/// coding has stopped (a frozen or covered picture).
public struct StillSceneSizes: Sendable, Equatable {
    public struct Settings: Sendable, Equatable {
        /// Still inter-frame packets remembered (the newest).
        public var window = 120
        /// Still packets seen before a verdict is given.
        public var minimumSamples = 30
        /// The percentile of the remembered sizes that stands for "the largest still packet".
        public var percentile = 0.98
        /// Multiplier on that size, and bytes added, for the wake threshold.
        public var factor = 1.25
        public var margin = 256
        /// The still packets must be at most this share of a keyframe's size: larger, and
        /// the encoder is coding noise (or padding), not change.
        public var maximumShareOfKeyframe = 0.125
        /// Still keyframes remembered (the newest), and seen before their band is trusted.
        public var keyframeWindow = 8
        public var minimumKeyframes = 3
        /// A keyframe smaller than the smallest still one, or larger than the largest, by
        /// more than this share shows a changed picture.
        public var keyframeTolerance = 0.1
        /// Inter-frame packets below this share of the still sizes' low percentile, this
        /// many in a row, show the noise stopped; never below `minimumQuiet` bytes (a
        /// clean still picture's packets are that small already and can fall no further).
        public var quietPercentile = 0.1
        public var quietShare = 0.25
        public var quietRun = 5
        public var minimumQuiet = 64
        public init() {}
    }

    public let settings: Settings
    private var sizes: [Int] = []
    private var next = 0
    /// The last keyframe's size.
    public private(set) var keyframeSize = 0
    /// The wake threshold, recomputed as sizes arrive; nil until enough are seen.
    public private(set) var threshold: Int?
    /// The high-percentile still size the threshold comes from.
    public private(set) var stillSize: Int?
    /// Below this an inter-frame packet is quieter than the still scene; nil when the still
    /// packets are too small to tell (or not enough are seen).
    public private(set) var quietBelow: Int?
    private var keyframes: [Int] = []

    public init(settings: Settings = Settings()) { self.settings = settings }

    /// An inter-frame packet of a scene the analysis calls still.
    public mutating func learn(_ size: Int) {
        if sizes.count < settings.window {
            sizes.append(size)
        } else {
            sizes[next] = size
            next = (next + 1) % settings.window
        }
        update()
    }

    /// A keyframe went by (any mode).
    public mutating func keyframe(_ size: Int) { keyframeSize = size }

    /// A keyframe of a scene the analysis calls still.
    public mutating func learnKeyframe(_ size: Int) {
        keyframes.append(size)
        if keyframes.count > settings.keyframeWindow { keyframes.removeFirst(keyframes.count - settings.keyframeWindow) }
    }

    /// Forget the still keyframes' band (the picture changed: its keyframes are learnt again).
    public mutating func forgetKeyframes() { keyframes.removeAll(keepingCapacity: true) }

    /// Whether a keyframe of `size` bytes shows a changed picture: outside the band of the
    /// still keyframes by more than `keyframeTolerance`. False until enough are seen.
    public func keyframeChanged(_ size: Int) -> Bool {
        guard keyframes.count >= settings.minimumKeyframes, let low = keyframes.min(), let high = keyframes.max() else { return false }
        return Double(size) < Double(low) * (1 - settings.keyframeTolerance)
            || Double(size) > Double(high) * (1 + settings.keyframeTolerance)
    }

    /// Whether an inter-frame packet of `size` bytes is far quieter than the still scene's.
    public func quiet(_ size: Int) -> Bool {
        guard let quietBelow else { return false }
        return size < quietBelow
    }

    /// Whether sizes tell still from moving in this scene: enough still packets seen, and
    /// they are small beside a keyframe.
    public var usable: Bool {
        guard let stillSize, sizes.count >= settings.minimumSamples, keyframeSize > 0 else { return false }
        return Double(stillSize) <= Double(keyframeSize) * settings.maximumShareOfKeyframe
    }

    /// Whether an inter-frame packet of `size` bytes says something moves.
    public func moves(_ size: Int) -> Bool {
        guard let threshold else { return true }
        return size > threshold
    }

    /// Forget everything (a new connection: another encoder, maybe other settings).
    public mutating func reset() {
        sizes.removeAll(keepingCapacity: true)
        next = 0
        keyframeSize = 0
        threshold = nil
        stillSize = nil
        quietBelow = nil
        keyframes.removeAll(keepingCapacity: true)
    }

    private mutating func update() {
        guard sizes.count >= settings.minimumSamples else {
            threshold = nil
            stillSize = nil
            quietBelow = nil
            return
        }
        let sorted = sizes.sorted()
        func at(_ percentile: Double) -> Int {
            sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * percentile).rounded()))]
        }
        let still = at(settings.percentile)
        stillSize = still
        threshold = Int(Double(still) * settings.factor) + settings.margin
        let quiet = Int(Double(at(settings.quietPercentile)) * settings.quietShare)
        quietBelow = quiet >= settings.minimumQuiet ? quiet : nil
    }
}

/// Counters of decode-on-demand, read by the owner between frames.
public struct IdleDecodeStats: Sendable, Equatable {
    /// Frames the decoder produced.
    public var framesDecoded = 0
    /// Inter-frame packets never decoded (the scene stayed still past them; counted at the
    /// keyframe that lets them go).
    public var packetsSkipped = 0
    /// Times keyframe mode was entered.
    public var entered = 0
    /// Times it ended, by reason.
    public var wokenBySize = 0
    public var wokenByAnalysis = 0
    /// Packets decoded late, to catch up after a wake.
    public var caughtUp = 0
    /// Times a decoded keyframe showed the owner something new and the packets skipped
    /// since the keyframe decoded before it were decoded after all (`VideoReader.rewind()`).
    public var rewinds = 0
    /// Seconds of stream spent in keyframe mode.
    public var keyframeSeconds = 0.0
    /// Times keyframe mode waited before reading on (`VideoReader.Options.keyframeReadPause`).
    public var readPauses = 0
}
