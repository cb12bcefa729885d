import Foundation
import Synchronization
import MediaIO
import PixelKernels
import Testing
import TestSupport

/// Real FFmpeg decoding of clips made by the ffmpeg CLI in the test.
@Suite(.serialized) struct VideoReaderTests {
    @Test func decodesAnH264ClipFrameByFrame() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Clips.testPattern(dir.path("clip.mp4"), seconds: 3, size: "320x240", fps: 10)
        let reader = try VideoReader(url: dir.path("clip.mp4"), options: .init(), interrupt: InterruptState())
        #expect(reader.info.codec == "h264")
        #expect(reader.info.width == 320 && reader.info.height == 240)
        #expect(reader.info.frameRate == 10)
        var times: [Double] = []
        while let frame = try reader.nextFrame() {
            #expect(frame.width == 320 && frame.height == 240)
            times.append(frame.time)
        }
        #expect(times.count == 30)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
        #expect(abs((times.last! - times.first!) - 2.9) < 0.01)
        #expect(reader.stats.decodeErrors == 0)
    }

    @Test(arguments: ["libx265", "mjpeg"])
    func decodesOtherCameraCodecs(codec: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Clips.testPattern(dir.path("clip.mkv"), seconds: 1, size: "320x240", fps: 10, codec: codec)
        let reader = try VideoReader(url: dir.path("clip.mkv"), options: .init(), interrupt: InterruptState())
        #expect(reader.info.codec == (codec == "libx265" ? "hevc" : "mjpeg"))
        var count = 0
        while try reader.nextFrame() != nil { count += 1 }
        #expect(count == 10)
    }

    /// `skipDeblocking` reaches the decoder: the same H.264 frame comes out without the
    /// deblocking filter (other pixels at block edges), and still the same picture.
    @Test func decodesWithoutTheDeblockingFilterWhenAsked() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Clips.testPattern(dir.path("clip.mp4"), seconds: 1, size: "320x240", fps: 10)
        func fifthFrame(skipDeblocking: Bool) throws -> [UInt8] {
            var options = VideoReader.Options()
            options.skipDeblocking = skipDeblocking
            let reader = try VideoReader(url: dir.path("clip.mp4"), options: options, interrupt: InterruptState())
            let scaler = try GrayScaler(width: 320)
            for _ in 0..<4 { _ = try reader.nextFrame() }
            let frame = try #require(try reader.nextFrame())
            return try scaler.gray(frame).pixels
        }
        let filtered = try fifthFrame(skipDeblocking: false), unfiltered = try fifthFrame(skipDeblocking: true)
        #expect(filtered.count == 320 * 240 && unfiltered.count == filtered.count)
        let differing = zip(filtered, unfiltered).filter { $0 != $1 }.count
        let meanDifference = Double(zip(filtered, unfiltered).map { abs(Int($0) - Int($1)) }.reduce(0, +)) / Double(filtered.count)
        #expect(differing > 100, "\(differing) pixels differ")
        #expect(meanDifference < 2, "mean difference \(meanDifference)")
    }

    /// Batches (`batchSeconds`) give out the same frames, with the same times and pixels,
    /// as frame by frame; the last, partial batch at the end of a file too; and say which
    /// frames of a batch are still to come.
    @Test func decodesInBatchesTheSameFramesAsFrameByFrame() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Clips.testPattern(dir.path("clip.mp4"), seconds: 3, size: "320x240", fps: 10)
        func frames(batch: Double) throws -> (times: [Double], pixels: [[UInt8]], continues: [Bool]) {
            var options = VideoReader.Options()
            options.batchSeconds = batch
            let reader = try VideoReader(url: dir.path("clip.mp4"), options: options, interrupt: InterruptState())
            let scaler = try GrayScaler(width: 160)
            var out: (times: [Double], pixels: [[UInt8]], continues: [Bool]) = ([], [], [])
            while let frame = try reader.nextFrame() {
                out.times.append(frame.time)
                out.pixels.append(try scaler.gray(frame).pixels)
                out.continues.append(reader.batchContinues)
                #expect(frame.waited >= 0 && frame.waited < 1)
            }
            return out
        }
        let single = try frames(batch: 0), batched = try frames(batch: 0.4)
        #expect(single.times.count == 30)
        #expect(batched.times == single.times)
        #expect(batched.pixels == single.pixels)
        #expect(!single.continues.contains(true))
        // Four packets a batch at 10 fps: the first three frames of each have more behind them
        // (and the first of the last two, held when the file ended).
        #expect(batched.continues == (0..<30).map { $0 % 4 != 3 && $0 != 29 }, "\(batched.continues)")
    }

    @Test func loopsAFileWithAdvancingTime() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Clips.testPattern(dir.path("clip.mp4"), seconds: 1, size: "160x120", fps: 10)
        var options = VideoReader.Options()
        options.loop = true
        let reader = try VideoReader(url: dir.path("clip.mp4"), options: options, interrupt: InterruptState())
        var times: [Double] = []
        while times.count < 35, let frame = try reader.nextFrame() { times.append(frame.time) }
        #expect(times.count == 35)
        #expect(reader.stats.loops == 3)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 }, "\(times)")
        // Frame spacing stays one frame interval across the loop boundary.
        #expect(abs(times[10] - times[9] - 0.1) < 0.001)
    }

    @Test func scalesToAGrayFrame320Wide() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Clips.testPattern(dir.path("clip.mp4"), seconds: 1, size: "1280x720", fps: 10)
        let reader = try VideoReader(url: dir.path("clip.mp4"), options: .init(), interrupt: InterruptState())
        let scaler = try GrayScaler(width: 320)
        let frame = try #require(try reader.nextFrame())
        let gray = try scaler.gray(frame)
        #expect(gray.width == 320 && gray.height == 180)
        #expect(gray.pixels.count == 320 * 180)
        // testsrc2 is colourful: the gray image is not flat.
        #expect(Set(gray.pixels).count > 20)
    }

    /// The half-size fast path is exactly the rounded mean of each 2×2 block of luma,
    /// including the last pixels of a row whose width is not a multiple of four.
    @Test(arguments: [(640, 360), (652, 360)])
    func halfSizeIsTheMeanOfEach2x2Block(width: Int, height: Int) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Clips.testPattern(dir.path("clip.mp4"), seconds: 1, size: "\(width)x\(height)", fps: 10)
        let reader = try VideoReader(url: dir.path("clip.mp4"), options: .init(), interrupt: InterruptState())
        let frame = try #require(try reader.nextFrame())
        let full = try GrayScaler(width: width).gray(frame)
        let half = try GrayScaler(width: width / 2).gray(frame)
        #expect(full.width == width && half.width == width / 2 && half.height == height / 2)
        var wrong = 0
        for y in 0..<half.height {
            for x in 0..<half.width {
                let f = { (dx: Int, dy: Int) in Int(full.pixels[(2 * y + dy) * width + 2 * x + dx]) }
                let expected = (f(0, 0) + f(1, 0) + f(0, 1) + f(1, 1) + 2) >> 2
                if Int(half.pixels[y * half.width + x]) != expected { wrong += 1 }
            }
        }
        #expect(wrong == 0)
    }

    @Test(arguments: ["640x360", "768x576", "1920x1080"])
    func grayFramesKeepTheLumaLevel(size: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // Half dark, half bright: the two halves keep their levels, the edge stays sharp.
        try runCommand(Clips.ffmpeg, [
            "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x404040:s=\(size):r=10:d=1",
            "-vf", "drawbox=x=iw/2:y=0:w=iw/2:h=ih:color=0xC0C0C0:t=fill",
            "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p", dir.path("halves.mp4"),
        ])
        let reader = try VideoReader(url: dir.path("halves.mp4"), options: .init(), interrupt: InterruptState())
        let gray = try GrayScaler(width: 320).gray(try #require(try reader.nextFrame()))
        #expect(gray.width == 320)
        let left = gray.pixels[10 * 320 + 40], right = gray.pixels[10 * 320 + 280]
        // Limited-range luma of 0x40 and 0xC0: 16 + level × 219/255.
        #expect(abs(Int(left) - 71) <= 2 && abs(Int(right) - 181) <= 2, "\(left) \(right)")
        #expect(gray.pixels[10 * 320 + 158] == left && gray.pixels[10 * 320 + 161] == right)
    }

    @Test func encodesAFullResolutionJPEGThatDecodesAgain() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Clips.testPattern(dir.path("clip.mp4"), seconds: 1, size: "640x360", fps: 10)
        let reader = try VideoReader(url: dir.path("clip.mp4"), options: .init(), interrupt: InterruptState())
        let frame = try #require(try reader.nextFrame())
        let encoder = try JPEGEncoder()
        // The encoder serves a camera for its lifetime: it must encode again and again.
        for _ in 0..<3 { _ = try encoder.encode(frame) }
        let jpeg = try encoder.encode(frame)
        #expect(Array(jpeg.prefix(2)) == [0xFF, 0xD8])
        #expect(Array(jpeg.suffix(2)) == [0xFF, 0xD9])
        let path = dir.path("snap.jpg")
        try Data(jpeg).write(to: URL(fileURLWithPath: path))
        let back = try VideoReader(url: path, options: .init(), interrupt: InterruptState())
        #expect(back.info.codec == "mjpeg")
        #expect(back.info.width == 640 && back.info.height == 360)
        #expect(try back.nextFrame() != nil)
    }

    /// Our baseline JPEG writer read back by FFmpeg's decoder: at every size (odd chroma planes,
    /// not a multiple of 16) the picture comes back at its size and close to what it was.
    @Test(arguments: ["640x360", "642x362", "176x100"])
    func jpegsComeBackAtTheirSizeAndCloseToThePicture(size: String) throws {
        #expect(gw_jpeg_tables_complete() == 1)
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Clips.testPattern(dir.path("clip.nut"), seconds: 1, size: size, fps: 10, codec: "rawvideo")
        let frame = try #require(try VideoReader(url: dir.path("clip.nut"), options: .init(), interrupt: InterruptState()).nextFrame())
        let jpeg = try JPEGEncoder().encode(frame)
        try Data(jpeg).write(to: URL(fileURLWithPath: dir.path("snap.jpg")))
        let back = try VideoReader(url: dir.path("snap.jpg"), options: .init(), interrupt: InterruptState())
        #expect("\(back.info.width)x\(back.info.height)" == size)
        func gray(_ file: String) throws -> [UInt8] {
            try runCommand(Clips.ffmpeg, ["-v", "error", "-y", "-i", dir.path(file), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", dir.path(file + ".gray")])
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir.path(file + ".gray"))))
        }
        let original = try gray("clip.nut"), decoded = try gray("snap.jpg")
        #expect(original.count == decoded.count && !original.isEmpty)
        let error = zip(original, decoded).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
        // testsrc2 at the default quality: under half a level on average at 640×360, about one at 176×100.
        #expect(Double(error) / Double(max(1, original.count)) < 1.5, "mean error \(Double(error) / Double(max(1, original.count)))")
        // Both chroma planes, through the full-range conversion: the colour bars keep their colours.
        #expect(jpeg.count > 1000 && jpeg.count < original.count)
    }

    /// A hundred cameras must not each keep a set of working parts: encoders used from
    /// several threads at once share working parts from a pool that keeps only a few.
    @Test func manyEncodersOnManyThreadsShareAFewWorkingParts() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Clips.testPattern(dir.path("clip.mp4"), seconds: 1, size: "640x360", fps: 10)
        nonisolated(unsafe) let frame = try #require(try VideoReader(url: dir.path("clip.mp4"), options: .init(), interrupt: InterruptState()).nextFrame())
        let expected = try JPEGEncoder().encode(frame, stamp: "村口 2026-12-02 08:00:00")
        nonisolated(unsafe) let encoders = try (0..<12).map { _ in try JPEGEncoder() }
        let results = Mutex<[[UInt8]]>([])
        DispatchQueue.concurrentPerform(iterations: 12) { i in
            for _ in 0..<4 {
                let jpeg = try? encoders[i].encode(frame, stamp: "村口 2026-12-02 08:00:00")
                results.withLock { $0.append(jpeg ?? []) }
            }
        }
        let all = results.withLock { $0 }
        #expect(all.count == 48)
        // Every picture whole and the same as one encoder alone makes it.
        #expect(all.allSatisfy { $0 == expected })
        #expect(JPEGEncoder.idleCount <= JPEGEncoder.keptIdle)
    }

    /// Evidence shows what happened: a red line and a yellow zone drawn on the picture, a
    /// privacy mask black underneath everything else.
    @Test func snapshotsCarryTheirOverlaysAndPrivacyMasks() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try runCommand(Clips.ffmpeg, ["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x808080:s=640x360:r=10:d=1",
                                      "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p", dir.path("gray.mp4")])
        let frame = try #require(try VideoReader(url: dir.path("gray.mp4"), options: .init(), interrupt: InterruptState()).nextFrame())
        let jpeg = try JPEGEncoder().encode(
            frame, blackout: [[(0.0, 0.0), (0.25, 0.0), (0.25, 0.25), (0.0, 0.25)]],
            overlays: [Overlay(points: [(0.5, 0.1), (0.5, 0.9)], closed: false, colour: .red),
                       Overlay(points: [(0.6, 0.5), (0.9, 0.5), (0.9, 0.8), (0.6, 0.8)], closed: true, colour: .yellow)])
        try Data(jpeg).write(to: URL(fileURLWithPath: dir.path("snap.jpg")))
        // Back to raw RGB with the ffmpeg CLI, to read pixels.
        try runCommand(Clips.ffmpeg, ["-v", "error", "-y", "-i", dir.path("snap.jpg"), "-f", "rawvideo", "-pix_fmt", "rgb24", dir.path("snap.rgb")])
        let rgb = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir.path("snap.rgb"))))
        #expect(rgb.count == 640 * 360 * 3)
        func pixel(_ x: Int, _ y: Int) -> (r: Int, g: Int, b: Int) {
            let i = (y * 640 + x) * 3
            return (Int(rgb[i]), Int(rgb[i + 1]), Int(rgb[i + 2]))
        }
        let line = pixel(320, 180), zoneEdge = pixel(480, 180), inside = pixel(480, 230), mask = pixel(40, 40), plain = pixel(160, 300)
        #expect(line.r > 180 && line.g < 90 && line.b < 90, "\(line)")
        #expect(zoneEdge.r > 180 && zoneEdge.g > 180 && zoneEdge.b < 90, "\(zoneEdge)")
        #expect(abs(inside.r - 128) < 12 && abs(plain.g - 128) < 12, "\(inside) \(plain)")
        #expect(mask.r < 20 && mask.g < 20 && mask.b < 20, "\(mask)")
        // Shapes partly or wholly outside the picture, or not numbers at all, draw what is
        // inside and nothing else (a box at the bottom edge once crashed the encoder).
        let odd = try JPEGEncoder().encode(frame, overlays: [
            Overlay(points: [(0.5, 0.9), (0.5, 1.4), (1.3, 1.4)], closed: true, colour: .cyan),
            Overlay(points: [(-0.5, -0.5), (-0.2, -0.9)], closed: false, colour: .green),
            Overlay(points: [(.nan, 0.5), (0.5, .infinity)], closed: false, colour: .red),
            Overlay(points: [(1.0, 1.0)], closed: false, colour: .yellow),
        ])
        #expect(Array(odd.prefix(2)) == [0xFF, 0xD8])
    }

    @Test func aMissingFileIsAClearError() {
        #expect {
            _ = try VideoReader(url: "/nonexistent/clip.mp4", options: .init(), interrupt: InterruptState())
        } throws: { error in
            (error as? FFmpegError)?.function == "avformat_open_input" && "\(error)".contains("No such file")
        }
    }

    @Test func aTruncatedFileDecodesWhatItCanAndEnds() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // An MPEG-TS stream cut in the middle, as a recording interrupted by a power cut.
        try Clips.testPattern(dir.path("clip.ts"), seconds: 3, size: "320x240", fps: 10)
        let full = try Data(contentsOf: URL(fileURLWithPath: dir.path("clip.ts")))
        try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: dir.path("cut.ts")))
        let reader = try VideoReader(url: dir.path("cut.ts"), options: .init(), interrupt: InterruptState())
        var count = 0
        while try reader.nextFrame() != nil { count += 1 }
        #expect(count > 5 && count < 30)
    }
}

/// A TCP port that accepts connections and never says anything: a hung camera.
final class SilentListener {
    let fd: Int32
    let port: Int
    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 8) == 0 else {
            close(fd)
            throw CommandFailed(command: "bind", status: errno, output: "")
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.fd = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
    }
    deinit { close(fd) }
}

@Suite(.serialized) struct InterruptTests {
    @Test func openingASilentCameraGivesUpAtTheDeadline() throws {
        let listener = try SilentListener()
        var options = VideoReader.Options()
        options.input.openTimeout = 1.5
        options.input.socketTimeout = 30
        let started = Date()
        #expect {
            _ = try VideoReader(url: "rtsp://user:pw@127.0.0.1:\(listener.port)/cam", options: options, interrupt: InterruptState())
        } throws: { error in
            "\(error)".contains("timed out")
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 1.4 && elapsed < 5, "took \(elapsed) s")
    }

    @Test func stopEndsAPauseAtOnceAndAStoppedStateNeverPauses() {
        let interrupt = InterruptState()
        let stopper = Thread { usleep(300_000); interrupt.stop() }
        let started = Date()
        stopper.start()
        interrupt.pause(seconds: 30)
        #expect(Date().timeIntervalSince(started) < 5)
        let again = Date()
        interrupt.pause(seconds: 30)
        #expect(Date().timeIntervalSince(again) < 1)
    }

    @Test func stopInterruptsABlockingOpenAtOnce() throws {
        let listener = try SilentListener()
        var options = VideoReader.Options()
        options.input.openTimeout = 60
        let interrupt = InterruptState()
        let stopper = Thread { usleep(300_000); interrupt.stop() }
        let started = Date()
        stopper.start()
        #expect {
            _ = try VideoReader(url: "rtsp://127.0.0.1:\(listener.port)/cam", options: options, interrupt: interrupt)
        } throws: { error in
            "\(error)".contains("stopped")
        }
        #expect(Date().timeIntervalSince(started) < 2)
    }
}

@Suite struct RedactionTests {
    @Test(arguments: [
        ("rtsp://admin:12345@10.0.0.2:554/Streaming/101", "rtsp://***@10.0.0.2:554/Streaming/101"),
        ("rtsp://10.0.0.2/live", "rtsp://10.0.0.2/live"),
        ("open rtsp://u:p@h/x failed; retry rtsp://v:q@k/y", "open rtsp://***@h/x failed; retry rtsp://***@k/y"),
        ("rtsp://user:p%40ss@cam.local", "rtsp://***@cam.local"),
        ("/var/lib/clip.mp4", "/var/lib/clip.mp4"),
    ])
    func removesCredentials(input: String, expected: String) {
        #expect(Redaction.redact(input) == expected)
    }

    /// Redaction must not depend on the URL being well formed: everything between `://` and the
    /// last `@` of the token (up to whitespace or a quote) goes, whatever the password holds.
    @Test(arguments: [
        ("rtsp://cam:Mn/Op9Secret@host/cam", "rtsp://***@host/cam"),
        ("rtsp://cam:Mn?Op9Secret@host/cam", "rtsp://***@host/cam"),
        ("rtsp://cam:Mn#Op9Secret@host/cam", "rtsp://***@host/cam"),
        ("rtsp://cam:Mn@Op9Secret@host:554/cam", "rtsp://***@host:554/cam"),
        ("rtsp://cam:a/b?c#d@e@host/cam?x=1", "rtsp://***@host/cam?x=1"),
        ("stream down: rtsp://cam:Mn/Op9Secret@10.0.0.2/cam: timed out", "stream down: rtsp://***@10.0.0.2/cam: timed out"),
        ("[rtsp @ 0x55d0] method DESCRIBE failed: 401 rtsp://u:p/w@h/x", "[rtsp @ 0x55d0] method DESCRIBE failed: 401 rtsp://***@h/x"),
        ("{\"source\":\"rtsp://u:p/w@h/x\",\"owner\":\"a@b\"}", "{\"source\":\"rtsp://***@h/x\",\"owner\":\"a@b\"}"),
        ("a rtsp://u:p/w@h/x and 'rtsps://v:q?r@k/y' then mail@example.org", "a rtsp://***@h/x and 'rtsps://***@k/y' then mail@example.org"),
        ("rtsp://h/x\nuser@example.org", "rtsp://h/x\nuser@example.org"),
        ("rtsp://u:p@h/x?next=rtsp://v:q/r@k/y", "rtsp://***@k/y"),
    ])
    func removesCredentialsThatAreNotValidURLs(input: String, expected: String) {
        #expect(Redaction.redact(input) == expected)
        #expect(!Redaction.redact(input).contains("Secret"))
    }

    /// Messenger robots carry their key in the query: those values go, other parameters stay.
    @Test(arguments: [
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-Secret", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"),
        ("POST https://oapi.dingtalk.com/robot/send?access_token=abcSecret&timestamp=1&sign=xSecret%3D failed",
         "POST https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=1&sign=*** failed"),
        ("http://h/x?page=2&Token=Secret#frag", "http://h/x?page=2&Token=***#frag"),
        ("\"url\":\"https://h/hook?secret=Secret\"", "\"url\":\"https://h/hook?secret=***\""),
        ("https://u:Secret@h/hook?key=Secret&v=1", "https://***@h/hook?key=***&v=1"),
        ("a=b&c=d keyboard=1", "a=b&c=d keyboard=1"),
        ("https://h/x?client_secret=Secret&appKey=Secret2&accessToken=Secret3&page=1", "https://h/x?client_secret=***&appKey=***&accessToken=***&page=1"),
    ])
    func removesKeysFromQueries(input: String, expected: String) {
        #expect(Redaction.redact(input) == expected)
        #expect(!Redaction.redact(input).contains("Secret"))
    }
}

@Suite struct FFmpegErrorTests {
    @Test func describesCodesWithFFmpegsMessage() {
        let e = FFmpegError(code: -2, function: "avformat_open_input")
        #expect(e.description == "avformat_open_input: No such file or directory")
    }
}

@Suite struct RecordBufferTests {
    func packet(_ t: Double?, key: Bool, size: Int = 100) -> RecordedPacket {
        RecordedPacket(data: [UInt8](repeating: 0, count: size), pts: t, dts: t, duration: 0.1, isKeyframe: key)
    }

    @Test func startsAtAKeyframeAndDropsWholeGroupsFromTheFront() {
        var buffer = RecordBuffer(maxSeconds: 2, maxBytes: 1_000_000)
        buffer.append(packet(0, key: false))
        #expect(buffer.packets.isEmpty && buffer.dropped == 1)
        // Keyframe every second at 10 packets a second, for 5 seconds.
        for i in 1...50 { buffer.append(packet(Double(i) / 10, key: i % 10 == 0)) }
        #expect(buffer.packets.first?.isKeyframe == true)
        #expect(buffer.seconds <= 2 && buffer.seconds >= 1)
        #expect(buffer.bytes == buffer.packets.count * 100)
    }

    @Test func staysUnderItsByteBound() {
        var buffer = RecordBuffer(maxSeconds: 100, maxBytes: 2_500)
        for i in 0..<100 { buffer.append(packet(Double(i) / 10, key: i % 10 == 0)) }
        #expect(buffer.bytes <= 2_500)
        #expect(buffer.packets.first?.isKeyframe == true)
    }

    /// Ten minutes of a 25 fps stream with groups of 1 to 4 s and packets of varying size:
    /// the bytes never pass the bound, the buffer always starts at a keyframe, and once the
    /// stream is older than the pre-roll the first keyframe reaches back at least that far.
    @Test func keepsItsPreRollWithinItsByteBoundOverTenMinutes() {
        let bound = 1_000_000
        var buffer = RecordBuffer(maxSeconds: 6, maxBytes: bound, keepSeconds: 5)
        var r: UInt64 = 5
        var nextKey = 0.0
        var shortOfPreRoll = 0
        for i in 0..<(25 * 600) {
            let t = Double(i) / 25
            r = r &* 6364136223846793005 &+ 1442695040888963407
            let key = t >= nextKey
            if key { nextKey = t + Double(1 + (r >> 33) % 4) }
            buffer.append(packet(t, key: key, size: key ? 20_000 : 500 + Int((r >> 40) % 2_000)))
            #expect(buffer.bytes <= bound)
            #expect(buffer.packets.first?.isKeyframe == true)
            #expect(buffer.bytes == buffer.packets.reduce(0) { $0 + $1.data.count })
            if t >= 10, let first = buffer.packets.first?.time, t - first < 5 { shortOfPreRoll += 1 }
        }
        #expect(shortOfPreRoll == 0)
        // The time bound still trims: at most the pre-roll and one group (4 s) behind.
        #expect(buffer.seconds <= 5 + 4)
    }

    @Test func byteBoundWinsOverThePreRoll() {
        var buffer = RecordBuffer(maxSeconds: 100, maxBytes: 2_500, keepSeconds: 50)
        for i in 0..<100 { buffer.append(packet(Double(i) / 10, key: i % 10 == 0)) }
        #expect(buffer.bytes <= 2_500)
        #expect(buffer.packets.first?.isKeyframe == true)
    }

    @Test func startsAgainWhenTimeGoesBack() {
        var buffer = RecordBuffer(maxSeconds: 100, maxBytes: 1_000_000)
        for i in 0..<30 { buffer.append(packet(100 + Double(i) / 10, key: i % 10 == 0)) }
        buffer.append(packet(0, key: false))
        #expect(buffer.packets.isEmpty)
        buffer.append(packet(0.1, key: true))
        #expect(buffer.packets.count == 1 && buffer.newestTime == 0.1)
    }

    @Test func measuresTimeFromTheFirstStampedPacket() {
        var buffer = RecordBuffer(maxSeconds: 100, maxBytes: 1_000_000)
        buffer.append(packet(nil, key: true))
        for i in 1...10 { buffer.append(packet(Double(i), key: false)) }
        #expect(buffer.seconds == 9)
    }
}

@Suite struct KeyframeTests {
    @Test func findsH264IDRPicturesInAnnexBAndLengthPrefixedPackets() {
        let idr: [UInt8] = [0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 1, 0x65, 9, 9]
        let p: [UInt8] = [0, 0, 0, 1, 0x41, 9, 9]
        #expect(Keyframes.isRandomAccess(idr, codec: .h264))
        #expect(!Keyframes.isRandomAccess(p, codec: .h264))
        let avcc: [UInt8] = [0, 0, 0, 2, 0x65, 1]
        #expect(Keyframes.isRandomAccess(avcc, codec: .h264))
    }

    /// The first slice decides: what follows it is the picture's data, never read.
    @Test func theFirstSliceDecides() {
        let aud: [UInt8] = [0, 0, 0, 1, 0x09, 0xF0]
        let idr = aud + [0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 1, 0x06, 5, 0, 0, 1, 0x65] + [UInt8](repeating: 0xAB, count: 100_000)
        #expect(Keyframes.isRandomAccess(idr, codec: .h264))
        // A P slice whose data happens to hold an IDR-looking start code further on.
        let p = aud + [0, 0, 0, 1, 0x41, 9, 9, 0, 0, 1, 0x65, 1]
        #expect(!Keyframes.isRandomAccess(p, codec: .h264))
        // Start codes found after runs of other bytes (the scan skips three at a time).
        for gap in 0..<6 {
            let shifted = aud + [UInt8](repeating: 7, count: gap) + [0, 0, 1, 0x65, 1]
            #expect(Keyframes.isRandomAccess(shifted, codec: .h264), "\(gap)")
        }
        #expect(!Keyframes.isRandomAccess([0, 0, 1, 0x67, 0, 0, 1, 0x68], codec: .h264), "parameter sets alone are no picture")
    }

    @Test func findsH265IRAPPictures() {
        // NAL type 19 (IDR_W_RADL): header byte 19 << 1 = 0x26.
        #expect(Keyframes.isRandomAccess([0, 0, 1, 0x26, 1, 0xAA], codec: .h265))
        // NAL type 1 (TRAIL_R): 0x02.
        #expect(!Keyframes.isRandomAccess([0, 0, 1, 0x02, 1, 0xAA], codec: .h265))
    }

    @Test func readsRealPacketsOfAClip() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Clips.testPattern(dir.path("clip.ts"), seconds: 3, size: "160x120", fps: 10)
        let reader = try PacketReader(url: dir.path("clip.ts"), options: .init(), stallTimeout: 5, interrupt: InterruptState())
        var keys: [Int] = []
        var i = 0
        while let p = try reader.next() {
            if p.isKeyframe { keys.append(i) }
            i += 1
        }
        #expect(i == 30)
        #expect(keys == [0, 10, 20])
    }
}

@Suite struct PacketTapTests {
    /// The detect stream's reader hands a copy of every packet to its tap before decoding:
    /// the same packets the record stream's reader gives, and times that keep advancing
    /// when a file loops.
    @Test func seesEveryPacketAndKeepsTimeAdvancingAcrossLoops() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Clips.testPattern(dir.path("clip.mp4"), seconds: 2, size: "160x120", fps: 10)
        var options = VideoReader.Options()
        options.loop = true
        let reader = try VideoReader(url: dir.path("clip.mp4"), options: options, interrupt: InterruptState())
        #expect(reader.parameters.codec == "h264" && reader.parameters.width == 160)
        final class Seen: @unchecked Sendable { var packets: [RecordedPacket] = [] }
        let seen = Seen()
        reader.packetTap = { seen.packets.append($0) }
        var frames = 0
        while frames < 50, try reader.nextFrame() != nil { frames += 1 }
        #expect(seen.packets.count >= 50 && seen.packets.count == reader.stats.packets)
        #expect(reader.stats.loops >= 2)
        let keys = seen.packets.indices.filter { seen.packets[$0].isKeyframe }
        #expect(Array(keys.prefix(4)) == [0, 10, 20, 30])
        let times = seen.packets.compactMap(\.dts)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 }, "\(times)")
        let records = try PacketReader(url: dir.path("clip.mp4"), options: .init(), stallTimeout: 5, interrupt: InterruptState())
        var i = 0
        while let p = try records.next() {
            #expect(p.data == seen.packets[i].data && p.isKeyframe == seen.packets[i].isKeyframe)
            i += 1
        }
        #expect(i == 20)
    }
}

@Suite struct TextStampTests {
    /// The stamp is really in the picture: decoded back, its corner is a dark band with light
    /// glyphs in it, where the same frame without a stamp is the clip's flat gray.
    @Test func snapshotsCarryTheCameraAndTheTimeInChinese() throws {
        let dir = try TemporaryDirectory("gw-stamp")
        defer { dir.remove() }
        try runCommand(Clips.ffmpeg, ["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x808080:s=640x360:r=10:d=1", "-pix_fmt", "yuv420p", dir.path("clip.mp4")])
        let reader = try VideoReader(url: dir.path("clip.mp4"), options: .init(), interrupt: InterruptState())
        let frame = try #require(try reader.nextFrame())
        let encoder = try JPEGEncoder()
        #expect(encoder.canStamp, "no CJK font: install fonts-wqy-microhei")
        let stamped = try encoder.encode(frame, stamp: "东门 gate  2026-11-30 08:00:03 +08:00")
        let plain = try encoder.encode(frame)
        try Data(stamped).write(to: URL(fileURLWithPath: dir.path("stamped.jpg")))
        try Data(plain).write(to: URL(fileURLWithPath: dir.path("plain.jpg")))
        // The top-left 300×24 pixels as gray, decoded by ffmpeg.
        func corner(_ file: String) throws -> [UInt8] {
            let raw = dir.path(file + ".gray")
            try runCommand(Clips.ffmpeg, ["-v", "error", "-y", "-i", dir.path(file), "-vf", "crop=300:24:0:0", "-f", "rawvideo", "-pix_fmt", "gray", raw])
            return Array(try Data(contentsOf: URL(fileURLWithPath: raw)))
        }
        let with = try corner("stamped.jpg"), without = try corner("plain.jpg")
        #expect(without.allSatisfy { (120...136).contains($0) })
        #expect(with.filter { $0 < 60 }.count > with.count / 3, "no dark band")
        #expect(with.filter { $0 > 200 }.count > 100, "no light glyphs")
        if let keep = ProcessInfo.processInfo.environment["GRIDWATCH_KEEP_STAMP"] {
            try Data(stamped).write(to: URL(fileURLWithPath: keep))
        }
    }
}
