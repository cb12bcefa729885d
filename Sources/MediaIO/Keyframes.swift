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
    /// holds an IDR picture (H.264) or an IRAP picture (H.265). The first picture slice
    /// decides: the scan stops there, so a large picture costs no more than a small one
    /// (every packet of a stream is looked at for the evidence ring).
    public static func isRandomAccess(_ data: [UInt8], codec: Codec) -> Bool {
        guard codec != .other else { return false }
        var answer = false
        forEachNALHeader(data) { header in
            switch codec {
            case .h264:
                let type = header & 0x1F
                // 1...5: slices (VCL); 5 is an IDR picture's.
                guard (1...5).contains(type) else { return true }
                answer = type == 5
                return false
            case .h265:
                let type = (header >> 1) & 0x3F
                // 0...31: slices (VCL); 16...21 are random-access pictures'.
                guard type <= 31 else { return true }
                answer = (16...21).contains(type)
                return false
            case .other:
                return false
            }
        }
        return answer
    }

    /// Calls `body` with the first byte of each NAL unit in order while it returns true.
    static func forEachNALHeader(_ data: [UInt8], _ body: (UInt8) -> Bool) {
        data.withUnsafeBufferPointer { d in
            let n = d.count
            if n >= 4 && !(d[0] == 0 && d[1] == 0 && (d[2] == 1 || (d[2] == 0 && d[3] == 1))) {
                // Length-prefixed (avcC / hvcC).
                var i = 0
                while i + 4 < n {
                    let length = Int(d[i]) << 24 | Int(d[i + 1]) << 16 | Int(d[i + 2]) << 8 | Int(d[i + 3])
                    guard body(d[i + 4]), length > 0 else { return }
                    i += 4 + length
                }
                return
            }
            var i = 0
            while i + 3 < n {
                if d[i + 2] > 1 {
                    // No start code can end at i + 2: skip ahead three.
                    i += 3
                } else if d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1 {
                    guard body(d[i + 3]) else { return }
                    i += 3
                } else {
                    i += 1
                }
            }
        }
    }
}
