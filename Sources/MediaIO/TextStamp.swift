import CFFmpeg
import CFreeType
import Foundation
import Synchronization

/// Writes a line of text (a camera's name, a local date and time) into the top-left corner of
/// a YUV 4:2:0 picture: white glyphs on a dark band, so a forwarded snapshot says where and
/// when it was taken on its own. Glyphs come from a TrueType/OpenType font with Chinese
/// (WenQuanYi Micro Hei from Debian's `fonts-wqy-microhei` by default), rendered with
/// FreeType at a size that follows the picture's height. One per encoder (FreeType faces are
/// not shared between threads).
public final class TextStamp {
    /// Where the default font lives on Debian; other fonts may be named in the configuration.
    public static let defaultFonts = ["/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"]
    private var library: FT_Library?
    private var face: FT_Face?
    private var pixelSize: UInt32 = 0
    public let fontPath: String

    /// nil when no font can be opened (the stamp is then left out, and the caller says so once).
    public init?(fontPaths: [String] = TextStamp.defaultFonts) {
        var lib: FT_Library?
        guard FT_Init_FreeType(&lib) == 0, let lib else { return nil }
        for path in fontPaths where FileManager.default.fileExists(atPath: path) {
            var f: FT_Face?
            if FT_New_Face(lib, path, 0, &f) == 0, let f {
                library = lib
                face = f
                fontPath = path
                return
            }
        }
        FT_Done_FreeType(lib)
        return nil
    }

    deinit {
        if let face { FT_Done_Face(face) }
        if let library { FT_Done_FreeType(library) }
    }

    /// Draw `text` on `frame` (YUV 4:2:0, full range), glyphs about 1/28 of its height.
    func draw(_ text: String, on frame: Frame) {
        guard let face else { return }
        let width = Int(frame.width), height = Int(frame.height)
        guard width >= 16, height >= 16 else { return }
        let size = UInt32(max(12, min(64, height / 28)))
        if size != pixelSize {
            FT_Set_Pixel_Sizes(face, 0, size)
            pixelSize = size
        }
        let margin = Int(size) / 2
        let ascent = Int(face.pointee.size.pointee.metrics.ascender >> 6)
        let lineHeight = Int(face.pointee.size.pointee.metrics.height >> 6)
        let y0 = margin
        guard let luma = cff_frame_plane(frame.pointer, 0), let cb = cff_frame_plane(frame.pointer, 1), let cr = cff_frame_plane(frame.pointer, 2) else { return }
        let stride = Int(cff_frame_linesize(frame.pointer, 0)), cstride = Int(cff_frame_linesize(frame.pointer, 1))
        // First the band's width: the advance of every glyph.
        var advance = 0
        for scalar in text.unicodeScalars where FT_Load_Char(face, FT_ULong(scalar.value), FT_Int32(FT_LOAD_DEFAULT)) == 0 {
            advance += Int(face.pointee.glyph.pointee.advance.x >> 6)
        }
        let bandX1 = min(width, margin + advance + margin), bandY1 = min(height, y0 + lineHeight + margin / 2)
        // A dark band, colour neutral, so white text reads on any picture.
        guard bandY1 > max(0, y0 - margin / 2), bandX1 > 0 else { return }
        for y in max(0, y0 - margin / 2)..<bandY1 {
            for x in 0..<bandX1 { luma[y * stride + x] = UInt8(Int(luma[y * stride + x]) / 4) }
        }
        for cy in max(0, (y0 - margin / 2) / 2)..<max(max(0, (y0 - margin / 2) / 2), min(height / 2, (bandY1 + 1) / 2)) {
            for cx in 0..<min(width / 2, (bandX1 + 1) / 2) {
                cb[cy * cstride + cx] = 128
                cr[cy * cstride + cx] = 128
            }
        }
        var penX = margin
        for scalar in text.unicodeScalars {
            guard FT_Load_Char(face, FT_ULong(scalar.value), FT_Int32(FT_LOAD_RENDER)) == 0 else { continue }
            let glyph = face.pointee.glyph.pointee
            let bitmap = glyph.bitmap
            let left = penX + Int(glyph.bitmap_left), top = y0 + ascent - Int(glyph.bitmap_top)
            if let buffer = bitmap.buffer, bitmap.pitch > 0 {
                for row in 0..<Int(bitmap.rows) {
                    let y = top + row
                    guard y >= 0 && y < height else { continue }
                    for col in 0..<Int(bitmap.width) {
                        let x = left + col
                        guard x >= 0 && x < width else { continue }
                        let alpha = Int(buffer[row * Int(bitmap.pitch) + col])
                        guard alpha > 0 else { continue }
                        let under = Int(luma[y * stride + x])
                        luma[y * stride + x] = UInt8((under * (255 - alpha) + 255 * alpha) / 255)
                    }
                }
            }
            penX += Int(glyph.advance.x >> 6)
            if penX >= width { break }
        }
    }
}
