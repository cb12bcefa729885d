import CFFmpeg

/// One compressed packet of the record stream, copied out of FFmpeg.
public struct RecordedPacket: Sendable, Equatable {
    public var data: [UInt8]
    /// Presentation and decoding time in seconds (stream clock); nil when the stream gave none.
    public var pts: Double?
    public var dts: Double?
    public var duration: Double
    public var isKeyframe: Bool

    public init(data: [UInt8], pts: Double?, dts: Double?, duration: Double, isKeyframe: Bool) {
        self.data = data
        self.pts = pts
        self.dts = dts
        self.duration = duration
        self.isKeyframe = isKeyframe
    }

    /// Presentation time, or decoding time when the stream gave no presentation time.
    public var time: Double? { pts ?? dts }

    /// A copy of FFmpeg's `packet`, its times in seconds (plus `offset`, for a looping file).
    init(copying packet: Packet, timeBase: AVRational, codec: Keyframes.Codec, offset: Double = 0) {
        let p = packet.pointer.pointee
        let scale = Double(timeBase.num) / Double(timeBase.den)
        let nopts = cff_nopts_value()
        let data = p.size > 0 ? Array(UnsafeBufferPointer(start: p.data, count: Int(p.size))) : []
        // H.264/H.265: the NAL types decide (the RTSP demuxer flags every packet as key).
        let isKey = codec == .other ? p.flags & AV_PKT_FLAG_KEY != 0 : Keyframes.isRandomAccess(data, codec: codec)
        self.init(
            data: data,
            pts: p.pts == nopts ? nil : Double(p.pts) * scale + offset,
            dts: p.dts == nopts ? nil : Double(p.dts) * scale + offset,
            duration: Double(p.duration) * scale,
            isKeyframe: isKey)
    }
}

/// The last seconds of a stream, kept compressed, always starting at a keyframe, so that a
/// clip can be cut from it later without decoding. Bounded by time and bytes: whole groups
/// of pictures are dropped from the front, but while only the time bound is exceeded, never
/// so many that the first keyframe is less than `keepSeconds` before the newest packet (a
/// clip's pre-roll). The byte bound always holds.
public struct RecordBuffer: Sendable {
    public let maxSeconds: Double
    public let maxBytes: Int
    public let keepSeconds: Double
    public private(set) var packets: [RecordedPacket] = []
    public private(set) var bytes = 0
    /// Packets dropped because no keyframe had been seen yet, or to stay within bounds.
    public private(set) var dropped = 0

    public init(maxSeconds: Double, maxBytes: Int, keepSeconds: Double = 0) {
        self.maxSeconds = maxSeconds
        self.maxBytes = maxBytes
        self.keepSeconds = keepSeconds
    }

    /// Stream time of the newest packet that has one.
    public var newestTime: Double? { packets.last(where: { $0.time != nil })?.time }

    /// Seconds covered, from the first packet to the last.
    public var seconds: Double {
        // The first packets of an RTSP session may carry no timestamp yet.
        guard let first = packets.lazy.compactMap(\.time).first, let last = packets.last?.time else { return 0 }
        return max(0, last - first)
    }

    public mutating func append(_ packet: RecordedPacket) {
        // Time going back by more than a second: a new stream whose packets cannot follow
        // the ones kept (the buffer keeps one continuous stretch).
        if let t = packet.time, let newest = newestTime, t < newest - 1 { removeAll() }
        if packets.isEmpty && !packet.isKeyframe {
            dropped += 1
            return
        }
        packets.append(packet)
        bytes += packet.data.count
        trim()
    }

    public mutating func removeAll() {
        packets.removeAll()
        bytes = 0
    }

    /// Drop the oldest group of pictures while over a bound, as long as another keyframe
    /// remains to start from (and, for the time bound, reaches back `keepSeconds`).
    private mutating func trim() {
        while seconds > maxSeconds || bytes > maxBytes {
            guard let nextKey = packets.dropFirst().firstIndex(where: \.isKeyframe) else {
                // One group only: above the byte bound it cannot be kept whole.
                if bytes > maxBytes {
                    dropped += packets.count
                    removeAll()
                }
                return
            }
            if bytes <= maxBytes, let from = packets[nextKey...].lazy.compactMap(\.time).first, let newest = newestTime,
               newest - from < keepSeconds {
                return
            }
            for p in packets[..<nextKey] { bytes -= p.data.count }
            dropped += nextKey
            packets.removeFirst(nextKey)
        }
    }
}
