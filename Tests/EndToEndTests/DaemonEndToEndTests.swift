import ControlClient
import ControlProtocol
import Foundation
import Testing
import TestSupport

/// The real daemon binary, on a real RTSP server, answering on a real Unix socket.
@Suite(.serialized) struct DaemonEndToEndTests {
    @Test func aBoxWalkingIntoAZoneRaisesExactlyOneTicketWithASnapshot() throws {
        let dir = try TemporaryDirectory("gw-e2e")
        defer { dir.remove() }
        // Given a camera served over RTSP in which one box walks into a zone and out again,
        try Clips.walkingBox(dir.path("walk.mp4"), seconds: 20, start: 2)
        let server = try RTSPServer(file: dir.path("walk.mp4"))
        defer { server.stop() }
        let cameraURL = server.url.replacingOccurrences(of: "rtsp://", with: "rtsp://viewer:hunter2@")
        // and a second camera whose address does not answer,
        // (a free port: nothing listens there)
        let deadURL = "rtsp://admin:s3cret@127.0.0.1:\(freePort())/live"
        try """
            daemon:
              data_dir: data
              socket: control.sock
            grids:
              - id: g1
                name: 东村
            cameras:
              - id: walk
                name: 东门
                grid: g1
                source: \(cameraURL)
                zones:
                  - id: z1
                    name: 河堤
                    polygon: [[0.45, 0.5], [0.7, 0.5], [0.7, 0.95], [0.45, 0.95]]
                tripwires:
                  - id: l1
                    name: 桥头
                    a: [0.3, 0.5]
                    b: [0.3, 0.95]
                    direction: b_to_a
                    purpose: corrections
                masks:
                  privacy:
                    - [[0.0, 0.0], [0.2, 0.0], [0.2, 0.3], [0.0, 0.3]]
              - id: dead
                grid: g1
                source: \(deadURL)
                open_timeout: 2
            """.write(toFile: dir.path("gridwatch.yml"), atomically: true, encoding: .utf8)

        // When the daemon runs on them
        let daemon = try ChildProcess(Paths.executable("gridwatchd").path, ["run", "--config", dir.path("gridwatch.yml")], logPath: dir.path("daemon.log"))
        defer { daemon.stop() }
        let client = ControlClient(socketPath: dir.path("control.sock"), timeout: 10)
        #expect(waitUntil(timeout: 30) { (try? client.get("/v1/health", as: HealthResponse.self)) != nil }, "socket never answered: \(daemon.log)")

        // until the box has walked through the zone and left the frame (12 s of stream at the
        // default 10 fps; 60 frames, enough at the old 5 fps, end before the box reaches the zone)
        let analysedEnough = waitUntil(timeout: 90) {
            let cameras = (try? client.get("/v1/cameras", as: CameraList.self))?.cameras ?? []
            return (cameras.first { $0.id == "walk" }?.framesAnalysed ?? 0) >= 120
        }
        #expect(analysedEnough, "\(daemon.log)")

        // Then there is exactly one ticket for that zone, in state new,
        let list = try client.get("/v1/tickets?zone=z1", as: TicketList.self)
        #expect(list.total == 1, "\(list)\n\((try? client.getBytes("/v1/cameras")).map { String(decoding: $0, as: UTF8.self) } ?? "")\n\(daemon.log)")
        let ticket = try #require(list.tickets.first)
        // and one for the line it crossed on the way (left to right: from side B to side A).
        let all = try client.get("/v1/tickets", as: TicketList.self)
        #expect(all.total == 2, "\(all)")
        let crossing = try #require(all.tickets.first { $0.kind == "crossing" })
        #expect(crossing.tripwireId == "l1" && crossing.category == .corrections && crossing.title.contains("越线"))
        let crossingDetail = try client.get("/v1/tickets/\(crossing.id)", as: TicketDetail.self)
        #expect(crossingDetail.trajectory.count >= 3)
        #expect(crossingDetail.trajectory.first!.x < 0.3 && crossingDetail.trajectory.last!.x > 0.3)
        #expect(ticket.cameraId == "walk" && ticket.zoneId == "z1" && ticket.gridId == "g1")
        #expect(ticket.state == .new && ticket.category == .intrusion && ticket.hasSnapshot && ticket.kind == "zone_enter")
        let detail = try client.get("/v1/tickets/\(ticket.id)", as: TicketDetail.self)
        #expect(detail.events.map(\.kind) == ["created"])

        // with a full-resolution JPEG that decodes
        let jpeg = try client.getBytes("/v1/tickets/\(ticket.id)/snapshot")
        let snapshot = dir.path("snapshot.jpg")
        try Data(jpeg).write(to: URL(fileURLWithPath: snapshot))
        let probe = try runCommand("/usr/bin/ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", snapshot])
        #expect(probe.trimmingCharacters(in: .whitespacesAndNewlines) == "mjpeg,640,360")
        try runCommand("/usr/bin/ffmpeg", ["-v", "error", "-i", snapshot, "-f", "null", "-"])
        // The privacy mask (top-left corner) is black in the picture; the rest is not.
        let gray = try runCommand("/usr/bin/ffmpeg", ["-v", "error", "-i", snapshot, "-vf", "crop=64:54:32:27,scale=1:1,format=gray", "-f", "rawvideo", "-"])
        let rest = try runCommand("/usr/bin/ffmpeg", ["-v", "error", "-i", snapshot, "-vf", "crop=64:54:400:27,scale=1:1,format=gray", "-f", "rawvideo", "-"])
        #expect(gray.utf8.first.map { $0 < 20 } == true && rest.utf8.first.map { $0 > 60 } == true)

        // The dead camera is retrying on its own, and the good one was never disturbed.
        let cameras = try client.get("/v1/cameras", as: CameraList.self).cameras
        let dead = try #require(cameras.first { $0.id == "dead" })
        #expect(dead.state != "streaming" && dead.framesDecoded == 0)
        #expect(dead.lastError?.isEmpty == false)
        #expect(cameras.first { $0.id == "walk" }?.state == "streaming")

        // Unknown paths and ids get JSON errors.
        let missing = try client.request("GET", "/v1/tickets/999")
        #expect(missing.status == 404)
        #expect(String(decoding: missing.body, as: UTF8.self).contains("no ticket 999"))
        #expect(try client.request("GET", "/v1/nothing").status == 404)
        #expect(try client.request("GET", "/v1/tickets/abc").status == 400)

        // The socket has mode 0660.
        let attributes = try FileManager.default.attributesOfItem(atPath: dir.path("control.sock"))
        #expect((attributes[.posixPermissions] as? Int) == 0o660)

        // Credentials never appear in the API or the log.
        let everything = try [
            client.request("GET", "/v1/cameras").body, client.request("GET", "/v1/tickets").body,
            client.request("GET", "/v1/health").body,
        ].map { String(decoding: $0, as: UTF8.self) }.joined() + daemon.log
        #expect(!everything.contains("hunter2") && !everything.contains("s3cret"))
        #expect(everything.contains("rtsp://***@127.0.0.1"))

        // gridwatchctl shows the ticket, its title in the user's language.
        let ctl = Paths.executable("gridwatchctl").path
        let table = try runCommand(ctl, ["tickets", "--zone", "z1", "--socket", dir.path("control.sock")], environment: ["LANG": "zh_CN.UTF-8"])
        #expect(table.contains("z1") && table.contains("区域闯入") && !table.contains("Zone entry"), "\(table)")
        let english = try runCommand(ctl, ["tickets", "--zone", "z1", "--socket", dir.path("control.sock")], environment: ["LANG": "C.UTF-8"])
        #expect(english.contains("Zone entry") && !english.contains("区域闯入"), "\(english)")

        // SIGTERM stops it cleanly and removes the socket.
        daemon.signal(SIGTERM)
        let status = daemon.wait(timeout: 10)
        #expect(status == 0, "\(daemon.log.suffix(3000))")
        #expect(!FileManager.default.fileExists(atPath: dir.path("control.sock")))
    }

    @Test func aBrokenConfigurationExitsWith78AndNamesFileLineAndKey() throws {
        let dir = try TemporaryDirectory("gw-e2e")
        defer { dir.remove() }
        try "grids:\n  - id: g\ncameras:\n  - id: c\n    grid: g\n    source: rtsp://u:pw@127.0.0.1/x\n    fps: 5\n"
            .write(toFile: dir.path("bad.yml"), atomically: true, encoding: .utf8)
        let daemon = try ChildProcess(Paths.executable("gridwatchd").path, ["run", "--config", dir.path("bad.yml")], logPath: dir.path("err.log"))
        #expect(daemon.wait(timeout: 10) == 78)
        #expect(daemon.log.contains("\(dir.path("bad.yml")):7: cameras[0].fps: unknown key"), "\(daemon.log)")
    }

    @Test func aMissingSocketDirectoryIsOneClearError() throws {
        let dir = try TemporaryDirectory("gw-e2e")
        defer { dir.remove() }
        try "daemon:\n  data_dir: data\n  socket: /nonexistent-gridwatch/control.sock\ngrids:\n  - id: g\n"
            .write(toFile: dir.path("c.yml"), atomically: true, encoding: .utf8)
        let daemon = try ChildProcess(Paths.executable("gridwatchd").path, ["run", "--config", dir.path("c.yml")], logPath: dir.path("err.log"))
        #expect(daemon.wait(timeout: 10) == 69)
        #expect(daemon.log.contains("socket directory /nonexistent-gridwatch does not exist"), "\(daemon.log)")
    }

    @Test func gridwatchctlSaysWhenTheDaemonIsNotRunning() throws {
        let ctl = try ChildProcess(Paths.executable("gridwatchctl").path, ["health", "--socket", "/nonexistent/control.sock"], logPath: NSTemporaryDirectory() + "ctl-\(UUID().uuidString.prefix(6)).log")
        #expect(ctl.wait(timeout: 10) == 3)
        #expect(ctl.log.contains("cannot reach gridwatchd"))
    }
}
