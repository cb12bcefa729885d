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
        var servers: [RTSPServer] = []
        defer { servers.forEach { $0.stop() } }
        var cameras = ""
        for (name, filter, two) in scenes {
            try Self.scene(dir.path("\(name).mp4"), filter: filter, twoInputs: two)
            let server = try RTSPServer(file: dir.path("\(name).mp4"), path: "/\(name)", user: "admin", password: "s3cret")
            servers.append(server)
            cameras += """
                  - id: \(name)
                    name: 西门 \(name)
                    grid: village
                    source: \(server.url.replacingOccurrences(of: "rtsp://", with: "rtsp://admin:s3cret@"))

                """
        }
        let daemon = try DaemonHarness(dir: dir, body: """
            grids:
              - id: village
                name: 东村
            cameras:
            \(cameras)
            """)
        defer { daemon.stop() }
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
            let camera = try #require(daemon.camera(reason))
            #expect(camera.tampered == [reason] && camera.sceneMode == "day", "\(camera)")
        }
        // The untouched camera: no tamper, and no intrusion was raised by the others while tampered.
        #expect(tickets.allSatisfy { $0.cameraId != "plain" })
        #expect(daemon.camera("plain")?.tampered == [])
        let chinese = try runCommand(Paths.executable("gridwatchctl").path, ["tickets", "--category", "camera_tamper", "--socket", dir.path("control.sock")],
                                     environment: ["LANG": "zh_CN.UTF-8", "COLUMNS": "200"])
        #expect(chinese.contains("摄像头被遮挡：西门 covered") && chinese.contains("摄像头异常"), "\(chinese)")
        #expect(!daemon.log.contains("s3cret"))
    }
}
