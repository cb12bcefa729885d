/// An 8-bit gray frame at analysis resolution (typically 320 pixels wide), rows packed,
/// with its colour (Cb, Cr) at half that size when the camera sends colour.
public struct LumaFrame: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]
    /// Cb and Cr at (width / 2)×(height / 2); empty when there is no colour (a gray or
    /// infrared picture, or a synthetic frame).
    public private(set) var u: [UInt8] = []
    public private(set) var v: [UInt8] = []

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height, "pixel count does not match size")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A frame with colour; planes of the wrong size are dropped (the frame stays gray).
    public init(width: Int, height: Int, pixels: [UInt8], u: [UInt8], v: [UInt8]) {
        self.init(width: width, height: height, pixels: pixels)
        if u.count == (width / 2) * (height / 2), v.count == u.count, !u.isEmpty {
            self.u = u
            self.v = v
        }
    }

    public var hasColour: Bool { !u.isEmpty }

    /// A frame of one gray level.
    public init(width: Int, height: Int, fill: UInt8) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: fill, count: width * height))
    }

    public subscript(x: Int, y: Int) -> UInt8 {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }
}
