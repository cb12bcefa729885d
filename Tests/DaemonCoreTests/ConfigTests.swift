import DaemonCore
import Foundation
import Testing

@Suite struct ConfigTests {
    let valid = """
        daemon:
          data_dir: /var/lib/gridwatch
          socket: /run/gridwatch/control.sock
        grids:
          - id: town
            name: 曹河镇
            level: town
          - id: east
            name: 东村
            parent: town
        cameras:
          - id: gate
            name: 东门
            grid: east
            source: rtsp://admin:secret@10.0.0.2:554/sub
            zones:
              - id: bank
                name: 河堤
                polygon: [[0.1, 0.5], [0.5, 0.5], [0.5, 0.9]]
                severity: high
          - id: replay
            grid: town
            source: clips/walk.mp4
            loop: true
        """

    func parse(_ text: String) throws(ConfigError) -> GridwatchConfig {
        try GridwatchConfig.parse(text: text, file: "/etc/gridwatch/gridwatch.yml")
    }

    func error(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func readsAValidConfiguration() throws {
        let config = try parse(valid)
        #expect(config.grids.map(\.id) == ["town", "east"])
        #expect(config.grids[1].parent == "town")
        #expect(config.cameras.count == 2)
        let gate = config.cameras[0]
        #expect(gate.redactedSource == "rtsp://***@10.0.0.2:554/sub")
        #expect(gate.transport == .tcp)
        #expect(gate.analysis.fps == 5 && gate.analysis.width == 320)
        #expect(gate.zones[0].severity == .high && gate.zones[0].purpose == .intrusion)
        #expect(gate.zones[0].enterFrames == 2 && gate.zones[0].alertOn == [.enter])
        // Relative file sources resolve against the configuration's folder.
        #expect(config.cameras[1].source == "/etc/gridwatch/clips/walk.mp4")
        #expect(config.cameras[1].loop)
    }

    @Test func anUnknownKeyIsNamedWithItsLine() {
        let text = valid.replacingOccurrences(of: "        severity: high", with: "        severity: high\n        sevrity: low")
        let e = error(text)
        #expect(e?.line == 21)
        #expect(e?.key == "cameras[0].zones[0].sevrity")
        #expect(e?.description.hasPrefix("/etc/gridwatch/gridwatch.yml:21: cameras[0].zones[0].sevrity: unknown key") == true)
    }

    @Test func aCameraInAnUnknownGridIsRefused() {
        let e = error(valid.replacingOccurrences(of: "grid: east", with: "grid: west"))
        #expect(e?.key == "cameras[0].grid")
        #expect(e?.line == 14)
        #expect(e?.message == "no grid with id 'west'")
    }

    @Test(arguments: [
        ("[[0.1, 0.5], [0.5, 0.5]]", "needs at least 3 points, has 2"),
        ("[[0.1, 0.5], [1.5, 0.5], [0.5, 0.9]]", "1.5 is out of range 0...1"),
        ("[[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]", "encloses no area"),
        ("[[0.1, 0.5], [0.5], [0.5, 0.9]]", "expected a point [x, y]"),
    ])
    func badPolygonsAreExplained(polygon: String, message: String) {
        let e = error(valid.replacingOccurrences(of: "[[0.1, 0.5], [0.5, 0.5], [0.5, 0.9]]", with: polygon))
        #expect(e?.message == message, "\(String(describing: e))")
        #expect(e?.line == 19)
    }

    @Test func aYAMLSyntaxErrorHasItsLine() {
        let e = error(valid.replacingOccurrences(of: "    level: town", with: "    level: [town"))
        #expect(e?.line == 7 || e?.line == 8, "\(String(describing: e))")
        #expect(e?.message.hasPrefix("YAML syntax error") == true)
    }

    @Test func aMissingRequiredKeyNamesItsPlace() {
        let e = error(valid.replacingOccurrences(of: "    source: rtsp://admin:secret@10.0.0.2:554/sub\n", with: ""))
        #expect(e?.key == "cameras[0].source")
        #expect(e?.message == "is required")
        // A missing key is reported at its mapping's line.
        #expect(e?.line == 12)
    }

    @Test func credentialsNeverAppearInErrors() {
        let e = error(valid.replacingOccurrences(of: "rtsp://admin:secret@", with: "ftp://admin:secret@"))
        #expect(e?.description.contains("secret") == false)
        #expect(e?.description.contains("ftp://***@10.0.0.2") == true)
    }

    @Test func credentialsFromTheEnvironmentGoIntoTheURLEncoded() throws {
        setenv("GW_CONFIG_TEST_PW", "p@ss:word", 1)
        let text = valid.replacingOccurrences(of: "    source: clips/walk.mp4\n    loop: true", with: """
                source: rtsp://10.0.0.3/live
                record: rtsp://10.0.0.3/main
                username: admin
                password_env: GW_CONFIG_TEST_PW
            """)
        let camera = try parse(text).cameras[1]
        #expect(camera.source == "rtsp://admin:p%40ss%3Aword@10.0.0.3/live")
        #expect(camera.record == "rtsp://admin:p%40ss%3Aword@10.0.0.3/main")
        #expect(camera.redactedSource == "rtsp://***@10.0.0.3/live")
    }

    @Test func credentialsInBothPlacesAreRefused() {
        // A variable of its own: tests run in parallel, and another one sets GW_CONFIG_TEST_PW.
        setenv("GW_CONFIG_TEST_PW_BOTH", "x", 1)
        let e = error(valid.replacingOccurrences(of: "    grid: east\n", with: "    grid: east\n    username: u\n    password_env: GW_CONFIG_TEST_PW_BOTH\n"))
        #expect(e?.key == "cameras[0].source")
        #expect(e?.message.contains("credentials in the URL") == true)
    }

    @Test func anUnsetPasswordVariableIsNamed() {
        let e = error(valid.replacingOccurrences(of: "    source: clips/walk.mp4\n", with: "    source: rtsp://h/x\n    username: u\n    password_env: GW_SURELY_UNSET_VARIABLE\n"))
        #expect(e?.message == "environment variable GW_SURELY_UNSET_VARIABLE is not set")
    }

    @Test func duplicateIdsAreRefused() {
        let e = error(valid.replacingOccurrences(of: "  - id: replay", with: "  - id: gate"))
        #expect(e?.message == "duplicate camera id 'gate'")
    }

    @Test func anEmptyFileSaysWhatIsExpected() {
        #expect(error("")?.message.contains("expected a mapping") == true)
    }

    @Test func aMissingFileIsNamed() {
        #expect(throws: ConfigError.self) { try GridwatchConfig.load(path: "/nonexistent/gridwatch.yml") }
    }

    @Test func shippedExampleConfigurationsAreValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for name in ["gridwatch.yml", "demo.yml"] {
            let config = try GridwatchConfig.load(path: root.appendingPathComponent("Config/\(name)").path)
            #expect(!config.cameras.isEmpty, "\(name)")
        }
    }
}
