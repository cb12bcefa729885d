import ControlClient
import ControlProtocol
import Foundation
import Testing
import TestSupport

/// Cameras managed while the daemon runs: reload, switch off and on, current picture.
@Suite(.serialized) struct CameraControlEndToEndTests {
    static func cameraYAML(_ id: String, source: String, extra: String = "") -> String {
        """
          - id: \(id)
            grid: g
            source: \(source)
        \(source.contains("://") ? "" : "    loop: true\n    realtime: true")
        \(extra)
        """
    }

    static func config(_ cameras: [String]) -> String {
        "grids:\n  - id: g\n    name: 网格\ncameras:\n" + cameras.joined(separator: "\n") + "\n"
    }

    @Test func reloadStartsStopsAndRestartsCamerasWithoutInterruptingTheOthers() throws {
        let dir = try TemporaryDirectory("gw-reload")
        defer { dir.remove() }
        try Clips.testPattern(dir.path("clip.mp4"), seconds: 4, size: "320x240")
        let server = try RTSPServer(file: dir.path("clip.mp4"), loop: true)
        defer { server.stop() }
        let clip = dir.path("clip.mp4")
        let daemon = try DaemonHarness(dir: dir, body: Self.config([
            Self.cameraYAML("steady", source: server.url),
            Self.cameraYAML("ruled", source: clip),
            Self.cameraYAML("moved", source: clip),
            Self.cameraYAML("gone", source: clip),
        ]))
        defer { daemon.stop() }
        for id in ["steady", "ruled", "moved", "gone"] {
            #expect(daemon.waitForCamera(id, timeout: 30) { $0.state == "streaming" && $0.framesDecoded > 5 }, "\(id): \(daemon.log)")
        }
        let before = Dictionary(uniqueKeysWithValues: daemon.cameras().map { ($0.id, $0) })
        let metricsBefore = String(decoding: try daemon.client.getBytes("/metrics"), as: UTF8.self)
        #expect(metricsBefore.contains(#"gridwatch_frames_decoded_total{camera="gone"}"#))

        // steady: untouched; ruled: a zone and a new name; moved: another stall timeout; gone: removed; fresh: new.
        let header = "daemon:\n  data_dir: data\n  socket: control.sock\n"
        let body = Self.config([
            Self.cameraYAML("steady", source: server.url),
            Self.cameraYAML("ruled", source: clip, extra: """
                name: 新名字
                zones:
                  - id: yard
                    polygon: [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]]
            """),
            Self.cameraYAML("moved", source: clip, extra: "    stall_timeout: 9"),
            Self.cameraYAML("fresh", source: clip),
        ])
        try (header + body).write(toFile: daemon.configPath, atomically: true, encoding: .utf8)

        // A check says what would change and changes nothing.
        let (checked, plan) = try daemon.client.exchange("POST", "/v1/config/check", as: ConfigReport.self)
        #expect(checked == 200 && plan.valid && !plan.applied)
        #expect(plan.changes?.added == ["fresh"] && plan.changes?.removed == ["gone"])
        #expect(plan.changes?.restarted == ["moved"] && plan.changes?.rulesChanged == ["ruled"] && plan.changes?.unchanged == ["steady"])
        #expect(daemon.camera("gone") != nil && daemon.camera("fresh") == nil)

        let (status, report) = try daemon.client.exchange("POST", "/v1/reload", as: ConfigReport.self)
        #expect(status == 200 && report.applied && report.changes == plan.changes, "\(report)")
        #expect(report.loadedBy.hasPrefix("root (uid 0)"))
        #expect(daemon.waitForCamera("fresh", timeout: 30) { $0.state == "streaming" && $0.framesDecoded > 0 }, "\(daemon.log)")
        #expect(daemon.camera("gone") == nil)
        // Its metrics went with it; the new camera has its own.
        let metricsAfter = String(decoding: try daemon.client.getBytes("/metrics"), as: UTF8.self)
        #expect(!metricsAfter.contains(#"camera="gone""#) && metricsAfter.contains(#"gridwatch_frames_decoded_total{camera="fresh"}"#))
        // Untouched and rules-only cameras kept their connection: counters went on growing
        // from where they were, with no reconnect.
        for id in ["steady", "ruled"] {
            let was = try #require(before[id])
            #expect(daemon.waitForCamera(id, timeout: 10) { $0.framesDecoded > was.framesDecoded + 5 }, "\(id)")
            #expect(daemon.camera(id)?.reconnects == was.reconnects, "\(id)")
        }
        let ruled = try #require(daemon.camera("ruled"))
        #expect(ruled.zones == ["yard"] && ruled.name == "新名字")
        // The camera whose stream settings changed started over.
        #expect(daemon.waitForCamera("moved", timeout: 30) { $0.state == "streaming" })
        #expect((daemon.camera("moved")?.framesDecoded ?? .max) < (before["moved"]?.framesDecoded ?? 0) + 200)
        #expect(daemon.log.contains("rules reloaded"))

        // A broken file is refused with its line and key; the running cameras go on.
        try (header + body + "cameras: [oops\n").write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        let (refusedStatus, refused) = try daemon.client.exchange("POST", "/v1/reload", as: ConfigReport.self, alsoAccepting: [422])
        #expect(refusedStatus == 422 && !refused.valid && !refused.applied)
        #expect(refused.errors.first?.line != nil && refused.errors.first?.file == daemon.configPath, "\(refused.errors)")
        let steadyNow = try #require(daemon.camera("steady"))
        #expect(daemon.waitForCamera("steady", timeout: 10) { $0.framesDecoded > steadyNow.framesDecoded && $0.state == "streaming" })
        #expect(daemon.cameras().count == 4)

        // SIGHUP reloads too (systemctl reload): rename the untouched camera.
        try (header + body.replacingOccurrences(of: "  - id: steady\n", with: "  - id: steady\n    name: 路口\n"))
            .write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        daemon.child.signal(SIGHUP)
        #expect(daemon.waitForCamera("steady", timeout: 10) { $0.name == "路口" }, "\(daemon.log)")
        #expect(daemon.camera("steady")?.reconnects == before["steady"]?.reconnects)
        let (_, current) = try daemon.client.exchange("GET", "/v1/config", as: ConfigReport.self)
        #expect(current.loadedBy == "SIGHUP")
    }

    @Test func aCameraSwitchedOffStaysOffAcrossARestartAndItsPictureHidesPrivacyMasks() throws {
        let dir = try TemporaryDirectory("gw-switch")
        defer { dir.remove() }
        // A bright test pattern; the left half is a privacy mask.
        try Clips.testPattern(dir.path("clip.mp4"), seconds: 4, size: "320x240")
        let body = Self.config([Self.cameraYAML("cam", source: dir.path("clip.mp4"), extra: """
                masks:
                  privacy:
                    - [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]
            """)])
        var daemon = try DaemonHarness(dir: dir, body: body)
        #expect(daemon.waitForCamera("cam", timeout: 30) { $0.state == "streaming" && $0.framesAnalysed > 0 }, "\(daemon.log)")

        // The current picture, with the masked half black.
        let jpeg = try daemon.client.getBytes("/v1/cameras/cam/snapshot")
        #expect(jpeg.starts(with: [0xFF, 0xD8]))
        try Data(jpeg).write(to: URL(fileURLWithPath: dir.path("now.jpg")))
        try runCommand(Clips.ffmpeg, ["-v", "error", "-y", "-i", dir.path("now.jpg"), "-f", "rawvideo", "-pix_fmt", "gray", dir.path("now.gray")])
        let gray = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir.path("now.gray"))))
        #expect(gray.count == 320 * 240)
        func mean(_ x: Range<Int>) -> Double {
            var sum = 0
            for y in 0..<240 { for i in x { sum += Int(gray[y * 320 + i]) } }
            return Double(sum) / Double(240 * x.count)
        }
        #expect(mean(0..<150) < 20 && mean(170..<320) > 60, "left \(mean(0..<150)), right \(mean(170..<320))")

        let off = try daemon.client.post("/v1/cameras/cam/disable", body: CameraActionRequest(reason: "检修 maintenance"), as: CameraActionResponse.self)
        #expect(off.changed && !off.camera.enabled && off.camera.state == "disabled" && off.camera.disabledReason == "检修 maintenance")
        #expect(off.camera.disabledBy?.hasPrefix("root (uid 0)") == true)
        // Switching off twice changes nothing; a disabled camera has no picture; health is not degraded by it.
        #expect(try daemon.client.post("/v1/cameras/cam/disable", body: CameraActionRequest(), as: CameraActionResponse.self).changed == false)
        #expect(throws: ClientError.self) { try daemon.client.getBytes("/v1/cameras/cam/snapshot") }
        let health = try daemon.client.get("/v1/health", as: HealthResponse.self)
        #expect(health.camerasDisabled == 1 && health.status == "ok")
        let frames = daemon.camera("cam")?.framesDecoded
        #expect(frames == 0)

        // Still off after a restart, with who and why.
        daemon.stop()
        daemon = try DaemonHarness(dir: dir, body: body)
        defer { daemon.stop() }
        let again = try #require(daemon.camera("cam"))
        #expect(again.state == "disabled" && again.disabledReason == "检修 maintenance", "\(again)")
        // gridwatchctl speaks the locale's language.
        let ctl = Paths.executable("gridwatchctl").path
        let socket = dir.path("control.sock")
        let chinese = try runCommand(ctl, ["camera", "cam", "--socket", socket], environment: ["LANG": "zh_CN.UTF-8"])
        #expect(chinese.contains("状态") && chinese.contains("已停用") && !chinese.contains("state"), "\(chinese)")
        let english = try runCommand(ctl, ["camera", "cam", "--socket", socket], environment: ["LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"])
        #expect(english.contains("state:") && english.contains("disabled") && !english.contains("状态"), "\(english)")
        // Tables fit the terminal (a real pseudo-terminal, 60 columns wide); pipes get every character.
        let narrow = try runCommand("/usr/bin/script", ["-qec", "stty cols 60; \(ctl) cameras --socket \(socket)", "/dev/null"], environment: ["LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"])
        // The table's lines (header and one camera); the note under it may wrap.
        let widths = narrow.split(whereSeparator: \.isNewline).prefix(2).map { $0.replacingOccurrences(of: "\r", with: "").count }
        #expect(widths.count == 2 && widths.allSatisfy { $0 <= 60 } && narrow.contains("…"), "\(narrow)")
        let piped = try runCommand(ctl, ["cameras", "--socket", socket], environment: ["LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"])
        #expect(piped.contains(dir.path("clip.mp4")) && !piped.contains("…"))

        let on = try daemon.client.post("/v1/cameras/cam/enable", body: CameraActionRequest(), as: CameraActionResponse.self)
        #expect(on.changed && on.camera.enabled)
        #expect(daemon.waitForCamera("cam", timeout: 30) { $0.state == "streaming" && $0.framesDecoded > 0 }, "\(daemon.log)")
        // Unknown cameras and actions are 404s.
        #expect(try daemon.client.request("POST", "/v1/cameras/nope/enable").status == 404)
        #expect(try daemon.client.request("POST", "/v1/cameras/cam/explode").status == 404)
        #expect(try daemon.client.request("POST", "/v1/cameras/cam/disable", body: Array(#"{"why": 1}"#.utf8)).status == 400)
    }
}
