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

    var time: Double? { pts ?? dts }
}

/// The last seconds of a record stream, kept compressed, always starting at a keyframe,
/// so that a clip can be cut from it later without decoding. Bounded by time and bytes:
/// whole groups of pictures are dropped from the front.
public struct RecordBuffer: Sendable {
    public let maxSeconds: Double
    public let maxBytes: Int
    public private(set) var packets: [RecordedPacket] = []
    public private(set) var bytes = 0
    /// Packets dropped because no keyframe had been seen yet, or to stay within bounds.
    public private(set) var dropped = 0

    public init(maxSeconds: Double, maxBytes: Int) {
        self.maxSeconds = maxSeconds
        self.maxBytes = maxBytes
    }

    /// Seconds covered, from the first packet to the last.
    public var seconds: Double {
        // The first packets of an RTSP session may carry no timestamp yet.
        guard let first = packets.lazy.compactMap(\.time).first, let last = packets.last?.time else { return 0 }
        return max(0, last - first)
    }

    public mutating func append(_ packet: RecordedPacket) {
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
    /// remains to start from.
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
            for p in packets[..<nextKey] { bytes -= p.data.count }
            dropped += nextKey
            packets.removeFirst(nextKey)
        }
    }
}
