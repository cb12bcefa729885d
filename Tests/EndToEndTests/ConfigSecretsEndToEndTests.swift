import ControlClient
import ControlProtocol
import Foundation
import Testing
import TestSupport

/// No configuration error may repeat a password (issue 12): every kind of error `check-config`
/// can give, through the real binary, on a file whose cameras have passwords in their URLs and
/// in a `password_file`.
@Suite struct ConfigSecretsEndToEndTests {
    /// The passwords: in a URL, in a password file. Every output is searched for "S3cret".
    static let urlPassword = "S3cretUrlPw"
    static let filePassword = "S3cretFilePw"

    static let base = """
        daemon:
          data_dir: data
          socket: control.sock
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
            source: rtsp://admin:\(urlPassword)@10.0.0.2:554/sub
            record: rtsp://admin:\(urlPassword)@10.0.0.2:554/main
            zones:
              - id: bank
                polygon: [[0.1, 0.5], [0.5, 0.5], [0.5, 0.9]]
          - id: yard
            grid: town
            source: rtsp://10.0.0.3/live
            username: admin
            password_file: password
            transport: udp

        """

    /// (what is wrong, replace, with): each makes `base` invalid in its own way.
    static let broken: [(String, String, String)] = [
        ("unclosed flow sequence", "    level: town\n", "    level: [town\n"),
        ("tab indentation", "    grid: east\n", "\tgrid: east\n"),
        ("unclosed quote", "    name: 东门\n", "    name: \"东门\n"),
        ("bad indentation", "    grid: east\n", "      grid: east\n  x\n"),
        ("control character in the password", "admin:\(urlPassword)@10.0.0.2:554/sub", "admin:\(urlPassword)\u{7}@10.0.0.2:554/sub"),
        ("undefined alias", "    transport: udp\n", "    transport: *nothing\n"),
        ("duplicate source", "    record: rtsp", "    source: rtsp://admin:\(urlPassword)2@10.0.0.9/sub\n    record: rtsp"),
        ("duplicate top-level key", "cameras:\n", "grids: []\ncameras:\n"),
        ("duplicate key in a flow mapping", "    transport: udp\n", "    masks: {motion: [], motion: []}\n"),
        ("duplicate key with a password_file", "    transport: udp\n", "    password_file: password\n"),
        ("unknown key", "    transport: udp\n", "    transprot: udp\n"),
        ("unknown top-level key", "cameras:\n", "camera:\n"),
        ("bad number", "    transport: udp\n", "    open_timeout: rtsp://admin:\(urlPassword)@x/y\n"),
        ("bad duration", "data_dir: data\n", "data_dir: data\ntickets:\n  check_every: 5 weeks\n"),
        ("bad choice", "    transport: udp\n", "    transport: quic\n"),
        ("bad id", "  - id: yard\n", "  - id: yard!\n"),
        ("duplicate camera id", "  - id: yard\n", "  - id: gate\n"),
        ("unknown grid", "    grid: town\n    source", "    grid: west\n    source"),
        ("unknown parent grid", "    parent: town\n", "    parent: nowhere\n"),
        ("grid parent cycle", "    level: town\n", "    level: town\n    parent: east\n"),
        ("unsupported scheme", "rtsp://admin:\(urlPassword)@10.0.0.2:554/sub", "ftp://admin:\(urlPassword)@10.0.0.2/sub"),
        ("scheme without slashes", "rtsp://admin:\(urlPassword)@10.0.0.2:554/sub", "rtsp:admin:\(urlPassword)@10.0.0.2/sub"),
        ("unknown scheme without slashes", "rtsp://admin:\(urlPassword)@10.0.0.2:554/main", "cam:admin:\(urlPassword)@10.0.0.2/main"),
        ("slash in the password", "admin:\(urlPassword)@10.0.0.2:554/sub", "admin:S3cret/UrlPw@10.0.0.2:554/sub"),
        ("question mark in the password", "admin:\(urlPassword)@10.0.0.2:554/sub", "admin:S3cret?UrlPw@10.0.0.2:554/sub"),
        ("hash in the password", "admin:\(urlPassword)@10.0.0.2:554/main", "admin:S3cret#UrlPw@10.0.0.2:554/main"),
        ("at sign in the password", "admin:\(urlPassword)@10.0.0.2:554/sub", "admin:S3cret@UrlPw@10.0.0.2:554/sub"),
        ("missing host", "admin:\(urlPassword)@10.0.0.2:554/sub", "admin:\(urlPassword)/sub"),
        ("port out of range", "10.0.0.2:554/sub", "10.0.0.2:99999/sub"),
        ("port not a number", "10.0.0.2:554/sub", "10.0.0.2:5x4/sub"),
        ("port out of range with a password file", "rtsp://10.0.0.3/live", "rtsp://10.0.0.3:123456/live"),
        ("credentials twice", "rtsp://10.0.0.3/live", "rtsp://admin:\(urlPassword)@10.0.0.3/live"),
        ("password file without user", "    username: admin\n", ""),
        ("unreadable password file", "password_file: password", "password_file: nothing/here"),
        ("unset password variable", "password_file: password", "password_env: GW_SURELY_UNSET_S3CRET"),
        ("loop on a stream", "    transport: udp\n", "    loop: true\n"),
        ("bad polygon", "[0.5, 0.9]]", "[0.5, 1.9]]"),
        ("bad socket mode", "  socket: control.sock\n", "  socket: control.sock\n  socket_mode: rw\n"),
        ("metrics not on loopback", "  socket: control.sock\n", "  socket: control.sock\n  metrics_listen: 10.0.0.2:9464\n"),
        ("no cameras mapping", "cameras:\n", "cameras: rtsp://admin:\(urlPassword)@x/y\n"),
        ("a list at the top", "daemon:\n", "- daemon:\n"),
    ]

    struct Output {
        var status: Int32
        var text: String
    }

    func checkConfig(_ path: String) throws -> Output {
        let (status, text) = try runProcess(Paths.executable("gridwatchd").path, ["check-config", path])
        return Output(status: status, text: text)
    }

    @Test func noConfigurationErrorRepeatsAPassword() throws {
        let dir = try TemporaryDirectory("gw-secrets")
        defer { dir.remove() }
        try "\(Self.filePassword)\n".write(toFile: dir.path("password"), atomically: true, encoding: .utf8)
        let file = dir.path("gridwatch.yml")

        // The valid file passes, and its summary shows no password either.
        try Self.base.write(toFile: file, atomically: true, encoding: .utf8)
        let ok = try checkConfig(file)
        #expect(ok.status == 0, "\(ok.text)")
        #expect(!ok.text.contains("S3cret") && ok.text.contains("rtsp://***@10.0.0.2:554/sub"), "\(ok.text)")

        for (what, replace, with) in Self.broken {
            #expect(Self.base.contains(replace), "\(what): the test's text is not in the file")
            try Self.base.replacingOccurrences(of: replace, with: with).write(toFile: file, atomically: true, encoding: .utf8)
            let out = try checkConfig(file)
            #expect(out.status == 78, "\(what): \(out.text)")
            #expect(!out.text.contains("S3cret"), "\(what): \(out.text)")
            // One line: "gridwatchd: configuration error: FILE:LINE: [KEY: ]MESSAGE".
            #expect(out.text.hasPrefix("gridwatchd: configuration error: \(file):"), "\(what): \(out.text)")
            #expect(out.text.split(separator: "\n").count == 1, "\(what): \(out.text)")
        }
    }

    @Test func aDuplicateKeyInAFileOfThousandsOfCamerasGivesItsPlace() throws {
        let dir = try TemporaryDirectory("gw-secrets")
        defer { dir.remove() }
        var text = "grids:\n  - id: g\ncameras:\n"
        for i in 0..<3000 {
            text += "  - id: c\(i)\n    grid: g\n    source: rtsp://admin:S3cret\(i)@10.0.\(i / 256).\(i % 256)/sub\n"
        }
        text += "    source: rtsp://admin:S3cretLast@10.0.99.99/sub\n"
        let file = dir.path("gridwatch.yml")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let out = try checkConfig(file)
        #expect(out.status == 78)
        #expect(out.text == "gridwatchd: configuration error: \(file):9004: cameras[2999].source: duplicate key (first at line 9003)\n")
    }

    /// The running daemon refuses a reload (`POST /v1/reload`, SIGHUP) of such a file without
    /// repeating the password in the answer or the log; a stream that is down is logged and
    /// shown with its credentials hidden, whatever they hold.
    @Test func aRefusedReloadShowsNoPassword() throws {
        let dir = try TemporaryDirectory("gw-secrets")
        defer { dir.remove() }
        // Port 1 on the loopback: nothing listens, the stream is down at once.
        let camera = "  - id: gate\n    grid: g\n    source: rtsp://cam:Mn%2FS3cretPw@127.0.0.1:1/cam\n    open_timeout: 1\n"
        let body = "grids:\n  - id: g\ncameras:\n" + camera
        let daemon = try DaemonHarness(dir: dir, body: body)
        defer { daemon.stop() }
        #expect(daemon.waitForCamera("gate", timeout: 30) { $0.lastError != nil }, "\(daemon.log)")
        #expect(daemon.camera("gate")?.source == "rtsp://***@127.0.0.1:1/cam")

        let header = "daemon:\n  data_dir: data\n  socket: control.sock\n"
        let duplicate = header + body + "    source: rtsp://cam:Other%2FS3cretPw@127.0.0.1:1/cam\n"
        try duplicate.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        let (status, refused) = try daemon.client.exchange("POST", "/v1/reload", as: ConfigReport.self, alsoAccepting: [422])
        #expect(status == 422)
        let issue = try #require(refused.errors.first)
        #expect(issue.key == "cameras[0].source" && issue.line == 11 && issue.message == "duplicate key (first at line 9)", "\(refused.errors)")

        let broken = header + body.replacingOccurrences(of: "Mn%2FS3cretPw", with: "Mn/S3cretPw")
        try broken.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        daemon.child.signal(SIGHUP)
        #expect(waitUntil(timeout: 10) { daemon.log.contains("reload refused") }, "\(daemon.log)")
        #expect(daemon.log.contains("rtsp://***@127.0.0.1:1/cam"), "\(daemon.log)")
        #expect(!daemon.log.contains("S3cret"), "\(daemon.log)")
        let cameras = String(decoding: try daemon.client.getBytes("/v1/cameras"), as: UTF8.self)
        #expect(!cameras.contains("S3cret"), "\(cameras)")
    }
}
