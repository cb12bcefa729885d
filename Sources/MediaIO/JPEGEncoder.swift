import CFFmpeg
import PixelKernels
import Synchronization

/// Encodes full-resolution frames as baseline JPEG (`gw_jpeg_encode_420`, our own: libavcodec's
/// mjpeg encoder kept a 1.4 MB context open, and its code, for a picture now and then).
///
/// Cheap to keep: the encoder's working parts (the scaler and its picture, the font) are
/// borrowed from a process-wide pool for each picture and given back after it. Snapshots are rare beside frames, so a hundred cameras need as many
/// working parts as pictures are encoded at the same moment, not a hundred of them
/// (`Docs/performance.md`, "Idle camera and memory per camera").
public final class JPEGEncoder {
    /// 2 (best) to 31 (worst), the scale mjpeg's quantiser had: `scalePercent(quality:)`.
    public let quality: Int
    private let fonts: [String]
    /// Whether `encode(stamp:)` can write text: a font with Chinese could be opened.
    public let canStamp: Bool

    public init(quality: Int = 4, fonts: [String] = TextStamp.defaultFonts) throws(FFmpegError) {
        self.quality = min(31, max(2, quality))
        self.fonts = fonts
        // One set of working parts is made now, so that a missing font or encoder shows at
        // once rather than at the first alert; it goes to the pool for the first picture.
        let engine = try Self.take(quality: self.quality, fonts: fonts, size: nil)
        canStamp = engine.textStamp != nil
        Self.giveBack(engine)
    }

    /// The JPEG bytes of `frame` at its full resolution, with every polygon in `blackout`
    /// (normalized [x, y] points: privacy masks) painted black first, then the `overlays`
    /// (rules, trajectories, boxes) drawn on top.
    public func encode(_ frame: VideoFrame, blackout: [[(x: Double, y: Double)]] = [], overlays: [Overlay] = [], stamp: String? = nil) throws(FFmpegError) -> [UInt8] {
        let source = frame.frame
        let engine = try Self.take(quality: quality, fonts: fonts, size: (source.width, source.height))
        defer { Self.giveBack(engine) }
        return try engine.encode(source, blackout: blackout, overlays: overlays, stamp: stamp)
    }

    // MARK: The pool

    /// Working parts kept for the next picture, at most this many (the rest are freed).
    public static let keptIdle = 4
    private static let idle = Mutex<[Engine]>([])

    /// Working parts at `quality` with `fonts`, preferring ones whose scaler is already set up
    /// for `size`.
    private static func take(quality: Int, fonts: [String], size: (Int32, Int32)?) throws(FFmpegError) -> Engine {
        let found = idle.withLock { engines -> Engine? in
            let fits = engines.indices.filter { engines[$0].quality == quality && engines[$0].fonts == fonts }
            guard let any = fits.last else { return nil }
            let same = size.flatMap { s in fits.last { engines[$0].size == s } }
            return engines.remove(at: same ?? any)
        }
        if let found { return found }
        return try Engine(quality: quality, fonts: fonts)
    }

    private static func giveBack(_ engine: Engine) {
        idle.withLock { engines in
            engines.append(engine)
            if engines.count > keptIdle { engines.removeFirst() }
        }
    }

    /// Working parts waiting in the pool now (at most `keptIdle`).
    public static var idleCount: Int { idle.withLock { $0.count } }

    /// The scaler that makes the full-range YUV picture drawn on, and the font. The JPEG is
    /// written by `gw_jpeg_encode_420`, which keeps nothing between pictures. @unchecked
    /// Sendable: it is used by one thread at a time, the one that took it out of the pool,
    /// and it lies in the pool (behind its lock) in between.
    private final class Engine: @unchecked Sendable {
        let quality: Int
        let fonts: [String]
        private(set) var size: (Int32, Int32) = (0, 0)
        private let scaler: Scaler
        let textStamp: TextStamp?

        init(quality: Int, fonts: [String]) throws(FFmpegError) {
            self.quality = quality
            self.fonts = fonts
            textStamp = TextStamp(fontPaths: fonts)
            scaler = try Scaler()
        }

        func encode(_ source: Frame, blackout: [[(x: Double, y: Double)]], overlays: [Overlay], stamp: String?) throws(FFmpegError) -> [UInt8] {
            size = (source.width, source.height)
            let yuv = try scaler.scale(source, width: source.width, height: source.height, format: AV_PIX_FMT_YUVJ420P, range: AVCOL_RANGE_JPEG)
            for polygon in blackout { JPEGEncoder.fill(yuv, polygon: polygon) }
            for overlay in overlays { JPEGEncoder.draw(yuv, overlay) }
            if let stamp, let text = textStamp { text.draw(stamp, on: yuv) }
            var out: UnsafeMutablePointer<UInt8>?
            var count = 0
            let status = gw_jpeg_encode_420(cff_frame_plane(yuv.pointer, 0), Int(cff_frame_linesize(yuv.pointer, 0)),
                                            cff_frame_plane(yuv.pointer, 1), Int(cff_frame_linesize(yuv.pointer, 1)),
                                            cff_frame_plane(yuv.pointer, 2), Int(cff_frame_linesize(yuv.pointer, 2)),
                                            source.width, source.height, Int32(JPEGEncoder.scalePercent(quality: quality)), &out, &count)
            guard status == 0, let out else {
                throw FFmpegError(message: "cannot encode a \(source.width)x\(source.height) JPEG", function: "gw_jpeg_encode_420")
            }
            defer { gw_jpeg_free(out) }
            return Array(UnsafeBufferPointer(start: out, count: count))
        }
    }

    /// The quantisation tables' scale for a quality on mjpeg's old 2 (best) to 31 (worst)
    /// scale: 7.5 % a step, so the default 4 is 30 % of the JPEG standard's example tables
    /// (libjpeg's quality 85).
    static func scalePercent(quality: Int) -> Int { quality * 15 / 2 }

    /// Paint a polygon black on a YUV 4:2:0 frame: scanline fill of the luma plane, and
    /// neutral chroma under it.
    static func fill(_ frame: Frame, polygon: [(x: Double, y: Double)]) {
        guard polygon.count >= 3 else { return }
        let w = Int(frame.width), h = Int(frame.height)
        let pts = polygon.map { (x: $0.x * Double(w), y: $0.y * Double(h)) }
        let yPlane = cff_frame_plane(frame.pointer, 0)!, yStride = Int(cff_frame_linesize(frame.pointer, 0))
        let uPlane = cff_frame_plane(frame.pointer, 1)!, uStride = Int(cff_frame_linesize(frame.pointer, 1))
        let vPlane = cff_frame_plane(frame.pointer, 2)!, vStride = Int(cff_frame_linesize(frame.pointer, 2))
        for row in 0..<h {
            let cy = Double(row) + 0.5
            var xs: [Double] = []
            var j = pts.count - 1
            for i in 0..<pts.count {
                let a = pts[i], b = pts[j]
                if (a.y > cy) != (b.y > cy) { xs.append(a.x + (cy - a.y) * (b.x - a.x) / (b.y - a.y)) }
                j = i
            }
            xs.sort()
            var k = 0
            while k + 1 < xs.count {
                let from = max(0, Int(xs[k].rounded())), to = min(w, Int(xs[k + 1].rounded()))
                if from < to {
                    (yPlane + row * yStride + from).update(repeating: 0, count: to - from)
                    let cFrom = from / 2, cTo = (to + 1) / 2
                    (uPlane + (row / 2) * uStride + cFrom).update(repeating: 128, count: cTo - cFrom)
                    (vPlane + (row / 2) * vStride + cFrom).update(repeating: 128, count: cTo - cFrom)
                }
                k += 2
            }
        }
    }

    /// Draw a polyline (closed for zones and boxes) with a square brush whose size follows
    /// the picture (2 px at 640 wide), in full-range YUV.
    static func draw(_ frame: Frame, _ overlay: Overlay) {
        let points = overlay.points
        guard points.count >= 2 else {
            if let p = points.first { drawLine(frame, from: p, to: p, overlay.colour) }
            return
        }
        for i in 0..<(points.count - 1) { drawLine(frame, from: points[i], to: points[i + 1], overlay.colour) }
        if overlay.closed { drawLine(frame, from: points[points.count - 1], to: points[0], overlay.colour) }
    }

    private static func drawLine(_ frame: Frame, from a: (x: Double, y: Double), to b: (x: Double, y: Double), _ colour: Overlay.Colour) {
        let w = Int(frame.width), h = Int(frame.height)
        let brush = max(2, w / 320)
        let yPlane = cff_frame_plane(frame.pointer, 0)!, yStride = Int(cff_frame_linesize(frame.pointer, 0))
        let uPlane = cff_frame_plane(frame.pointer, 1)!, uStride = Int(cff_frame_linesize(frame.pointer, 1))
        let vPlane = cff_frame_plane(frame.pointer, 2)!, vStride = Int(cff_frame_linesize(frame.pointer, 2))
        // Points may lie outside the picture (a box at the edge, a predicted position):
        // clamp to a margin around it, and drop what is not a number at all.
        func clamp(_ v: Double, _ size: Int) -> Double? { v.isFinite ? min(max(v, -1), 2) * Double(size) : nil }
        guard let x0 = clamp(a.x, w), let y0 = clamp(a.y, h), let x1 = clamp(b.x, w), let y1 = clamp(b.y, h) else { return }
        let steps = max(1, Int(max(abs(x1 - x0), abs(y1 - y0)).rounded(.up)))
        for s in 0...steps {
            let t = Double(s) / Double(steps)
            let cx = Int((x0 + (x1 - x0) * t).rounded()) - brush / 2
            let cy = Int((y0 + (y1 - y0) * t).rounded()) - brush / 2
            let top = max(0, cy), bottom = min(h, cy + brush)
            guard top < bottom else { continue }
            for y in top..<bottom {
                let from = max(0, cx), to = min(w, cx + brush)
                guard from < to else { continue }
                (yPlane + y * yStride + from).update(repeating: colour.y, count: to - from)
                let cFrom = from / 2, cTo = (to + 1) / 2
                (uPlane + (y / 2) * uStride + cFrom).update(repeating: colour.u, count: cTo - cFrom)
                (vPlane + (y / 2) * vStride + cFrom).update(repeating: colour.v, count: cTo - cFrom)
            }
        }
    }
}

/// Something drawn on an evidence snapshot: a zone, a tripwire, a trajectory or a box.
public struct Overlay: Sendable {
    /// Full-range YUV.
    public struct Colour: Sendable, Equatable {
        public var y: UInt8, u: UInt8, v: UInt8
        public static let yellow = Colour(y: 210, u: 16, v: 146)
        public static let red = Colour(y: 81, u: 90, v: 240)
        public static let green = Colour(y: 145, u: 54, v: 34)
        public static let cyan = Colour(y: 170, u: 166, v: 16)
    }
    /// Normalized [x, y] points.
    public var points: [(x: Double, y: Double)]
    public var closed: Bool
    public var colour: Colour

    public init(points: [(x: Double, y: Double)], closed: Bool, colour: Colour) {
        self.points = points
        self.closed = closed
        self.colour = colour
    }
}
