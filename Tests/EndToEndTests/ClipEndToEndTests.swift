import ControlClient
import ControlProtocol
import Foundation
import MediaIO
import Testing
import TestSupport

/// Evidence clips from a real RTSP camera (H.264 and H.265): a box walks into a zone at a
/// known second; the ticket gets a clip of the seconds around it, served with byte ranges.
@Suite(.serialized) struct ClipEndToEndTests {
    struct Camera {
        let dir: TemporaryDirectory
        let server: RTSPServer
        let daemon: ChildProcess
        let client: ControlClient
        func stop() {
            daemon.stop()
            server.stop()
            dir.remove()
        }
    }

    /// A box walks from 2 s to 12 s of a 20 s clip with a keyframe every second: into the
    /// zone at about 5.8 s, over the line at about 6.9 s.
    static func start(codec: String) throws -> Camera {
        let dir = try TemporaryDirectory("gw-clip-e2e")
        try Clips.walkingBox(dir.path("walk.mkv"), seconds: 20, start: 2, codec: codec, fixedGOP: true)
        let server = try RTSPServer(file: dir.path("walk.mkv"), codec: codec == "libx265" ? "h265" : "h264", loop: true)
        try """
            daemon:
              data_dir: data
              socket: control.sock
            clips:
              pre_roll: 3
              post_roll: 5
            grids:
              - id: g1
            cameras:
              - id: walk
                grid: g1
                source: \(server.url)
                zones:
                  - id: z1
                    polygon: [[0.45, 0.5], [0.7, 0.5], [0.7, 0.95], [0.45, 0.95]]
                tripwires:
                  - id: l1
                    a: [0.55, 0.5]
                    b: [0.55, 0.95]
            """.write(toFile: dir.path("gridwatch.yml"), atomically: true, encoding: .utf8)
        let daemon = try ChildProcess(Paths.executable("gridwatchd").path, ["run", "--config", dir.path("gridwatch.yml")], logPath: dir.path("daemon.log"))
        let client = ControlClient(socketPath: dir.path("control.sock"), timeout: 10)
        _ = waitUntil(timeout: 30) { (try? client.get("/v1/health", as: HealthResponse.self)) != nil }
        return Camera(dir: dir, server: server, daemon: daemon, client: client)
    }

    /// The zone's ticket, once raised (its clip still collecting).
    static func zoneTicket(_ camera: Camera) throws -> TicketSummary {
        var ticket: TicketSummary?
        let raised = waitUntil(timeout: 90, interval: 0.2) {
            ticket = (try? camera.client.get("/v1/tickets?zone=z1", as: TicketList.self))?.tickets.first
            return ticket != nil
        }
        #expect(raised, "\(camera.daemon.log)")
        let found = try #require(ticket)
        #expect(found.clip == nil)
        return found
    }

    /// The clip decodes with no error at all.
    static func expectDecodes(_ bytes: [UInt8], in camera: Camera, name: String) throws {
        let file = camera.dir.path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let errors = try Clips.decodeErrors(file)
        #expect(errors.isEmpty, "\(errors)")
    }

    /// How many luma pixels are brighter than the scene's gray (the box is near white on
    /// 0x70), and their mean column, at 320 px wide.
    static func bright(_ frame: VideoFrame) throws -> (count: Int, x: Double) {
        let gray = try GrayScaler(width: 320).gray(frame)
        var n = 0, sum = 0
        for (i, p) in gray.pixels.enumerated() where p > 180 {
            n += 1
            sum += i % gray.width
        }
        return (n, n > 0 ? Double(sum) / Double(n) : -1)
    }

    @Test(arguments: ["libx264", "libx265"])
    func theTicketCarriesAClipOfTheSecondsAroundTheEvent(codec: String) throws {
        let camera = try Self.start(codec: codec)
        defer { camera.stop() }
        let client = camera.client
        // The crossing's clip: the line is crossed and done with.
        var ticket: TicketSummary?
        let clipped = waitUntil(timeout: 90, interval: 0.5) {
            ticket = (try? client.get("/v1/tickets", as: TicketList.self))?.tickets.first { $0.tripwireId == "l1" }
            return ticket?.clip != nil
        }
        #expect(clipped, "\(camera.daemon.log)")
        let t = try #require(ticket)
        let info = try #require(t.clip)
        #expect(info.end == "complete")
        // 3 s before (back to a keyframe: one a second) and 5 s after.
        #expect(info.seconds >= 8 - 0.15 && info.seconds <= 9 + 0.15, "\(info)")
        #expect(info.eventOffset >= 3 - 0.15 && info.eventOffset <= 4 + 0.15, "\(info)")
        // The zone's clip runs on while the box is in the picture (it leaves at 12 s): from
        // before 2.8 s to after 17 s.
        var zone: TicketSummary?
        #expect(waitUntil(timeout: 60, interval: 0.5) {
            zone = (try? client.get("/v1/tickets?zone=z1", as: TicketList.self))?.tickets.first
            return zone?.clip != nil
        })
        let lasting = try #require(zone?.clip)
        #expect(lasting.seconds >= 13 && lasting.seconds <= 16, "\(lasting)")

        let bytes = try client.getBytes("/v1/tickets/\(t.id)/clip")
        #expect(Int64(bytes.count) == info.bytes)
        let file = camera.dir.path("clip.mp4")
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let probe = try runProcess(Clips.ffprobe, ["-v", "error", "-show_entries", "format=start_time,duration:stream=codec_name:format_tags=comment",
                                                   "-of", "default=noprint_wrappers=1", file])
        #expect(probe.status == 0)
        #expect(probe.output.contains("camera=walk ticket=\(t.id) event=20"), "\(probe.output)")
        #expect(probe.output.contains("end=complete"), "\(probe.output)")
        #expect(probe.output.contains("start_time=0.000000"), "\(probe.output)")
        #expect(probe.output.contains("codec_name=\(codec == "libx265" ? "hevc" : "h264")"), "\(probe.output)")
        try Self.expectDecodes(bytes, in: camera, name: "decoded.mp4")

        // The picture at the event's offset shows the box on the line (x = 0.55: column 176
        // of 320); the first picture shows it about 3 s (90 columns) before, further left.
        let reader = try VideoReader(url: file, options: .init(), interrupt: InterruptState())
        var first: (count: Int, x: Double)?
        var atEvent: (count: Int, x: Double)?
        while let frame = try reader.nextFrame() {
            if first == nil { first = try Self.bright(frame) }
            if atEvent == nil, frame.time >= info.eventOffset - 0.05 { atEvent = try Self.bright(frame) }
        }
        let event = try #require(atEvent), start = try #require(first)
        #expect(event.count >= 400 && abs(event.x - 176) <= 20, "\(event)")
        #expect(start.count >= 400 && event.x - start.x >= 80, "\(start) \(event)")
        let packets = try PacketReader(url: file, options: .init(), stallTimeout: 5, interrupt: InterruptState())
        #expect(try packets.next()?.isKeyframe == true)

        // A byte range: 206 with exactly those bytes; one beyond the end: 416.
        let socket = try RawSocket(path: camera.dir.path("control.sock"))
        try socket.send("GET /v1/tickets/\(t.id)/clip HTTP/1.1\r\nHost: x\r\nRange: bytes=100-1099\r\n\r\n")
        let part = try socket.readResponse()
        #expect(part.status == 206)
        #expect(part.header("content-range") == "bytes 100-1099/\(bytes.count)")
        #expect(part.header("accept-ranges") == "bytes")
        #expect(part.body == Array(bytes[100...1099]))
        try socket.send("GET /v1/tickets/\(t.id)/clip HTTP/1.1\r\nHost: x\r\nRange: bytes=-500\r\n\r\n")
        let tail = try socket.readResponse()
        #expect(tail.status == 206 && tail.body == Array(bytes.suffix(500)))
        try socket.send("GET /v1/tickets/\(t.id)/clip HTTP/1.1\r\nHost: x\r\nRange: bytes=\(bytes.count)-\r\n\r\n")
        let beyond = try socket.readResponse()
        #expect(beyond.status == 416 && beyond.header("content-range") == "bytes */\(bytes.count)")

        // The history says a clip was kept; gridwatchctl saves the same bytes.
        let detail = try client.get("/v1/tickets/\(t.id)", as: TicketDetail.self)
        #expect(detail.events.contains { $0.kind == "clip" })
        let saved = camera.dir.path("saved.mp4")
        let ctl = try runProcess(Paths.executable("gridwatchctl").path, ["--socket", camera.dir.path("control.sock"), "clip", "\(t.id)", "-o", saved])
        #expect(ctl.status == 0, "\(ctl.output)")
        #expect(FileManager.default.contents(atPath: saved).map { [UInt8]($0) } == bytes)
    }

    /// Stopping the daemon while a clip is collecting finishes it with what has arrived;
    /// it is attached before the daemon exits.
    @Test func aStopInTheMiddleOfAClipFinishesIt() throws {
        let camera = try Self.start(codec: "libx264")
        defer { camera.stop() }
        let client = camera.client
        // The ticket exists (the box entered) but its clip is still collecting (post-roll 5 s).
        let id = try Self.zoneTicket(camera).id
        camera.daemon.signal(SIGTERM)
        #expect(camera.daemon.wait(timeout: 30) == 0, "\(camera.daemon.log)")
        // Clips are written as their packets come (under `.partial` until finished): the
        // stop finished them all. An unfinished file, as a daemon killed while writing
        // leaves, is removed when it starts again.
        let yesterday = Date().addingTimeInterval(-86_400).formatted(.iso8601.year().month().day().dateSeparator(.dash))
        let day = camera.dir.path("data/snapshots/" + yesterday.replacingOccurrences(of: "-", with: "/"))
        try FileManager.default.createDirectory(atPath: day, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: day + "/clip-killed.mp4.partial", contents: Data("mdat".utf8)))
        let files = try FileManager.default.subpathsOfDirectory(atPath: camera.dir.path("data/snapshots"))
        #expect(files.filter { $0.hasSuffix(".partial") } == [yesterday.replacingOccurrences(of: "-", with: "/") + "/clip-killed.mp4.partial"], "\(files)")
        // Started again on the same data: the clip is there, ended by the stop.
        let again = try ChildProcess(Paths.executable("gridwatchd").path, ["run", "--config", camera.dir.path("gridwatch.yml")], logPath: camera.dir.path("daemon2.log"))
        defer { again.stop() }
        #expect(waitUntil(timeout: 30) { (try? client.get("/v1/health", as: HealthResponse.self)) != nil })
        let after = try client.get("/v1/tickets/\(id)", as: TicketDetail.self)
        let clip = try #require(after.ticket.clip, "\(camera.daemon.log)")
        #expect(clip.end == "stopped")
        #expect(clip.seconds >= 3 && clip.seconds < 8.5, "\(clip)")
        #expect(waitUntil(timeout: 10) { !FileManager.default.fileExists(atPath: day + "/clip-killed.mp4.partial") })
        try Self.expectDecodes(try client.getBytes("/v1/tickets/\(id)/clip"), in: camera, name: "stopped.mp4")
    }

    /// The camera's stream breaking off in the middle of a clip ends it at the gap: it is
    /// written with what arrived, says so, and plays.
    @Test func aStreamBreakingOffEndsTheClipAtTheGap() throws {
        let camera = try Self.start(codec: "libx264")
        defer { camera.stop() }
        let client = camera.client
        let id = try Self.zoneTicket(camera).id
        camera.server.stop()
        var clip: ClipInfo?
        #expect(waitUntil(timeout: 60, interval: 0.5) {
            clip = (try? client.get("/v1/tickets/\(id)", as: TicketDetail.self))?.ticket.clip
            return clip != nil
        }, "\(camera.daemon.log)")
        #expect(clip?.end == "gap")
        // From before the event to the gap (the server takes up to its 5 s grace to go):
        // shorter than the 15 s the clip runs uninterrupted (the box is in the picture to 12 s).
        #expect((clip?.seconds ?? 0) >= 3 && (clip?.seconds ?? 99) < 12, "\(String(describing: clip))")
        let detail = try client.get("/v1/tickets/\(id)", as: TicketDetail.self)
        #expect(detail.events.contains { $0.kind == "clip" })
        try Self.expectDecodes(try client.getBytes("/v1/tickets/\(id)/clip"), in: camera, name: "gap.mp4")
    }
}
