/// Finds random-access pictures in H.264 and H.265 packets by their NAL unit types.
///
/// FFmpeg's RTSP demuxer flags every H.264 packet as a keyframe, so the flag alone
/// cannot say where a recording may start.
public enum Keyframes {
    public enum Codec: Sendable { case h264, h265, other }

    public static func codec(named name: String) -> Codec {
        switch name {
        case "h264": .h264
        case "hevc": .h265
        default: .other
        }
    }

    /// True when the packet (Annex B: start-code delimited, or 4-byte length prefixed)
    /// holds an IDR picture (H.264) or an IRAP picture (H.265).
    public static func isRandomAccess(_ data: [UInt8], codec: Codec) -> Bool {
        guard codec != .other else { return false }
        for header in nalHeaders(data) {
            switch codec {
            case .h264 where header & 0x1F == 5: return true
            case .h265 where (16...21).contains((header >> 1) & 0x3F): return true
            default: continue
            }
        }
        return false
    }

    /// The first byte of each NAL unit.
    static func nalHeaders(_ data: [UInt8]) -> [UInt8] {
        var headers: [UInt8] = []
        let n = data.count
        if n >= 4 && !(data[0] == 0 && data[1] == 0 && (data[2] == 1 || (data[2] == 0 && data[3] == 1))) {
            // Length-prefixed (avcC / hvcC).
            var i = 0
            while i + 4 < n {
                let length = Int(data[i]) << 24 | Int(data[i + 1]) << 16 | Int(data[i + 2]) << 8 | Int(data[i + 3])
                headers.append(data[i + 4])
                guard length > 0 else { break }
                i += 4 + length
            }
            return headers
        }
        var i = 0
        while i + 3 < n {
            if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
                headers.append(data[i + 3])
                i += 3
            } else {
                i += 1
            }
        }
        return headers
    }
}
