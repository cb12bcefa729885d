import Foundation
import MediaIO
import Testing
import TestSupport

/// Clips cut from real H.264 and H.265 packets (read by `PacketReader`, as the record
/// stream is), checked with `ffprobe` and by decoding them against their source.
@Suite struct ClipWriterTests {
    /// Every packet of `source`, and the reader (its stream's parameters).
    static func packets(of source: String) throws -> (PacketReader, [RecordedPacket]) {
        let reader = try PacketReader(url: source, options: .init(), stallTimeout: 5, interrupt: InterruptState())
        var packets: [RecordedPacket] = []
        while let p = try reader.next() { packets.append(p) }
        return (reader, packets)
    }

    /// Packets 15..<45 of a 6 s, 10 fps clip with a keyframe a second: the clip must start
    /// at the keyframe of packet 20 (2.0 s) and hold the 25 pictures from there.
    @Test(arguments: ["libx264", "libx265"])
    func remuxesFromTheFirstKeyframeWithTimestampsFromZero(codec: String) throws {
        let dir = try TemporaryDirectory("gw-clip")
        defer { dir.remove() }
        let source = dir.path("source.mkv")
        try Clips.testPattern(source, seconds: 6, size: "320x240", fps: 10, codec: codec)
        let (reader, packets) = try Self.packets(of: source)
        #expect(packets.count == 60)
        let clip = dir.path("clip.mp4")
        let summary = try ClipWriter.write(Array(packets[15..<45]), parameters: reader.parameters, to: clip, metadata: [
            ("title", "Gridwatch ticket 7"), ("comment", "camera=gate-1 ticket=7"), ("creation_time", "2026-12-01T10:00:00Z"),
        ])
        #expect(summary.packets == 25)
        #expect(abs(summary.start - (packets[20].dts ?? -1)) < 0.001)
        #expect(abs(summary.duration - 2.5) < 0.05)
        #expect(!FileManager.default.fileExists(atPath: clip + ".partial"))
        #expect(summary.bytes == (try FileManager.default.attributesOfItem(atPath: clip)[.size] as? Int))

        // ffprobe reads it without a complaint: starts at zero, lasts 2.5 s, 25 pictures,
        // the tag browsers play, our metadata.
        let probe = try runProcess(Clips.ffprobe, ["-v", "error", "-show_entries",
            "format=start_time,duration:format_tags=title,comment:stream=codec_name,codec_tag_string,nb_frames",
            "-of", "json", clip])
        #expect(probe.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(probe.output.utf8)) as? [String: Any])
        let format = try #require(json["format"] as? [String: Any])
        let stream = try #require((json["streams"] as? [[String: Any]])?.first)
        #expect(Double(format["start_time"] as? String ?? "") == 0)
        #expect(abs((Double(format["duration"] as? String ?? "") ?? 0) - 2.5) < 0.05)
        #expect(stream["nb_frames"] as? String == "25")
        #expect(stream["codec_tag_string"] as? String == (codec == "libx265" ? "hvc1" : "avc1"))
        #expect((format["tags"] as? [String: String])?["comment"] == "camera=gate-1 ticket=7")
        let errors = try Clips.decodeErrors(clip)
        #expect(errors.isEmpty, "\(errors)")

        // The index comes first (+faststart).
        let bytes = try Data(contentsOf: URL(fileURLWithPath: clip))
        let moov = try #require(bytes.range(of: Data("moov".utf8))), mdat = try #require(bytes.range(of: Data("mdat".utf8)))
        #expect(moov.lowerBound < mdat.lowerBound)

        // Picture k of the clip is picture 20 + k of the source, bit for bit.
        let original = try VideoReader(url: source, options: .init(), interrupt: InterruptState())
        let cut = try VideoReader(url: clip, options: .init(), interrupt: InterruptState())
        let scaler = try GrayScaler(width: 320)
        var sourceFrames: [[UInt8]] = []
        while let f = try original.nextFrame() { sourceFrames.append(try scaler.gray(f).pixels) }
        var k = 0
        while let f = try cut.nextFrame() {
            #expect(try scaler.gray(f).pixels == sourceFrames[20 + k], "picture \(k)")
            if k == 0 { #expect(f.time == 0) }
            k += 1
        }
        #expect(k == 25)
    }

    /// A camera whose clock jitters and repeats a value (as the test RTSP server's does when
    /// its sender is late and catches up): the clip keeps every picture in order, with
    /// strictly increasing timestamps, and decodes without a complaint.
    @Test func keepsEveryPictureOfACameraWhoseClockJittersAndRepeats() throws {
        let dir = try TemporaryDirectory("gw-clip")
        defer { dir.remove() }
        let source = dir.path("source.mkv")
        try Clips.testPattern(source, seconds: 3, size: "160x120", fps: 10)
        var (reader, packets) = try Self.packets(of: source)
        #expect(packets.count == 30)
        // Picture 5 comes 60 ms early (15 ms after picture 4 would round with it to 0.4 s at
        // 10 fps); picture 12 repeats picture 11's time; picture 20 has no timestamp at all.
        for i in packets.indices {
            var t = Double(i) / 10
            if i == 5 { t -= 0.06 }
            if i == 12 { t = 1.1 }
            packets[i].pts = i == 20 ? nil : t
            packets[i].dts = i == 20 ? nil : t
        }
        let clip = dir.path("clip.mp4")
        let summary = try ClipWriter.write(packets, parameters: reader.parameters, to: clip)
        #expect(summary.packets == 30)
        let errors = try Clips.decodeErrors(clip)
        #expect(errors.isEmpty, "\(errors)")
        let probe = try runProcess(Clips.ffprobe, ["-v", "error", "-select_streams", "v", "-show_entries", "packet=dts", "-of", "csv=p=0", clip])
        let dts = probe.output.split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        #expect(dts.count == 30)
        #expect(zip(dts, dts.dropFirst()).allSatisfy { $0 < $1 }, "\(dts)")
        // The same 30 pictures as the source, in order.
        let scaler = try GrayScaler(width: 160)
        let original = try VideoReader(url: source, options: .init(), interrupt: InterruptState())
        let cut = try VideoReader(url: clip, options: .init(), interrupt: InterruptState())
        var a: [[UInt8]] = [], b: [[UInt8]] = []
        while let f = try original.nextFrame() { a.append(try scaler.gray(f).pixels) }
        while let f = try cut.nextFrame() { b.append(try scaler.gray(f).pixels) }
        #expect(b.count == 30 && a == b)
    }

    @Test func refusesPacketsWithoutAKeyframeAndLeavesNoFile() throws {
        let dir = try TemporaryDirectory("gw-clip")
        defer { dir.remove() }
        let source = dir.path("source.mkv")
        try Clips.testPattern(source, seconds: 2, size: "160x120", fps: 10)
        let (reader, packets) = try Self.packets(of: source)
        let clip = dir.path("clip.mp4")
        #expect(throws: FFmpegError.self) { try ClipWriter.write(Array(packets[1..<10]), parameters: reader.parameters, to: clip) }
        #expect(!FileManager.default.fileExists(atPath: clip) && !FileManager.default.fileExists(atPath: clip + ".partial"))
        // A folder that does not exist: an error, nothing written.
        #expect(throws: FFmpegError.self) { try ClipWriter.write(packets, parameters: reader.parameters, to: dir.path("missing/clip.mp4")) }
    }
}

/// When clips start and end, on packets built here: 10 packets a second, a keyframe
/// every `gop` seconds.
@Suite struct ClipRecorderTests {
    static func packet(_ i: Int, gop: Int = 2) -> RecordedPacket {
        let t = Double(i) / 10
        return RecordedPacket(data: [UInt8](repeating: 1, count: 100), pts: t, dts: t, duration: 0.1, isKeyframe: i % (10 * gop) == 0)
    }

    static func recorder() -> ClipRecorder {
        ClipRecorder(ring: RecordBuffer(maxSeconds: 8, maxBytes: 10_000_000, keepSeconds: 5), maxActive: 2)
    }

    @Test func reachesBackToAKeyframeBeforeThePreRollAndStopsAfterThePostRoll() throws {
        var r = Self.recorder()
        for i in 0..<200 { let done = r.append(Self.packet(i)); #expect(done.isEmpty) }
        // The event happened 0.3 s before the newest packet (19.9 s): at 19.6 s.
        do { let ok = r.start(ClipRequest(name: "a.mp4", preRoll: 5, postRoll: 10), eventAge: 0.3); #expect(ok) }
        var finished: [FinishedClip] = []
        var i = 200
        while finished.isEmpty && i < 600 { finished = r.append(Self.packet(i)); i += 1 }
        let clip = try #require(finished.first)
        #expect(clip.end == .complete)
        #expect(abs(clip.eventTime - 19.6) < 1e-9)
        // From the keyframe at 14 s (the last at or before 14.6 s) to just before 29.6 s.
        #expect(clip.packets.first?.isKeyframe == true)
        #expect(clip.packets.first?.time == 14)
        #expect(abs((clip.packets.last?.time ?? 0) - 29.5) < 1e-9)
        #expect(r.activeCount == 0)
    }

    @Test func runsOnWhileTheEventGoesOnUpToItsLongest() throws {
        var r = Self.recorder()
        for i in 0..<100 { _ = r.append(Self.packet(i)) }
        do { let ok = r.start(ClipRequest(name: "long.mp4", preRoll: 5, postRoll: 10, maxClip: 60, key: "track 3"), eventAge: 0); #expect(ok) }
        // The track stays until 30 s: the clip ends 10 s later.
        var finished: [FinishedClip] = []
        var i = 100
        while finished.isEmpty && i < 1_000 {
            if Double(i) / 10 <= 30 { r.extend(key: "track 3", at: Double(i) / 10) }
            r.extend(key: "someone else", at: 1_000)
            finished = r.append(Self.packet(i))
            i += 1
        }
        let clip = try #require(finished.first)
        #expect(clip.end == .complete)
        #expect(abs((clip.packets.last?.time ?? 0) - 39.9) < 1e-9)

        // Loitering for ever: capped at 20 s from its first picture.
        var capped = Self.recorder()
        for i in 0..<100 { _ = capped.append(Self.packet(i)) }
        do { let ok = capped.start(ClipRequest(name: "capped.mp4", preRoll: 5, postRoll: 10, maxClip: 20, key: "k"), eventAge: 0); #expect(ok) }
        finished = []
        i = 100
        while finished.isEmpty && i < 1_000 {
            capped.extend(key: "k", at: Double(i) / 10)
            finished = capped.append(Self.packet(i))
            i += 1
        }
        let long = try #require(finished.first)
        #expect(long.end == .capped)
        let span = (long.packets.last?.time ?? 0) - (long.packets.first?.time ?? 0)
        #expect(span >= 19.8 && span < 20)
    }

    @Test func endsAtAGapAtAStopAndWhenTimeGoesBack() {
        var r = Self.recorder()
        for i in 0..<100 { _ = r.append(Self.packet(i)) }
        do { let ok = r.start(ClipRequest(name: "g.mp4"), eventAge: 0); #expect(ok) }
        for i in 100..<130 { _ = r.append(Self.packet(i)) }
        let gap = r.gap()
        #expect(gap.count == 1 && gap[0].end == .gap && gap[0].packets.last?.time == 12.9)
        #expect(r.ring.packets.isEmpty)
        // Nothing to cut from until a keyframe arrives.
        do { let ok = r.start(ClipRequest(name: "none.mp4")); #expect(!ok) }

        for i in 0..<100 { _ = r.append(Self.packet(i)) }
        do { let ok = r.start(ClipRequest(name: "s.mp4"), eventAge: 0); #expect(ok) }
        let stopped = r.stop()
        #expect(stopped.count == 1 && stopped[0].end == .stopped)

        for i in 200..<300 { _ = r.append(Self.packet(i)) }
        do { let ok = r.start(ClipRequest(name: "back.mp4"), eventAge: 0); #expect(ok) }
        let back = r.append(Self.packet(0))
        #expect(back.count == 1 && back[0].end == .gap)
        #expect(r.ring.packets.count == 1)
    }

    @Test func refusesMoreThanItsActiveClips() {
        var r = Self.recorder()
        for i in 0..<100 { _ = r.append(Self.packet(i)) }
        do { let ok = r.start(ClipRequest(name: "1.mp4")); #expect(ok) }
        do { let ok = r.start(ClipRequest(name: "2.mp4")); #expect(ok) }
        do { let ok = r.start(ClipRequest(name: "3.mp4")); #expect(!ok) }
        #expect(r.activeCount == 2 && r.activeBytes > 0)
    }

    /// Real H.264 packets through the recorder and the writer: a 15 s clip (5 before, 10
    /// after) of a stream with a keyframe a second lasts 15 to 16 s and starts at zero.
    @Test func aClipOfRealPacketsLastsPreRollPlusPostRollWithinAGroup() throws {
        let dir = try TemporaryDirectory("gw-clip")
        defer { dir.remove() }
        try Clips.testPattern(dir.path("source.mkv"), seconds: 30, size: "160x120", fps: 10)
        let reader = try PacketReader(url: dir.path("source.mkv"), options: .init(), stallTimeout: 5, interrupt: InterruptState())
        var r = ClipRecorder(ring: RecordBuffer(maxSeconds: 8, maxBytes: 10_000_000, keepSeconds: 5))
        var finished: [FinishedClip] = []
        var n = 0
        while let p = try reader.next() {
            finished += r.append(p)
            n += 1
            if n == 104 { let ok = r.start(ClipRequest(name: "x.mp4", preRoll: 5, postRoll: 10), eventAge: 0.25); #expect(ok) }
        }
        let clip = try #require(finished.first)
        let summary = try ClipWriter.write(clip.packets, parameters: reader.parameters, to: dir.path("x.mp4"))
        #expect(summary.duration >= 15 && summary.duration <= 16, "\(summary.duration)")
        // The event sits pre-roll (and up to one group) after the clip's start.
        let offset = clip.eventTime - summary.start
        #expect(offset >= 5 && offset < 6, "\(offset)")
    }
}

extension ClipRecorderTests {
    /// A connection's first packet has no time yet: the pre-roll still reaches back only
    /// to the keyframe before it, not to the start of the ring.
    @Test func aFirstPacketWithoutATimeDoesNotStretchThePreRoll() throws {
        var r = Self.recorder()
        _ = r.append(RecordedPacket(data: [1], pts: nil, dts: nil, duration: 0.1, isKeyframe: true))
        for i in 1..<80 { _ = r.append(Self.packet(i, gop: 1)) }
        do { let ok = r.start(ClipRequest(name: "n.mp4", preRoll: 3, postRoll: 1), eventAge: 0); #expect(ok) }
        var finished: [FinishedClip] = []
        var i = 80
        while finished.isEmpty && i < 200 { finished = r.append(Self.packet(i, gop: 1)); i += 1 }
        #expect(try #require(finished.first).packets.first?.time == 4)
    }
}

extension ClipRecorderTests {
    /// A clip drained every 2 s hands out, in its parts and then its end, exactly the
    /// packets the same clip holds undrained; only the first part says it is first.
    @Test func drainedPartsAndTheEndHoldTheSamePacketsAsTheWholeClip() throws {
        var whole = Self.recorder(), drained = Self.recorder()
        for i in 0..<100 { _ = whole.append(Self.packet(i)); _ = drained.append(Self.packet(i)) }
        for r in [0, 1] {
            let request = ClipRequest(name: "c.mp4", preRoll: 5, postRoll: 10, maxClip: 60, key: "track 1")
            let ok = r == 0 ? whole.start(request, eventAge: 0.2) : drained.start(request, eventAge: 0.2)
            #expect(ok)
        }
        var parts: [ClipPart] = []
        var wholeEnd: FinishedClip?, drainedEnd: FinishedClip?
        var i = 100
        while (wholeEnd == nil || drainedEnd == nil) && i < 1_000 {
            if i < 250 { whole.extend(key: "track 1", at: Double(i) / 10); drained.extend(key: "track 1", at: Double(i) / 10) }
            wholeEnd = wholeEnd ?? whole.append(Self.packet(i)).first
            drainedEnd = drainedEnd ?? drained.append(Self.packet(i)).first
            parts += drained.drain(age: 2)
            // Never more than 2 s (and the packet that passed it) held in the drained one.
            #expect(drained.activeBytes <= 21 * 100)
            i += 1
        }
        let w = try #require(wholeEnd), d = try #require(drainedEnd)
        #expect(!w.followsParts && d.followsParts)
        #expect(parts.count > 5)
        #expect(parts.map(\.isFirst) == [true] + Array(repeating: false, count: parts.count - 1))
        #expect(parts.flatMap(\.packets) + d.packets == w.packets)
        #expect(d.end == w.end && d.eventTime == w.eventTime)
        // Nothing collecting, nothing to drain.
        #expect(drained.drain().isEmpty)
    }
}

extension ClipWriterTests {
    /// The same packets given to a session in uneven parts make the same file, byte for
    /// byte, as given at once; a session given up, or dropped unfinished, leaves no file.
    @Test func aClipWrittenInPartsIsTheClipWrittenAtOnce() throws {
        let dir = try TemporaryDirectory("gw-clip")
        defer { dir.remove() }
        try Clips.testPattern(dir.path("source.mkv"), seconds: 8, size: "320x240", fps: 10)
        let (reader, packets) = try Self.packets(of: dir.path("source.mkv"))
        let clip = Array(packets[5..<75])
        let opening = [("creation_time", "2026-12-01T10:00:00Z")], closing = [("title", "Gridwatch ticket 9"), ("comment", "camera=gate-2")]

        let once = try ClipWriter.Session(path: dir.path("once.mp4"), parameters: reader.parameters, metadata: opening)
        try once.append(clip)
        let a = try once.finish(metadata: closing)

        let inParts = try ClipWriter.Session(path: dir.path("parts.mp4"), parameters: reader.parameters, metadata: opening)
        // The first part has no keyframe: nothing is written until one comes.
        for range in [0..<3, 3..<4, 4..<31, 31..<31, 31..<70] { try inParts.append(Array(clip[range])) }
        #expect(FileManager.default.fileExists(atPath: dir.path("parts.mp4.partial")))
        let b = try inParts.finish(metadata: closing)
        #expect(a == b)
        #expect(a.packets == 65)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path("once.mp4"))) == Data(contentsOf: URL(fileURLWithPath: dir.path("parts.mp4"))))
        #expect(try Clips.decodeErrors(dir.path("parts.mp4")).isEmpty)
        // The index first (+faststart, through our own output buffer).
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.path("parts.mp4")))
        let moov = try #require(bytes.range(of: Data("moov".utf8))), mdat = try #require(bytes.range(of: Data("mdat".utf8)))
        #expect(moov.lowerBound < mdat.lowerBound)
        #expect(throws: FFmpegError.self) { try inParts.append(clip) }

        let abandoned = try ClipWriter.Session(path: dir.path("gone.mp4"), parameters: reader.parameters)
        try abandoned.append(clip)
        abandoned.abandon()
        do {
            let dropped = try ClipWriter.Session(path: dir.path("dropped.mp4"), parameters: reader.parameters)
            try dropped.append(Array(clip[0..<40]))
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path("")).sorted()
        #expect(left == ["once.mp4", "parts.mp4", "source.mkv"])
    }
}
