import Analysis
import Foundation
import MediaIO

/// Times the analysis alone on a real clip: every frame is decoded and scaled first,
/// kept in memory, then analysed once per pass on one thread. For `make bench`.
public enum AnalysisBenchmark {
    public struct Result: Sendable {
        public var frames: Int
        public var width: Int
        public var height: Int
        public var medianMillis: Double
        public var meanMillis: Double
        public var p90Millis: Double
        public var scaleMedianMillis: Double
        /// The camera-integrity checks alone, averaged over every analysed frame (their
        /// statistics run once a second; the frozen compare on every frame).
        public var integrityMeanMillis: Double
        /// The smoke and fire checks alone on the whole picture, averaged over every
        /// analysed frame (fire on every frame, smoke once a second).
        public var fireSmokeMeanMillis: Double
    }

    /// `gap`: seconds slept before each frame (not timed). A camera's analysis thread waits
    /// 100 ms between frames at 10 fps, and on a shared machine its data and code are out
    /// of the caches by then: with the gap the figure is what the daemon pays per frame.
    public static func run(input: String, width: Int = 320, passes: Int = 3, zones: [ZoneRule] = [], tripwires: [TripwireRule] = [],
                           gap: Double = 0) throws -> Result {
        let reader = try VideoReader(url: input, options: .init(), interrupt: InterruptState())
        let scaler = try GrayScaler(width: width)
        var frames: [LumaFrame] = []
        var scaleTimes: [Double] = []
        while let frame = try reader.nextFrame() {
            let t0 = MonotonicClock.nanos()
            let gray = try scaler.gray(frame)
            scaleTimes.append(Double(MonotonicClock.nanos() - t0) / 1e6)
            frames.append(LumaFrame(width: gray.width, height: gray.height, pixels: gray.pixels, u: gray.u, v: gray.v))
        }
        guard let first = frames.first else { throw FFmpegError(message: "no frames in \(input)", function: "analysis-bench") }
        var times: [Double] = []
        for _ in 0..<passes {
            var analyzer = CameraAnalyzer(zones: zones, tripwires: tripwires)
            for (i, frame) in frames.enumerated() {
                if gap > 0 { Thread.sleep(forTimeInterval: gap) }
                let t0 = MonotonicClock.nanos()
                _ = analyzer.process(frame, time: Double(i) / 10)
                times.append(Double(MonotonicClock.nanos() - t0) / 1e6)
            }
        }
        var integrityTotal = 0.0
        for _ in 0..<passes {
            var monitor = IntegrityMonitor()
            let t0 = MonotonicClock.nanos()
            for (i, frame) in frames.enumerated() { _ = monitor.observe(frame, time: Double(i) / 10) }
            integrityTotal += Double(MonotonicClock.nanos() - t0) / 1e6
        }
        var fireSmokeTotal = 0.0
        for _ in 0..<passes {
            var detector = FireSmokeDetector(areas: [FireSmokeArea(id: nil, polygon: nil)])
            let t0 = MonotonicClock.nanos()
            for (i, frame) in frames.enumerated() { _ = detector.observe(frame, time: Double(i) / 10) }
            fireSmokeTotal += Double(MonotonicClock.nanos() - t0) / 1e6
        }
        times.sort()
        scaleTimes.sort()
        return Result(
            frames: frames.count, width: first.width, height: first.height,
            medianMillis: times[times.count / 2], meanMillis: times.reduce(0, +) / Double(times.count),
            p90Millis: times[times.count * 9 / 10], scaleMedianMillis: scaleTimes[scaleTimes.count / 2],
            integrityMeanMillis: integrityTotal / Double(passes * frames.count),
            fireSmokeMeanMillis: fireSmokeTotal / Double(passes * frames.count))
    }
}
