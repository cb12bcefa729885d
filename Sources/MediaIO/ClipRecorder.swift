/// What to record around an event.
public struct ClipRequest: Sendable, Equatable {
    /// The clip's file name (unique per clip), also how the ticket finds it.
    public var name: String
    /// Seconds of picture before the event (reached back to a keyframe) and after it.
    public var preRoll: Double
    public var postRoll: Double
    /// The longest clip, however long the event goes on.
    public var maxClip: Double
    /// What the event is (a track in a zone, say): `extend` with the same key while it
    /// goes on keeps the clip running.
    public var key: String?

    public init(name: String, preRoll: Double = 5, postRoll: Double = 10, maxClip: Double = 60, key: String? = nil) {
        self.name = name
        self.preRoll = preRoll
        self.postRoll = postRoll
        self.maxClip = maxClip
        self.key = key
    }
}

/// A clip whose packets are all here, ready to be written.
public struct FinishedClip: Sendable {
    public enum End: String, Sendable, Equatable {
        /// Post-roll reached.
        case complete
        /// The clip reached `maxClip` while the event went on.
        case capped
        /// The stream broke off (a reconnect): the clip ends at the gap.
        case gap
        /// The daemon stopped: the clip holds what had arrived.
        case stopped
    }
    public var request: ClipRequest
    /// From a keyframe on, in stream order; or, when `followsParts`, the packets that came
    /// after the last part.
    public var packets: [RecordedPacket]
    /// Stream time of the event, on the packets' clock.
    public var eventTime: Double
    public var end: End
    /// The clip's earlier packets went out as `ClipPart`s (`ClipRecorder.drain`).
    public var followsParts = false

    public init(request: ClipRequest, packets: [RecordedPacket], eventTime: Double, end: End, followsParts: Bool = false) {
        self.request = request
        self.packets = packets
        self.eventTime = eventTime
        self.end = end
        self.followsParts = followsParts
    }
}

/// The packets a clip still collecting has gathered so far, handed out so that they can be
/// written as they come instead of held until the clip ends. The first part of a clip
/// starts at its keyframe; its `FinishedClip` follows its last part.
public struct ClipPart: Sendable {
    public var request: ClipRequest
    public var packets: [RecordedPacket]
    public var eventTime: Double
    /// The clip's first part.
    public var isFirst: Bool

    public init(request: ClipRequest, packets: [RecordedPacket], eventTime: Double, isFirst: Bool) {
        self.request = request
        self.packets = packets
        self.eventTime = eventTime
        self.isFirst = isFirst
    }
}

/// Cuts clips out of a camera's packet stream: the ring of recent packets supplies the
/// pre-roll, and each clip then collects the packets that follow until its post-roll has
/// passed. Pure (no clock, no I/O): the camera's packet thread feeds it, the analysis thread
/// starts and extends clips (under the camera's lock), and finished clips go to a writer.
public struct ClipRecorder: Sendable {
    public private(set) var ring: RecordBuffer
    private struct Job: Sendable {
        var request: ClipRequest
        var packets: [RecordedPacket]
        var eventTime: Double
        var endTime: Double
        var hardEnd: Double
        /// The event wanted more than `maxClip`.
        var capped = false
        /// Parts handed out so far.
        var parts = 0
    }
    private var jobs: [Job] = []
    /// At most this many clips collect at once; more are refused (and counted by the caller).
    public let maxActive: Int

    public init(ring: RecordBuffer, maxActive: Int = 8) {
        self.ring = ring
        self.maxActive = maxActive
    }

    public var activeCount: Int { jobs.count }
    /// Bytes held by clips still collecting (beyond the ring's own).
    public var activeBytes: Int { jobs.reduce(0) { $0 + $1.packets.reduce(0) { $0 + $1.data.count } } }

    /// The packets of every collecting clip whose oldest packet held is at least `age`
    /// seconds older than the newest packet: they leave the recorder, and that clip's next
    /// part or its `FinishedClip` carries only what follows. With `age` 0, every clip holding
    /// packets gives them up.
    public mutating func drain(age: Double = 0) -> [ClipPart] {
        guard !jobs.isEmpty, let newest = ring.newestTime else { return [] }
        var parts: [ClipPart] = []
        for i in jobs.indices where !jobs[i].packets.isEmpty {
            // Packets without a time (a connection's first) wait for one that has a time.
            let oldest = jobs[i].packets.lazy.compactMap(\.time).first ?? newest
            guard newest - oldest >= age else { continue }
            parts.append(ClipPart(request: jobs[i].request, packets: jobs[i].packets, eventTime: jobs[i].eventTime, isFirst: jobs[i].parts == 0))
            jobs[i].packets = []
            jobs[i].parts += 1
        }
        return parts
    }

    /// Start a clip for an event `eventAge` seconds before the newest packet (the analysis
    /// runs a little behind the stream). False when there is nothing to cut from yet (no
    /// keyframe in the ring) or `maxActive` clips are collecting already.
    public mutating func start(_ request: ClipRequest, eventAge: Double = 0) -> Bool {
        guard jobs.count < maxActive, let newest = ring.newestTime else { return false }
        let event = newest - max(0, eventAge)
        let from = event - request.preRoll
        // The last keyframe at or before the pre-roll's start; the ring's first otherwise.
        let packets = ring.packets
        guard let firstKey = packets.firstIndex(where: \.isKeyframe) else { return false }
        var start = firstKey
        for i in packets.indices where packets[i].isKeyframe {
            // The first packets of a connection may carry no time: they neither start nor end the search.
            guard let t = packets[i].time else { continue }
            guard t <= from else { break }
            start = i
        }
        let startTime = packets[start...].lazy.compactMap(\.time).first ?? event
        let hardEnd = startTime + request.maxClip
        jobs.append(Job(request: request, packets: Array(packets[start...]), eventTime: event,
                        endTime: min(hardEnd, event + request.postRoll), hardEnd: hardEnd,
                        capped: event + request.postRoll > hardEnd))
        return true
    }

    /// The event `key` still goes on at stream time `time`: its clips run until `postRoll`
    /// after it, within their `maxClip`.
    public mutating func extend(key: String, at time: Double) {
        for i in jobs.indices where jobs[i].request.key == key {
            let wanted = time + jobs[i].request.postRoll
            if wanted > jobs[i].hardEnd { jobs[i].capped = true }
            jobs[i].endTime = min(jobs[i].hardEnd, max(jobs[i].endTime, wanted))
        }
    }

    /// The stream time of the newest packet minus `age`: for `extend` from the analysis.
    public func streamTime(age: Double) -> Double? { ring.newestTime.map { $0 - max(0, age) } }

    /// A packet of the stream: kept in the ring and in every collecting clip. Returns the
    /// clips it completes.
    public mutating func append(_ packet: RecordedPacket) -> [FinishedClip] {
        if let t = packet.time, let newest = ring.newestTime, t < newest - 1 {
            // Time went back: a new stream that cannot follow the old one.
            return finishAll(.gap, appendingAfter: packet)
        }
        ring.append(packet)
        guard !jobs.isEmpty else { return [] }
        var finished: [FinishedClip] = []
        // In place: a copy of a job would copy its packets on every append (a minute's
        // clip is 600 of them at 10 fps).
        var i = 0
        while i < jobs.count {
            if let t = packet.time, t >= jobs[i].endTime {
                let job = jobs.remove(at: i)
                finished.append(FinishedClip(request: job.request, packets: job.packets, eventTime: job.eventTime,
                                             end: job.capped ? .capped : .complete, followsParts: job.parts > 0))
            } else {
                jobs[i].packets.append(packet)
                i += 1
            }
        }
        return finished
    }

    /// The stream broke off (reconnect): every clip ends at the gap, and the ring starts
    /// again with the next connection's packets.
    public mutating func gap() -> [FinishedClip] { finishAll(.gap, appendingAfter: nil) }

    /// The daemon stops: every clip is finished with what has arrived.
    public mutating func stop() -> [FinishedClip] { finishAll(.stopped, appendingAfter: nil) }

    private mutating func finishAll(_ end: FinishedClip.End, appendingAfter packet: RecordedPacket?) -> [FinishedClip] {
        let finished = jobs.map { FinishedClip(request: $0.request, packets: $0.packets, eventTime: $0.eventTime, end: end, followsParts: $0.parts > 0) }
        jobs = []
        ring.removeAll()
        if let packet { ring.append(packet) }
        return finished
    }
}
