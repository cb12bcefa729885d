import CFFmpeg
import PixelKernels

/// Owns a `SwsContext` converting decoded frames to one output size and format.
/// Rebuilt automatically when the source size or format changes (a camera reconfigured).
final class Scaler {
    private var context: OpaquePointer?
    private let output: Frame
    private var key: (Int32, Int32, Int32, Int32, Int32, Int32) = (0, 0, -1, 0, 0, -1)

    init() throws(FFmpegError) {
        output = try Frame()
    }

    /// Convert `source` to `width`×`height` in `format`; the result lives until the next call.
    func scale(_ source: Frame, width: Int32, height: Int32, format: AVPixelFormat, range: AVColorRange = AVCOL_RANGE_UNSPECIFIED) throws(FFmpegError) -> Frame {
        let newKey = (source.width, source.height, source.format.rawValue, width, height, format.rawValue)
        if newKey != key {
            context = sws_getCachedContext(
                context, source.width, source.height, source.format,
                width, height, format, SWS_AREA, nil, nil, nil)
            guard context != nil else {
                throw FFmpegError(message: "cannot convert \(source.width)x\(source.height) to \(width)x\(height)", function: "sws_getCachedContext")
            }
            output.unref()
            output.pointer.pointee.width = width
            output.pointer.pointee.height = height
            output.pointer.pointee.format = format.rawValue
            output.pointer.pointee.color_range = range
            try ffrequire(av_frame_get_buffer(output.pointer, 0), "av_frame_get_buffer")
            key = newKey
        }
        try ffrequire(av_frame_make_writable(output.pointer), "av_frame_make_writable")
        try ffrequire(sws_scale_frame(context, output.pointer, source.pointer), "sws_scale_frame")
        return output
    }

    deinit {
        sws_freeContext(context)
    }
}

/// Scales decoded frames to the analysis size: gray, a fixed width, height by aspect ratio (even).
///
/// For the common 8-bit YUV formats the luma plane already is the gray picture: it is
/// averaged down directly (2×2 samples per output pixel, spread over the pixel's
/// footprint), which costs a fraction of a general conversion. Luma keeps the
/// stream's own range (16–235 for most cameras). Other formats go through swscale.
public final class GrayScaler {
    private let scaler: Scaler
    public let targetWidth: Int
    private var plan: (key: [Int], xs: [Int32], ys: [Int32])?
    private var chromaPlan: (key: [Int], xs: [Int32], ys: [Int32])?

    public init(width: Int = 320) throws(FFmpegError) {
        scaler = try Scaler()
        targetWidth = width
    }

    public static func outputSize(sourceWidth: Int, sourceHeight: Int, width: Int) -> (width: Int, height: Int) {
        guard sourceWidth > 0, sourceHeight > 0 else { return (width, width * 9 / 16) }
        let w = min(width, sourceWidth)
        var h = Int((Double(sourceHeight) * Double(w) / Double(sourceWidth)).rounded())
        h = max(2, h & ~1)
        return (w, h)
    }

    static let lumaFormats: Set<Int32> = [
        AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUVJ422P,
        AV_PIX_FMT_YUV444P, AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_NV12, AV_PIX_FMT_NV21, AV_PIX_FMT_GRAY8,
    ].reduce(into: []) { $0.insert($1.rawValue) }

    public func gray(_ frame: VideoFrame) throws(FFmpegError) -> GrayImage {
        let size = Self.outputSize(sourceWidth: frame.width, sourceHeight: frame.height, width: targetWidth)
        if Self.lumaFormats.contains(frame.frame.pointer.pointee.format) {
            var image = lumaBox(frame.frame, width: size.width, height: size.height)
            chroma(frame.frame, into: &image)
            return image
        }
        // Anything else (RGB, 10-bit, palettes) through swscale: to YUV 4:2:0 when the
        // source has colour (its luma is the gray picture, its chroma the colour at half
        // size), to gray when it has none.
        let colour = av_pix_fmt_desc_get(frame.frame.format).map { $0.pointee.nb_components >= 3 } ?? false
        let out = try scaler.scale(frame.frame, width: Int32(size.width), height: Int32(size.height),
                                   format: colour ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_GRAY8)
        var image = Self.copyPlane(out.pointer, width: size.width, height: size.height)
        if colour {
            image.u = Self.copyPlane(out.pointer, plane: 1, width: size.width / 2, height: size.height / 2)
            image.v = Self.copyPlane(out.pointer, plane: 2, width: size.width / 2, height: size.height / 2)
        }
        return image
    }

    private static func copyPlane(_ f: UnsafeMutablePointer<AVFrame>, plane: Int32, width: Int, height: Int) -> [UInt8] {
        let stride = Int(cff_frame_linesize(f, plane))
        let base = cff_frame_plane(f, plane)!
        var pixels = [UInt8](repeating: 128, count: width * height)
        pixels.withUnsafeMutableBufferPointer { dst in
            for y in 0..<height {
                (dst.baseAddress! + y * width).update(from: base + y * stride, count: width)
            }
        }
        return pixels
    }

    private static func copyPlane(_ f: UnsafeMutablePointer<AVFrame>, width: Int, height: Int) -> GrayImage {
        let stride = Int(cff_frame_linesize(f, 0))
        let base = cff_frame_plane(f, 0)!
        var pixels = [UInt8](repeating: 0, count: width * height)
        pixels.withUnsafeMutableBufferPointer { dst in
            for y in 0..<height {
                (dst.baseAddress! + y * width).update(from: base + y * stride, count: width)
            }
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    /// Cb and Cr at half the analysis size, one sample of the source's chroma planes at the
    /// centre of each output pixel's footprint (colour changes slowly; a quarter of the
    /// luma's pixels, a few microseconds a frame).
    private func chroma(_ frame: Frame, into image: inout GrayImage) {
        let f = frame.pointer
        guard let desc = av_pix_fmt_desc_get(AVPixelFormat(rawValue: f.pointee.format)),
              desc.pointee.nb_components >= 3 else { return }
        let sw = Int(frame.width), sh = Int(frame.height)
        let cw = image.width / 2, ch = image.height / 2
        guard cw > 0, ch > 0 else { return }
        let shiftX = Int(desc.pointee.log2_chroma_w), shiftY = Int(desc.pointee.log2_chroma_h)
        let interleaved = f.pointee.format == AV_PIX_FMT_NV12.rawValue || f.pointee.format == AV_PIX_FMT_NV21.rawValue
        let swapped = f.pointee.format == AV_PIX_FMT_NV21.rawValue
        let srcW = (sw + (1 << shiftX) - 1) >> shiftX, srcH = (sh + (1 << shiftY) - 1) >> shiftY
        if chromaPlan?.key != [sw, sh, cw, ch] {
            chromaPlan = ([sw, sh, cw, ch], (0..<cw).map { Int32(min(srcW - 1, Int((Double($0) + 0.5) * Double(srcW) / Double(cw)))) },
                          (0..<ch).map { Int32(min(srcH - 1, Int((Double($0) + 0.5) * Double(srcH) / Double(ch)))) })
        }
        let xs = chromaPlan!.xs, ys = chromaPlan!.ys
        let pu = cff_frame_plane(f, 1)!, su = Int(cff_frame_linesize(f, 1))
        let pv = interleaved ? pu : cff_frame_plane(f, 2)!, sv = interleaved ? su : Int(cff_frame_linesize(f, 2))
        if !interleaved && srcW == 2 * cw && srcH == 2 * ch {
            // Exactly half (640×360 4:2:0 → 160×90): the samples picked are (2x+1, 2y+1).
            image.u = Self.uninitialised(cw * ch) { gw_pick_odd(pu, su, $0, cw, ch) }
            image.v = Self.uninitialised(cw * ch) { gw_pick_odd(pv, sv, $0, cw, ch) }
            return
        }
        var u = [UInt8](repeating: 128, count: cw * ch), v = u
        u.withUnsafeMutableBufferPointer { u in
        v.withUnsafeMutableBufferPointer { v in
        xs.withUnsafeBufferPointer { xs in
            for y in 0..<ch {
                let ru = pu + Int(ys[y]) * su, rv = pv + Int(ys[y]) * sv
                let out = y * cw
                if interleaved {
                    let (a, b) = swapped ? (1, 0) : (0, 1)
                    for x in 0..<cw {
                        u[out + x] = ru[2 * Int(xs[x]) + a]
                        v[out + x] = ru[2 * Int(xs[x]) + b]
                    }
                } else {
                    for x in 0..<cw {
                        u[out + x] = ru[Int(xs[x])]
                        v[out + x] = rv[Int(xs[x])]
                    }
                }
            }
        }}}
        image.u = u
        image.v = v
    }

    /// An array of `count` bytes that `fill` writes in full (no zeroing first).
    private static func uninitialised(_ count: Int, _ fill: (UnsafeMutablePointer<UInt8>) -> Void) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialised in
            fill(buffer.baseAddress!)
            initialised = count
        }
    }

    /// Average of 2×2 luma samples at the quarter points of each output pixel's footprint.
    private func lumaBox(_ frame: Frame, width: Int, height: Int) -> GrayImage {
        let sw = Int(frame.width), sh = Int(frame.height)
        let key = [sw, sh, width, height]
        if plan?.key != key {
            // Two sample columns (rows) per output pixel, at 1/4 and 3/4 of its footprint.
            func samples(_ n: Int, _ src: Int) -> [Int32] {
                (0..<(2 * n)).map { i in
                    let pos = (Double(i / 2) + (i % 2 == 0 ? 0.25 : 0.75)) * Double(src) / Double(n)
                    return Int32(min(src - 1, Int(pos)))
                }
            }
            plan = (key, samples(width, sw), samples(height, sh))
        }
        let xs = plan!.xs, ys = plan!.ys
        let stride = Int(cff_frame_linesize(frame.pointer, 0))
        let base = cff_frame_plane(frame.pointer, 0)!
        if sw == 2 * width && sh == 2 * height {
            // Exactly half size (640×360 → 320×180): a 2×2 box, sixteen output pixels a step.
            return GrayImage(width: width, height: height, pixels: Self.uninitialised(width * height) {
                gw_half_plane(base, stride, $0, width, height)
            })
        }
        let pixels = Self.uninitialised(width * height) { dst in
            xs.withUnsafeBufferPointer { xs in
                for y in 0..<height {
                    let r0 = base + Int(ys[2 * y]) * stride
                    let r1 = base + Int(ys[2 * y + 1]) * stride
                    let out = dst + y * width
                    for x in 0..<width {
                        let a = Int(xs[2 * x]), b = Int(xs[2 * x + 1])
                        let sum = UInt16(r0[a]) &+ UInt16(r0[b]) &+ UInt16(r1[a]) &+ UInt16(r1[b])
                        out[x] = UInt8(truncatingIfNeeded: (sum &+ 2) >> 2)
                    }
                }
            }
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }
}
