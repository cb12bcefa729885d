import ControlClient
import ControlProtocol
import Foundation
import Testing
import TestSupport

/// Real footage (Debian opencv-doc's vtest.avi, fetched by `make test` into .cache/demo)
/// tampered with at 12 s by ffmpeg's filters, served over real RTSP: each reason raises its
/// own camera_tamper ticket with a snapshot, and the untouched camera raises none.
@Suite(.serialized) struct TamperEndToEndTests {
    static let vtest = Paths.packageRoot.appendingPathComponent(".cache/demo/vtest.avi").path

    /// The first 40 s of vtest.avi with `filter` from 12 s on.
    static func scene(_ path: String, filter: [String], twoInputs: Bool = false) throws {
        var args = ["-v", "error", "-y", "-t", "40", "-i", vtest]
        if twoInputs { args += ["-t", "40", "-i", vtest] }
        args += filter + ["-an", "-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "10", "-pix_fmt", "yuv420p", path]
        try runCommand(Clips.ffmpeg, args)
    }

    /// Serves `dir/NAME.mp4` for each name over RTSP (user admin, password s3cret) and starts
    /// a daemon watching one camera per clip, named `label NAME`, each with `extra` (YAML
    /// lines under the camera, indented as its keys).
    static func watch(_ names: [String], in dir: TemporaryDirectory, label: String, extra: String = "") throws -> (DaemonHarness, [RTSPServer]) {
        var servers: [RTSPServer] = []
        do {
            var cameras = ""
            for name in names {
                let server = try RTSPServer(file: dir.path("\(name).mp4"), path: "/\(name)", user: "admin", password: "s3cret")
                servers.append(server)
                cameras += """
                      - id: \(name)
                        name: \(label) \(name)
                        grid: village
                        source: \(server.url.replacingOccurrences(of: "rtsp://", with: "rtsp://admin:s3cret@"))
                    \(extra)

                    """
            }
            let daemon = try DaemonHarness(dir: dir, body: """
                grids:
                  - id: village
                    name: 东村
                cameras:
                \(cameras)
                """)
            return (daemon, servers)
        } catch {
            servers.forEach { $0.stop() }
            throw error
        }
    }

    @Test func eachTamperRaisesItsOwnTicketWithAPicture() throws {
        try #require(FileManager.default.fileExists(atPath: Self.vtest), "make test fetches \(Self.vtest)")
        let dir = try TemporaryDirectory("gw-tamper")
        defer { dir.remove() }
        let scenes: [(String, [String], Bool)] = [
            ("covered", ["-vf", "drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='gte(t,12)'"], false),
            ("defocused", ["-vf", "gblur=sigma=10:enable='gte(t,12)'"], false),
            ("moved", ["-vf", "crop=w=iw-120:h=ih-90:x='if(gte(t,12),120,0)':y='if(gte(t,12),90,0)',scale=768:576"], false),
            ("frozen", ["-filter_complex", "[0][1]freezeframes=first=120:last=400:replace=120"], true),
            ("plain", ["-vf", "null"], false),
        ]
        for (name, filter, two) in scenes {
            try Self.scene(dir.path("\(name).mp4"), filter: filter, twoInputs: two)
        }
        let (daemon, servers) = try Self.watch(scenes.map(\.0), in: dir, label: "西门")
        defer {
            daemon.stop()
            servers.forEach { $0.stop() }
        }
        let tampered = { daemon.tickets("category=camera_tamper").tickets }
        #expect(waitUntil(timeout: 90) { Set(tampered().map(\.kind)).isSuperset(of: ["tamper_covered", "tamper_defocused", "tamper_moved", "tamper_frozen"]) },
                "\(tampered().map(\.kind)) \(daemon.log)")
        let tickets = tampered()
        for reason in ["covered", "defocused", "moved", "frozen"] {
            let mine = tickets.filter { $0.cameraId == reason }
            #expect(mine.map(\.kind) == ["tamper_\(reason)"], "\(reason): \(mine.map(\.kind))")
            guard let ticket = mine.first else { continue }
            #expect(ticket.severity == .high && ticket.hasSnapshot && ticket.title.contains("西门 \(reason)"), "\(ticket)")
            let picture = try daemon.client.request("GET", "/v1/tickets/\(ticket.id)/snapshot")
            #expect(picture.status == 200 && picture.body.starts(with: [0xFF, 0xD8]))
            // The status shows the reason while the picture is tampered with: from a little
            // after 12 s of each 40 s pass of the looping clip (a new pass is a new
            // connection and a new baseline, so a slow machine can ask between the two).
            #expect(waitUntil(timeout: 50) { daemon.camera(reason).map { $0.tampered == [reason] && $0.sceneMode == "day" } ?? false },
                    "\(String(describing: daemon.camera(reason)))")
        }
        // The untouched camera: no tamper, and no intrusion was raised by the others while tampered.
        #expect(tickets.allSatisfy { $0.cameraId != "plain" })
        #expect(daemon.camera("plain")?.tampered == [])
        let chinese = try runCommand(Paths.executable("gridwatchctl").path, ["tickets", "--category", "camera_tamper", "--socket", dir.path("control.sock")],
                                     environment: ["LANG": "zh_CN.UTF-8", "COLUMNS": "200"])
        #expect(chinese.contains("摄像头被遮挡：西门 covered") && chinese.contains("摄像头异常"), "\(chinese)")
        #expect(!daemon.log.contains("s3cret"))
    }

    /// A flame and a plume of smoke drawn on vtest.avi from 12 s (the drawings of `make
    /// eval`'s scenes, Tests/Tools/integrity_eval.py) in a field zone that asks for smoke
    /// and fire: one fire and one smoke ticket, critical, with a picture; the same footage
    /// untouched with smoke and fire on raises nothing.
    @Test func fireAndSmokeRaiseTheirTickets() throws {
        try #require(FileManager.default.fileExists(atPath: Self.vtest), "make test fetches \(Self.vtest)")
        let dir = try TemporaryDirectory("gw-fire")
        defer { dir.remove() }
        let tools = Paths.packageRoot.appendingPathComponent("Tests/Tools").path
        let drawings = try runCommand("/usr/bin/python3", ["-c", "import sys; sys.path.insert(0, sys.argv[1]); import integrity_eval as e; print(e.flame()); print(e.plume())", tools])
            .split(separator: "\n").map(String.init)
        try #require(drawings.count == 2)
        try runCommand(Clips.ffmpeg, [
            "-v", "error", "-y", "-t", "40", "-i", Self.vtest, "-f", "lavfi", "-i", drawings[0], "-f", "lavfi", "-i", drawings[1],
            "-filter_complex", "[1]setpts=PTS+12/TB[f];[2]setpts=PTS+12/TB[s];[0][s]overlay=x=100:y=130:enable='gte(t,12)'[a];[a][f]overlay=x=190:y=370:enable='gte(t,12)'",
            "-t", "40", "-an", "-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "10", "-pix_fmt", "yuv420p", dir.path("burning.mp4"),
        ])
        try runCommand(Clips.ffmpeg, ["-v", "error", "-y", "-t", "40", "-i", Self.vtest, "-an", "-c:v", "libx264", "-preset", "veryfast",
                                      "-g", "10", "-pix_fmt", "yuv420p", dir.path("plain.mp4")])
        let (daemon, servers) = try Self.watch(["burning", "plain"], in: dir, label: "麦田", extra: """
                analysis:
                  fire_smoke: true
                zones:
                  - id: field
                    name: 南坡麦田
                    fire_smoke: true
                    alert_on: []
                    polygon: [[0.0, 0.42], [0.45, 0.62], [0.75, 0.86], [0.80, 1.0], [0.0, 1.0]]
            """)
        defer {
            daemon.stop()
            servers.forEach { $0.stop() }
        }
        let seen = { daemon.tickets("category=fire_smoke").tickets }
        #expect(waitUntil(timeout: 90) { Set(seen().map(\.kind)) == ["fire", "smoke"] }, "\(seen().map(\.kind)) \(daemon.log)")
        let tickets = seen()
        for kind in ["fire", "smoke"] {
            let mine = tickets.filter { $0.kind == kind }
            #expect(mine.count == 1, "\(kind): \(mine)")
            guard let ticket = mine.first else { continue }
            #expect(ticket.cameraId == "burning" && ticket.zoneId == "field" && ticket.severity == .critical && ticket.hasSnapshot, "\(ticket)")
            #expect(ticket.title.contains(kind == "fire" ? "发现火情：南坡麦田 @ 麦田 burning" : "发现烟雾：南坡麦田 @ 麦田 burning"), "\(ticket.title)")
            let picture = try daemon.client.request("GET", "/v1/tickets/\(ticket.id)/snapshot")
            #expect(picture.status == 200 && picture.body.starts(with: [0xFF, 0xD8]))
        }
        // The field raised no intrusion (alert_on: []), and the untouched footage nothing.
        let burning = daemon.tickets("camera=burning").tickets
        #expect(burning.count == 2 && burning.allSatisfy { $0.category.rawValue == "fire_smoke" }, "\(burning)")
        let untouched = daemon.tickets("camera=plain").tickets
        // A false alarm on real footage: what the daemon said of that camera, and its picture
        // kept where it can be looked at.
        var said = ""
        if let first = untouched.first, let picture = try? daemon.client.request("GET", "/v1/tickets/\(first.id)/snapshot"), picture.status == 200 {
            let path = NSTemporaryDirectory() + "gridwatch-false-\(first.kind)-\(getpid()).jpg"
            _ = FileManager.default.createFile(atPath: path, contents: Data(picture.body))
            said = "picture: \(path)\n" + daemon.log.split(separator: "\n").filter { $0.contains("plain") || $0.contains("seen") }.suffix(40).joined(separator: "\n")
        }
        #expect(untouched.isEmpty, "\(untouched.map { ($0.kind, $0.occurredAt) })\n\(said)")
        #expect(!daemon.log.contains("s3cret"))
    }
}
