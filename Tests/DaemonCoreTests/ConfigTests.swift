import Analysis
@testable import DaemonCore
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

    /// Ids take letters, marks and digits of any script, '-', '_' and '.': every scalar
    /// Foundation's `CharacterSet.alphanumerics` with those three took (the check before it
    /// moved to the standard library's tables), and besides only letters, marks and digits
    /// Unicode added after the tables Foundation carries (Unicode 9 and later).
    @Test func idsTakeTheScalarsFoundationsAlphanumericsTook() throws {
        let foundation = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        var lost: [UInt32] = [], gained: [UInt32] = []
        for value in UInt32(0)...0x2FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let ours = GridwatchConfig.isIdentifierScalar(scalar), theirs = foundation.contains(scalar)
            if theirs && !ours { lost.append(value) }
            if ours && !theirs && (scalar.properties.age.map { $0.major < 9 } ?? true) { gained.append(value) }
        }
        #expect(lost.isEmpty, "no longer taken: \(lost.prefix(20).map { String($0, radix: 16) })")
        #expect(gained.isEmpty, "newly taken: \(gained.prefix(20).map { String($0, radix: 16) })")
        let yaml = { (id: String) in self.valid.replacingOccurrences(of: "id: gate", with: "id: \"\(id)\"") }
        for id in ["东门-1", "cam_2.a", "Ölmühle"] {
            #expect(try GridwatchConfig.parse(text: yaml(id), file: "/etc/gridwatch/gridwatch.yml").cameras.first?.id == id)
        }
        for id in ["east gate", "a/b", "a:b", "门#1"] {
            #expect(throws: ConfigError.self) { try GridwatchConfig.parse(text: yaml(id), file: "/etc/gridwatch/gridwatch.yml") }
        }
    }

    @Test func clipsHaveDefaultsAGlobalSectionAndPerCameraOverrides() throws {
        let defaults = try parse(valid)
        #expect(defaults.cameras[0].clips == ClipSettings())
        #expect(defaults.cameras[0].clips.preRoll == 5 && defaults.cameras[0].clips.postRoll == 10 && defaults.cameras[0].clips.maxClip == 60)
        #expect(defaults.tickets.policy.clipsPerTicket == 5)
        let text = valid.replacingOccurrences(of: "cameras:\n", with: "clips:\n  pre_roll: 3\n  post_roll: 20s\n  per_ticket: 2\ncameras:\n")
            .replacingOccurrences(of: "    loop: true", with: "    loop: true\n    clips:\n      enabled: false")
        let config = try parse(text)
        #expect(config.cameras[0].clips.preRoll == 3 && config.cameras[0].clips.postRoll == 20 && config.cameras[0].recordsClips)
        #expect(!config.cameras[1].recordsClips && config.cameras[1].clips.preRoll == 3)
        #expect(config.tickets.policy.clipsPerTicket == 2)
        // Named by file, line and key.
        let bad = try #require(error(valid.replacingOccurrences(of: "cameras:\n", with: "clips:\n  pre_roll: 30\n  max_clip: 20\ncameras:\n")))
        #expect(bad.key.hasSuffix("max_clip") && bad.line != nil, "\(bad)")
        let unknown = try #require(error(valid.replacingOccurrences(of: "    loop: true", with: "    loop: true\n    clips:\n      per_ticket: 3")))
        #expect(unknown.key.contains("per_ticket"), "\(unknown)")
        // Privacy masks cannot be painted on a copied stream: no clips unless the camera asks.
        let masked = valid.replacingOccurrences(of: "    loop: true", with: "    loop: true\n    masks:\n      privacy:\n        - [[0, 0], [0.2, 0], [0.2, 0.2]]")
        #expect(try !parse(masked).cameras[1].recordsClips)
        let askedFor = masked + "\n    clips:\n      enabled: true\n"
        #expect(try parse(askedFor).cameras[1].recordsClips)
    }

    @Test func readsAValidConfiguration() throws {
        let config = try parse(valid)
        #expect(config.grids.map(\.id) == ["town", "east"])
        #expect(config.grids[1].parent == "town")
        #expect(config.cameras.count == 2)
        let gate = config.cameras[0]
        #expect(gate.redactedSource == "rtsp://***@10.0.0.2:554/sub")
        #expect(gate.transport == .tcp)
        #expect(gate.analysis.fps == 10 && gate.analysis.width == 320)
        #expect(gate.zones[0].severity == .high && gate.zones[0].purpose == .intrusion)
        #expect(gate.zones[0].enterFrames == 2 && gate.zones[0].alertOn == [.enter])
        // Relative file sources resolve against the configuration's folder.
        #expect(config.cameras[1].source == "/etc/gridwatch/clips/walk.mp4")
        #expect(config.cameras[1].loop)
        // Decoded without the deblocking filter unless a camera asks for it.
        #expect(config.cameras.allSatisfy { $0.skipDeblocking })
        let deblocked = try parse(valid.replacingOccurrences(of: "    loop: true", with: "    loop: true\n    skip_deblocking: false"))
        #expect(deblocked.cameras[0].skipDeblocking && !deblocked.cameras[1].skipDeblocking)
    }

    @Test func rulesMayBeLimitedToSizeClasses() throws {
        let limited = valid.replacingOccurrences(of: "        severity: high\n", with: "        severity: high\n        objects: [person, vehicle]\n")
        let objects = try parse(limited).cameras[0].zones[0].rule.options.objects
        #expect(objects == [.person, .vehicle], "\(objects)")
        #expect(try parse(valid).cameras[0].zones[0].rule.options.objects.isEmpty)
        let wrong = valid.replacingOccurrences(of: "        severity: high\n", with: "        severity: high\n        objects: [person, cat]\n")
        let e = error(wrong)
        #expect(e?.description.contains("gridwatch.yml:21") == true && e?.description.contains("'cat' is not one of: person, group, vehicle, small") == true, "\(String(describing: e))")
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

    @Test func aNightRuleWithoutTheIntegrityChecksIsRefused() {
        let text = """
            grids:
              - id: g
            cameras:
              - id: c
                grid: g
                source: rtsp://u:topsecret@192.0.2.1/x
                analysis:
                  integrity: false
                zones:
                  - id: field
                    fire_smoke: true
                    polygon: [[0.1, 0.5], [0.5, 0.5], [0.5, 0.9]]
                  - id: bank
                    when: night
                    polygon: [[0.1, 0.5], [0.5, 0.5], [0.5, 0.9]]
            """
        let e = error(text)
        #expect(e?.key == "cameras[0].zones[1].when" && e?.line == 14, "\(String(describing: e))")
        #expect(e?.message.contains("analysis.integrity") == true)
        #expect(!"\(String(describing: e))".contains("topsecret"))
        // With the checks on, it loads; the field asks for smoke and fire.
        let config = try? parse(text.replacingOccurrences(of: "integrity: false", with: "integrity: true"))
        #expect(config?.cameras.first?.zones.map(\.fireSmoke) == [true, false])
        #expect(config?.cameras.first?.rules.fireSmokeAreas(wholePicture: false).map(\.id) == ["field"])
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
        #expect(e?.key == "cameras[0].source")
        #expect(e?.message.hasPrefix("unsupported scheme 'ftp'") == true, "\(String(describing: e))")
        // Nothing after the scheme is repeated: not even the host.
        #expect(e?.description.contains("10.0.0.2") == false)
    }

    // MARK: Duplicate keys (issue 12)

    @Test func aDuplicateKeyIsNamedWithBothLinesAndNothingElse() {
        let text = valid.replacingOccurrences(
            of: "    source: rtsp://admin:secret@10.0.0.2:554/sub\n",
            with: "    source: rtsp://admin:secret@10.0.0.2:554/sub\n    source: rtsp://admin:other@10.0.0.9:554/sub\n")
        let e = error(text)
        #expect(e?.description == "/etc/gridwatch/gridwatch.yml:16: cameras[0].source: duplicate key (first at line 15)")
    }

    @Test(arguments: [
        // (replace, with, line, key, first line)
        ("daemon:\n", "daemon:\n  socket: /tmp/a.sock\n", 4, "daemon.socket", 2),
        ("cameras:\n", "grids: []\ncameras:\n", 11, "grids", 4),
        ("        severity: high\n", "        severity: high\n        name: 又一个\n", 21, "cameras[0].zones[0].name", 18),
        ("  - id: replay\n", "  - id: replay\n    id: again\n", 22, "cameras[1].id", 21),
        ("    level: town\n", "    level: town\n    people: {a: 1, b: 2, a: 3}\n", 8, "grids[0].people.a", 8),
    ])
    func duplicateKeysAnywhereHaveTheirFullPath(replace: String, with: String, line: Int, key: String, first: Int) {
        let e = error(valid.replacingOccurrences(of: replace, with: with))
        #expect(e?.line == line, "\(String(describing: e))")
        #expect(e?.key == key, "\(String(describing: e))")
        #expect(e?.message == "duplicate key (first at line \(first))", "\(String(describing: e))")
    }

    @Test func aKeyRepeatedThreeTimesIsReportedAtItsSecondPlace() {
        let text = valid.replacingOccurrences(of: "    grid: east\n", with: "    grid: east\n    grid: town\n    grid: east\n")
        #expect(error(text)?.description == "/etc/gridwatch/gridwatch.yml:15: cameras[0].grid: duplicate key (first at line 14)")
    }

    @Test func aDuplicateKeyInAFileOfManyCamerasPrintsOneLine() {
        var text = "grids:\n  - id: g\ncameras:\n"
        for i in 0..<3000 {
            text += "  - id: c\(i)\n    grid: g\n    source: rtsp://admin:Pw\(i)Secret@10.0.\(i / 256).\(i % 256)/sub\n"
        }
        text += "    source: rtsp://admin:LastSecret@10.0.99.99/sub\n"
        let e = error(text)
        #expect(e?.description == "/etc/gridwatch/gridwatch.yml:9004: cameras[2999].source: duplicate key (first at line 9003)")
    }

    @Test func aControlCharacterIsASyntaxErrorThatDoesNotRepeatTheLine() {
        let e = error(valid.replacingOccurrences(of: "rtsp://admin:secret@", with: "rtsp://admin:sec\u{7}ret@"))
        #expect(e?.line == 15, "\(String(describing: e))")
        #expect(e?.message.hasPrefix("YAML syntax error") == true)
        #expect(e?.description.contains("sec") == false, "\(String(describing: e))")
    }

    // MARK: Passwords that are not percent-encoded (issue 12)

    @Test(arguments: [
        "rtsp://cam:Mn/Op9Secret@host/cam",
        "rtsp://cam:Mn?Op9Secret@host/cam",
        "rtsp://cam:Mn#Op9Secret@host/cam",
        "rtsp://cam:Mn@Op9Secret@host/cam",
        "rtsp://cam:Mn Op9Secret@host/cam",
        "rtsp://cam:Mn'Op9Secret@host/cam",
        "rtsp://cam:Mn%zzOp9Secret@host/cam",
    ])
    func userInformationThatCannotBeParsedIsRefused(source: String) {
        let e = error(valid.replacingOccurrences(of: "rtsp://admin:secret@10.0.0.2:554/sub", with: source))
        #expect(e?.key == "cameras[0].source", "\(String(describing: e))")
        #expect(e?.line == 15)
        #expect(e?.message.contains("%2F %3F %23 %40") == true, "\(String(describing: e))")
        #expect(e?.description.contains("Op9Secret") == false)
        #expect(e?.description.contains("Mn") == false)
    }

    @Test func aPercentEncodedPasswordIsAcceptedAndRedacted() throws {
        let text = valid.replacingOccurrences(of: "rtsp://admin:secret@10.0.0.2:554/sub", with: "rtsp://cam:Mn%2FOp9Secret@host/cam")
        let camera = try parse(text).cameras[0]
        #expect(camera.source == "rtsp://cam:Mn%2FOp9Secret@host/cam")
        #expect(camera.redactedSource == "rtsp://***@host/cam")
    }

    @Test(arguments: [
        ("rtsp:cam:Op9Secret@host/cam", "rtsp"),
        ("rtsp:/cam:Op9Secret@host/cam", "rtsp"),
        ("foo:cam:Op9Secret@host/cam", "foo"),
        ("RTSPS:cam:Op9Secret@host/cam", "RTSPS"),
    ])
    func aSchemeWithoutSlashesIsNotTakenForAFile(source: String, scheme: String) {
        let e = error(valid.replacingOccurrences(of: "rtsp://admin:secret@10.0.0.2:554/sub", with: source))
        #expect(e?.key == "cameras[0].source", "\(String(describing: e))")
        #expect(e?.message.contains("'\(scheme):'") == true, "\(String(describing: e))")
        #expect(e?.description.contains("Op9Secret") == false)
        #expect(e?.description.contains("host") == false)
    }

    @Test func aRecordURLIsCheckedLikeTheSource() {
        let e = error(valid.replacingOccurrences(of: "    grid: east\n", with: "    grid: east\n    record: rtsp://cam:Mn/Op9Secret@host/main\n"))
        #expect(e?.key == "cameras[0].record", "\(String(describing: e))")
        #expect(e?.description.contains("Op9Secret") == false)
    }

    @Test func anExistingFileWithAColonInItsNameIsStillAFile() throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gw-config-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(FileManager.default.createFile(atPath: dir.appendingPathComponent("cam:1.mp4").path, contents: Data()))
        let text = valid.replacingOccurrences(of: "clips/walk.mp4", with: "cam:1.mp4")
        let config = try GridwatchConfig.parse(text: text, file: dir.appendingPathComponent("gridwatch.yml").path)
        #expect(config.cameras[1].source == dir.appendingPathComponent("cam:1.mp4").path)
        #expect(config.cameras[1].isFile)
    }

    @Test(arguments: [
        "rtsp://u:p@[fe80::1]:554/x", "rtsp://[::1]/x", "rtsp://host:/x", "rtsps://u:p@host:322", "http://h/mjpg?a=b",
        "rtsp://%E5%BC%A0%E4%B8%89:p%40ss@h/x", "rtsp://user:!$&()*+,;=:~@h/x",
    ])
    func wellFormedURLsAreAccepted(source: String) throws {
        let text = valid.replacingOccurrences(of: "rtsp://admin:secret@10.0.0.2:554/sub", with: source)
        let camera = try parse(text).cameras[0]
        #expect(camera.source == source)
        #expect(!camera.isFile)
    }

    // MARK: Ports and grid cycles (issue 12)

    @Test(arguments: [
        ("rtsp://host:99999/x", "port 99999 is out of range 1...65535"),
        ("rtsp://admin:secret@host:0/x", "port 0 is out of range 1...65535"),
        ("rtsp://admin:secret@host:55x/x", "port is not a number"),
        ("rtsp://admin:secret@[::1]:70000/x", "port 70000 is out of range 1...65535"),
        ("rtsp://admin:secret@/x", "has no host"),
    ])
    func badPortsAndHostsAreRefused(source: String, message: String) {
        let e = error(valid.replacingOccurrences(of: "rtsp://admin:secret@10.0.0.2:554/sub", with: source))
        #expect(e?.description == "/etc/gridwatch/gridwatch.yml:15: cameras[0].source: \(message)")
    }

    @Test func aGridParentCycleIsRefused() {
        let text = valid
            .replacingOccurrences(of: "    level: town\n", with: "    level: town\n    parent: g1\n")
            .replacingOccurrences(of: "cameras:\n", with: "  - id: g1\n    parent: east\ncameras:\n")
        let e = error(text)
        #expect(e?.description == "/etc/gridwatch/gridwatch.yml:8: grids[0].parent: grid parent cycle town → g1 → east → town")
    }

    @Test func aGridThatIsItsOwnParentIsRefused() {
        let e = error(valid.replacingOccurrences(of: "    parent: town\n", with: "    parent: east\n"))
        #expect(e?.description == "/etc/gridwatch/gridwatch.yml:10: grids[1].parent: grid parent cycle east → east")
    }

    @Test func credentialsFromTheEnvironmentGoIntoTheURLEncoded() throws {
        let text = valid.replacingOccurrences(of: "    source: clips/walk.mp4\n    loop: true", with: """
                source: rtsp://10.0.0.3/live
                record: rtsp://10.0.0.3/main
                username: admin
                password_env: GW_CONFIG_TEST_PW
            """)
        let camera = try ConfigEnvironment.$overlay.withValue(["GW_CONFIG_TEST_PW": "p@ss:word"]) { try parse(text).cameras[1] }
        #expect(camera.source == "rtsp://admin:p%40ss%3Aword@10.0.0.3/live")
        #expect(camera.record == "rtsp://admin:p%40ss%3Aword@10.0.0.3/main")
        #expect(camera.redactedSource == "rtsp://***@10.0.0.3/live")
    }

    @Test func aSharedStoreTakesItsPasswordFromTheEnvironmentAndNeverShowsIt() throws {
        let store = """
            store:
              postgres: postgresql://gridwatch@db.county.example:5433/tickets
              password_env: GW_CONFIG_TEST_PG
              tls: require
              answer_within: 5s
            cameras:

            """
        let text = valid.replacingOccurrences(of: "  socket: /run/gridwatch/control.sock\n", with: "  socket: /run/gridwatch/control.sock\n  node_id: box-2\n  lease_timeout: 20s\n")
            .replacingOccurrences(of: "cameras:\n", with: store)
        let config = try ConfigEnvironment.$overlay.withValue(["GW_CONFIG_TEST_PG": "pg-S3cret"]) { try parse(text) }
        guard case let .postgres(settings) = config.store else { Issue.record("not postgres: \(config.store)"); return }
        #expect(settings.host == "db.county.example" && settings.port == 5433 && settings.user == "gridwatch" && settings.database == "tickets")
        #expect(settings.password == "pg-S3cret" && settings.tls == .require && settings.answerWithin == 5)
        #expect(config.daemon.nodeID == "box-2" && config.daemon.leaseTimeout == 20)
        // However the settings are printed, the password is not.
        for shown in ["\(settings)", String(describing: settings), String(reflecting: settings), "\(config.store)", "\(Mirror(reflecting: settings).children.map { "\($0)" })"] {
            #expect(!shown.contains("pg-S3cret"), "\(shown)")
        }
        // Defaults: SQLite in the data directory, the host name as the node.
        let plain = try parse(valid)
        #expect(plain.store == .sqlite && plain.daemon.nodeID == DaemonSettings.hostName && plain.daemon.leaseTimeout == 30)
    }

    @Test func aPasswordInTheStoresURLIsRefusedWithoutRepeatingIt() throws {
        let text = valid.replacingOccurrences(of: "cameras:\n", with: "store:\n  postgres: postgresql://gw:Hunter2Secret@db:5432/t\ncameras:\n")
        let e = try #require(error(text))
        #expect(e.key == "store.postgres" && e.line != nil, "\(e)")
        #expect(e.message.contains("password_file or password_env"), "\(e)")
        #expect(!e.description.contains("Hunter2Secret"), "\(e)")
        for (bad, why) in [("mysql://u@h/d", "postgresql://"), ("postgresql://h/d", "no user"), ("postgresql://u@h/", "no database")] {
            let e = try #require(error(valid.replacingOccurrences(of: "cameras:\n", with: "store:\n  postgres: \(bad)\ncameras:\n")))
            #expect(e.key == "store.postgres" && e.message.contains(why), "\(e)")
        }
        let unknown = try #require(error(valid.replacingOccurrences(of: "cameras:\n", with: "store:\n  postgres: postgresql://u@h/d\n  tls: maybe\ncameras:\n")))
        #expect(unknown.key == "store.tls", "\(unknown)")
        let patient = try #require(error(valid.replacingOccurrences(of: "cameras:\n", with: "store:\n  postgres: postgresql://u@h/d\n  answer_within: 0s\ncameras:\n")))
        #expect(patient.key == "store.answer_within" && patient.line != nil && patient.message.contains("out of range"), "\(patient)")
    }

    @Test func credentialsInBothPlacesAreRefused() {
        let e = ConfigEnvironment.$overlay.withValue(["GW_CONFIG_TEST_PW_BOTH": "x"]) {
            error(valid.replacingOccurrences(of: "    grid: east\n", with: "    grid: east\n    username: u\n    password_env: GW_CONFIG_TEST_PW_BOTH\n"))
        }
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

/// Validation time grows with the file, not with its square (issue 12: 50 000 cameras took 8 s,
/// 200 000 did not finish in two minutes).
@Suite struct ConfigScalingTests {
    /// `cameras` cameras in `cameras / 30` villages, each with a record stream and a zone.
    static func text(cameras: Int) -> String {
        let grids = max(1, cameras / 30)
        var text = "grids:\n  - id: town\n    level: town\n"
        text.reserveCapacity(cameras * 260)
        for g in 0..<grids { text += "  - id: v\(g)\n    name: 村\(g)\n    parent: town\n" }
        text += "cameras:\n"
        for i in 0..<cameras {
            let a = (i >> 8) & 255, b = i & 255
            text += """
                  - id: cam\(i)
                    name: 摄像头\(i)
                    grid: v\(i % grids)
                    source: rtsp://admin:S3cretPw@10.1.\(a).\(b):554/sub
                    record: rtsp://admin:S3cretPw@10.1.\(a).\(b):554/main
                    zones:
                      - id: bank
                        polygon: [[0.1, 0.5], [0.5, 0.5], [0.5, 0.9]]

                """
        }
        return text
    }

    /// The CPU seconds of this thread one parse of each text takes, the best of three for
    /// each. CPU time, not the clock's: on a machine busy with make test's other processes
    /// the clock counts the waits for a core too (a ratio of 8.1 was once read that way).
    /// The runs take turns (small, large, small, large ...), so that a busy spell slows a
    /// run of each rather than every run of one.
    static func seconds(_ texts: [String]) throws -> [Double] {
        func cpu() -> Double { Double(GridwatchMetrics.threadCPUNanos()) * 1e-9 }
        var best = [Double](repeating: .infinity, count: texts.count)
        for _ in 0..<3 {
            for (i, text) in texts.enumerated() {
                let start = cpu()
                let config = try GridwatchConfig.parse(text: text, file: "/etc/gridwatch/gridwatch.yml")
                best[i] = min(best[i], cpu() - start)
                #expect(config.cameras.count > 0)
            }
        }
        return best
    }

    @Test(.timeLimit(.minutes(2))) func validationTimeIsLinearInTheNumberOfCameras() throws {
        let times = try Self.seconds([Self.text(cameras: 2_500), Self.text(cameras: 10_000)])
        let (small, large) = (times[0], times[1])
        print("config scaling: \(small) s, \(large) s, ratio \(large / small)")
        // Linear: about 4; quadratic: about 16.
        #expect(large / small < 8, "2 500 cameras: \(small) s, 10 000 cameras: \(large) s")
    }
}

@Suite struct CameraRulesTests {
    static let yaml = """
        grids:
          - id: village
            name: 东村
          - id: river
            name: 河道
        cameras:
          - id: gate
            name: 东门
            grid: village
            source: rtsp://127.0.0.1/x
            zones:
              - id: bank
                name: 河堤
                grid: river
                purpose: hazard
                severity: high
                polygon: [[0, 0], [1, 0], [1, 1]]
                alert_on: [enter]
            tripwires:
              - id: road
                name: 路口
                a: [0.5, 0]
                b: [0.5, 1]
        """

    func event(_ kind: AnalysisEvent.Kind, _ rule: String) -> AnalysisEvent {
        AnalysisEvent(kind: kind, ruleID: rule, time: 1, trackID: 4, direction: kind == .crossing ? .aToB : nil)
    }

    @Test func anEventIsJoinedToItsRuleOnce() throws {
        let camera = try GridwatchConfig.parse(text: Self.yaml, file: "/etc/gridwatch/gridwatch.yml").cameras[0]
        let rules = camera.rules
        let entry = try #require(rules.alerting(event(.zoneEnter, "bank")))
        #expect(entry.zoneID == "bank" && entry.tripwireID == nil && entry.grid == "river" && entry.purpose == .hazard && entry.severity == .high)
        #expect(entry.title == .zoneEntry(zone: "河堤", camera: "东门") && entry.closed)
        let crossing = try #require(rules.alerting(event(.crossing, "road")))
        #expect(crossing.tripwireID == "road" && crossing.grid == "village" && crossing.purpose == .intrusion && !crossing.closed)
        // Exits of a zone that alerts on entries only, and rules a reload removed: no ticket.
        #expect(rules.alerting(event(.zoneExit, "bank")) == nil)
        #expect(rules.alerting(event(.zoneEnter, "gone")) == nil)
        #expect(rules.analysisZones.map(\.id) == ["bank"] && rules.analysisTripwires.map(\.line.id) == ["road"])
        // Rules without a cooldown get the default: one alert per burst on a busy road; a
        // hazard rule none (every person at the water is someone to reach).
        #expect(rules.zones[0].options.cooldown == 0 && rules.tripwires[0].options.cooldown == 10)
    }

    @Test func schedulesTakeHoursDatesAndTheSceneMode() throws {
        let marker = "        alert_on: [enter]\n"
        #expect(Self.yaml.contains(marker))
        let yaml = Self.yaml.replacingOccurrences(
            of: marker, with: marker + "        schedule: [\"06-01..09-30\", \"20:00-06:00\"]\n        when: night\n")
        let zone = try GridwatchConfig.parse(text: yaml, file: "/etc/gridwatch/gridwatch.yml").cameras[0].zones[0]
        #expect(zone.options.schedule == Schedule([.init(start: 20 * 60, end: 6 * 60)], dates: [.init(start: 601, end: 930)], mode: .night))
        for bad in ["13-01..09-30", "06-31..09-30", "6-1..9-30", "06-01..", "25:00-06:00"] {
            let text = Self.yaml.replacingOccurrences(of: marker, with: marker + "        schedule: [\"\(bad)\"]\n")
            #expect(throws: ConfigError.self, "\(bad)") { try GridwatchConfig.parse(text: text, file: "/etc/gridwatch/gridwatch.yml") }
        }
    }

    @Test func aReloadThatChangesOnlyRulesKeepsTheStream() throws {
        let old = try GridwatchConfig.parse(text: Self.yaml, file: "/etc/gridwatch/gridwatch.yml").cameras[0]
        var renamed = old
        renamed.name = "新名字"
        renamed.zones[0].severity = .low
        #expect(CameraChange.between(old, renamed) == .rules)
        var moved = old
        moved.source = "rtsp://127.0.0.1/y"
        #expect(CameraChange.between(old, moved) == .restart)
        #expect(CameraChange.between(old, old) == .unchanged)
    }
}
