import Foundation
import MediaIO
import Testing
import TestSupport

/// Clips cut from real H.264 and H.265 packets (read by `PacketReader`, as the record
/// stream is), checked with `ffprobe` and by decoding them against their source.
@Suite struct ClipWriterTests {
    /// Packets 15..<45 of a 6 s, 10 fps clip with a keyframe a second: the clip must start
    /// at the keyframe of packet 20 (2.0 s) and hold the 25 pictures from there.
    @Test(arguments: ["libx264", "libx265"])
    func remuxesFromTheFirstKeyframeWithTimestampsFromZero(codec: String) throws {
        let dir = try TemporaryDirectory("gw-clip")
        defer { dir.remove() }
        let source = dir.path("source.mkv")
        try Clips.testPattern(source, seconds: 6, size: "320x240", fps: 10, codec: codec)
        let reader = try PacketReader(url: source, options: .init(), stallTimeout: 5, interrupt: InterruptState())
        var packets: [RecordedPacket] = []
        while let p = try reader.next() { packets.append(p) }
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
        let errors = try runProcess(Clips.ffmpeg, ["-v", "error", "-xerror", "-i", clip, "-f", "null", "-"])
        #expect(errors.status == 0 && errors.output.isEmpty, "\(errors.output)")

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

    @Test func refusesPacketsWithoutAKeyframeAndLeavesNoFile() throws {
        let dir = try TemporaryDirectory("gw-clip")
        defer { dir.remove() }
        let source = dir.path("source.mkv")
        try Clips.testPattern(source, seconds: 2, size: "160x120", fps: 10)
        let reader = try PacketReader(url: source, options: .init(), stallTimeout: 5, interrupt: InterruptState())
        var packets: [RecordedPacket] = []
        while let p = try reader.next() { packets.append(p) }
        let clip = dir.path("clip.mp4")
        #expect(throws: FFmpegError.self) { try ClipWriter.write(Array(packets[1..<10]), parameters: reader.parameters, to: clip) }
        #expect(!FileManager.default.fileExists(atPath: clip) && !FileManager.default.fileExists(atPath: clip + ".partial"))
        // A folder that does not exist: an error, nothing written.
        #expect(throws: FFmpegError.self) { try ClipWriter.write(packets, parameters: reader.parameters, to: dir.path("missing/clip.mp4")) }
    }
}
