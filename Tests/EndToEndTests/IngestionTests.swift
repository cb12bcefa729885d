import ControlClient
import ControlProtocol
import Foundation
import Testing
import TestSupport

/// Cameras that drop off, stall, reboot, change resolution, send garbage or refuse
/// credentials, against real RTSP servers on 127.0.0.1 and the real daemon.
@Suite(.serialized) struct IngestionTests {
    /// The clips here are flat gray: a covered lens to the integrity checks (which have tests
    /// of their own, on real footage). These tests are about the stream.
    func grid() -> String { "analysis:\n  integrity: false\ngrids:\n  - id: g\ncameras:\n" }

    @Test func aCameraThatRestartsStreamsAgain() throws {
        let dir = try TemporaryDirectory("gw-ingest")
        defer { dir.remove() }
        try Clips.stillScene(dir.path("still.mp4"), seconds: 10)
        let port = freePort()
        var server = try RTSPServer(file: dir.path("still.mp4"), loop: true, port: port)
        let daemon = try DaemonHarness(dir: dir, body: grid() + """
              - id: cam
                grid: g
                source: \(server.url)
                reconnect_min: 0.5
                reconnect_max: 2
            """)
        defer { daemon.stop(); server.stop() }
        #expect(daemon.waitForCamera("cam", timeout: 30) { $0.state == "streaming" && $0.framesDecoded > 10 })
        // The camera reboots: its server disappears ...
        server.child.signal(SIGKILL)
        _ = server.child.wait(timeout: 5)
        #expect(daemon.waitForCamera("cam", timeout: 20) { $0.state != "streaming" }, "\(daemon.log)")
        let before = daemon.camera("cam")?.framesDecoded ?? 0
        // ... and comes back on the same address.
        server = try RTSPServer(file: dir.path("still.mp4"), loop: true, port: port)
        #expect(daemon.waitForCamera("cam", timeout: 20) { $0.state == "streaming" && $0.framesDecoded > before + 10 }, "\(daemon.log)")
        #expect((daemon.camera("cam")?.reconnects ?? 0) >= 1)
        #expect(daemon.camera("cam")?.inputFps ?? 0 > 5)
    }

    @Test func aStalledCameraIsDetectedAndRecovered() throws {
        let dir = try TemporaryDirectory("gw-ingest")
        defer { dir.remove() }
        try Clips.stillScene(dir.path("still.mp4"), seconds: 10)
        let server = try RTSPServer(file: dir.path("still.mp4"), loop: true)
        let daemon = try DaemonHarness(dir: dir, body: grid() + """
              - id: cam
                grid: g
                source: \(server.url)
                stall_timeout: 2
                open_timeout: 2
                reconnect_min: 0.5
                reconnect_max: 1
            """)
        defer { daemon.stop(); server.stop() }
        #expect(daemon.waitForCamera("cam", timeout: 30) { $0.state == "streaming" && $0.framesDecoded > 10 })
        // The camera freezes with its TCP connection open.
        server.child.signal(SIGSTOP)
        #expect(waitUntil(timeout: 15) { daemon.log.contains("stalled: no new frame for 2 s") }, "\(daemon.log)")
        #expect(daemon.waitForCamera("cam", timeout: 5) { $0.state != "streaming" })
        server.child.signal(SIGCONT)
        let before = daemon.camera("cam")?.framesDecoded ?? 0
        #expect(daemon.waitForCamera("cam", timeout: 30) { $0.state == "streaming" && $0.framesDecoded > before + 10 }, "\(daemon.log)")
    }

    @Test func aCameraDownPastOfflineAfterRaisesOneTicketThenRecovers() throws {
        let dir = try TemporaryDirectory("gw-ingest")
        defer { dir.remove() }
        try Clips.stillScene(dir.path("still.mp4"), seconds: 10)
        let port = freePort()
        var server = try RTSPServer(file: dir.path("still.mp4"), loop: true, port: port)
        let daemon = try DaemonHarness(dir: dir, body: grid() + """
              - id: cam
                name: 村口
                grid: g
                source: \(server.url)
                offline_after: 8
                open_timeout: 2
                reconnect_min: 0.3
                reconnect_max: 1
            """)
        defer { daemon.stop(); server.stop() }
        #expect(daemon.waitForCamera("cam", timeout: 30) { $0.state == "streaming" })

        // A short drop (a flap) raises nothing.
        server.stop()
        #expect(daemon.waitForCamera("cam", timeout: 10) { $0.state != "streaming" })
        server = try RTSPServer(file: dir.path("still.mp4"), loop: true, port: port)
        #expect(daemon.waitForCamera("cam", timeout: 10) { $0.state == "streaming" })
        // Streaming steadily long enough to count as back (offline_after / 2), with no ticket.
        #expect(!waitUntil(timeout: 5) { daemon.tickets().total > 0 })

        // A long one raises exactly one offline ticket.
        server.stop()
        let down = Date()
        #expect(waitUntil(timeout: 20) { daemon.tickets().total >= 1 }, "\(daemon.log)")
        #expect(Date().timeIntervalSince(down) >= 7.5)
        #expect(daemon.camera("cam")?.state == "offline")
        #expect(daemon.camera("cam")?.offlineSince != nil)
        // Still down a while longer: still one ticket.
        #expect(!waitUntil(timeout: 3) { daemon.tickets().total > 1 })
        let ticket = try #require(daemon.tickets().tickets.first)
        #expect(ticket.category == .cameraOffline && ticket.cameraId == "cam" && ticket.state == .new)
        #expect(ticket.title.contains("摄像头离线") && ticket.title.contains("村口"))

        // It comes back: the ticket gets a "recovered after N s" event and stays open.
        server = try RTSPServer(file: dir.path("still.mp4"), loop: true, port: port)
        let recovered = waitUntil(timeout: 30) {
            let detail = try? daemon.client.get("/v1/tickets/\(ticket.id)", as: TicketDetail.self)
            return detail?.events.contains { $0.kind == "recovered" } ?? false
        }
        #expect(recovered, "\(daemon.log)")
        let detail = try daemon.client.get("/v1/tickets/\(ticket.id)", as: TicketDetail.self)
        let note = try #require(detail.events.first { $0.kind == "recovered" }?.note)
        // Without Accept-Language the daemon's words come in both languages.
        let seconds = note.firstMatch(of: /recovered after (\d+) s/).flatMap { Int($0.1) } ?? 0
        #expect(note.hasPrefix("离线 ") && seconds >= 8 && seconds < 40, "\(note)")
        #expect(detail.ticket.state == .new)
        #expect(daemon.tickets().total == 1)
        #expect(daemon.camera("cam")?.state == "streaming" && daemon.camera("cam")?.offlineSince == nil)
    }

    @Test func aResolutionChangeMidStreamIsFollowedWithoutAFalseAlarm() throws {
        let dir = try TemporaryDirectory("gw-ingest")
        defer { dir.remove() }
        try Clips.resolutionChange(dir.path("change.h264"), first: "640x360", second: "480x270", secondsEach: 6)
        let server = try RTSPServer(file: dir.path("change.h264"))
        let daemon = try DaemonHarness(dir: dir, body: grid() + """
              - id: cam
                grid: g
                source: \(server.url)
                zones:
                  - id: all
                    polygon: [[0, 0], [1, 0], [1, 1], [0, 1]]
                    enter_frames: 1
            """)
        defer { daemon.stop(); server.stop() }
        #expect(daemon.waitForCamera("cam", timeout: 40) { $0.width == 480 && $0.height == 270 && $0.framesAnalysed >= 50 }, "\(daemon.log)")
        // The log line is written beside the status the wait above saw, not before it.
        #expect(waitUntil(timeout: 10) { daemon.log.contains("resolution changed") }, "\(daemon.log)")
        #expect(daemon.tickets().total == 0, "\(daemon.tickets())")
        #expect(daemon.camera("cam")?.state == "streaming")
    }

    @Test func corruptPacketsAreLoggedAndSurvived() throws {
        let dir = try TemporaryDirectory("gw-ingest")
        defer { dir.remove() }
        try Clips.walkingBox(dir.path("walk.ts"), seconds: 12, start: 1)
        try Clips.bitFlipped(dir.path("walk.ts"), to: dir.path("flipped.ts"))
        let server = try RTSPServer(file: dir.path("flipped.ts"), loop: true)
        let daemon = try DaemonHarness(dir: dir, body: grid() + """
              - id: cam
                grid: g
                source: \(server.url)
              - id: file
                grid: g
                source: \(dir.path("flipped.ts"))
            """)
        defer { daemon.stop(); server.stop() }
        #expect(daemon.waitForCamera("cam", timeout: 40) { $0.framesDecoded > 100 }, "\(daemon.log)")
        #expect(daemon.waitForCamera("file", timeout: 40) { $0.framesDecoded > 50 }, "\(daemon.log)")
        #expect(daemon.cameras().allSatisfy { $0.decodeErrors > 0 }, "\(daemon.cameras())")
        #expect(daemon.log.contains("corrupt data"))
        #expect(daemon.child.process.isRunning)
        #expect((try? daemon.client.get("/v1/health", as: HealthResponse.self)) != nil)
    }

    @Test func garbageOnTheCameraPortIsAnErrorNotACrash() throws {
        let dir = try TemporaryDirectory("gw-ingest")
        defer { dir.remove() }
        // A "camera" that answers every connection with random bytes.
        let garbage = try ChildProcess("/usr/bin/python3", ["-c", """
            import os, socket, sys
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
            print(s.getsockname()[1], flush=True)
            while True:
                c, _ = s.accept()
                try:
                    c.sendall(os.urandom(65536))
                except OSError:
                    pass
                c.close()
            """])
        defer { garbage.stop() }
        let port = try #require(garbage.readLine(timeout: 10))
        try Clips.stillScene(dir.path("still.mp4"), seconds: 10)
        let server = try RTSPServer(file: dir.path("still.mp4"), loop: true)
        let daemon = try DaemonHarness(dir: dir, body: grid() + """
              - id: bad
                grid: g
                source: rtsp://127.0.0.1:\(port)/cam
                open_timeout: 2
                reconnect_min: 0.5
                reconnect_max: 1
              - id: good
                grid: g
                source: \(server.url)
            """)
        defer { daemon.stop(); server.stop() }
        #expect(daemon.waitForCamera("bad", timeout: 20) { $0.reconnects >= 2 && $0.lastError != nil }, "\(daemon.log)")
        #expect(daemon.camera("bad")?.framesDecoded == 0)
        #expect(daemon.waitForCamera("good", timeout: 20) { $0.state == "streaming" && $0.framesDecoded > 20 })
        #expect(daemon.child.process.isRunning)
    }

    @Test(arguments: ["basic", "digest"])
    func wrongCredentialsGiveAnAuthenticationFailedStateNotARetryStorm(method: String) throws {
        let dir = try TemporaryDirectory("gw-ingest")
        defer { dir.remove() }
        try Clips.stillScene(dir.path("still.mp4"), seconds: 10)
        let server = try RTSPServer(file: dir.path("still.mp4"), loop: true, user: "operator", password: "right pass", auth: method)
        try "right pass\n".write(toFile: dir.path("password"), atomically: true, encoding: .utf8)
        let daemon = try DaemonHarness(dir: dir, body: grid() + """
              - id: right
                grid: g
                source: \(server.url)
                username: operator
                password_file: password
              - id: wrong
                grid: g
                source: \(server.url.replacingOccurrences(of: "rtsp://", with: "rtsp://operator:wrong-secret@"))
                reconnect_min: 0.5
              - id: fromenv
                grid: g
                source: \(server.url)
                username: operator
                password_env: GW_TEST_PASSWORD
            """, environment: ["GW_TEST_PASSWORD": "right pass"])
        defer { daemon.stop(); server.stop() }
        #expect(daemon.waitForCamera("right", timeout: 20) { $0.state == "streaming" && $0.framesDecoded > 5 }, "\(daemon.log)")
        #expect(daemon.waitForCamera("fromenv", timeout: 20) { $0.state == "streaming" && $0.framesDecoded > 5 })
        #expect(daemon.waitForCamera("wrong", timeout: 20) { $0.state == "auth_failed" }, "\(daemon.log)")
        let wrong = try #require(daemon.camera("wrong"))
        #expect(wrong.lastError?.contains("authentication failed") == true)
        // No retry storm: with reconnect_max at its default (60 s), no second attempt for a good while.
        #expect(!waitUntil(timeout: 5) { (daemon.camera("wrong")?.reconnects ?? 0) > 0 })
        let everything = daemon.log + String(decoding: (try? daemon.client.request("GET", "/v1/cameras").body) ?? [], as: UTF8.self)
        #expect(!everything.contains("wrong-secret") && !everything.contains("right pass"))
    }

    @Test(arguments: [("h265", "libx265", "hevc"), ("mjpeg", "mjpeg", "mjpeg")])
    func otherCameraCodecsStreamOverRTSP(serverCodec: String, encoder: String, reported: String) throws {
        let dir = try TemporaryDirectory("gw-ingest")
        defer { dir.remove() }
        try Clips.testPattern(dir.path("clip.mkv"), seconds: 4, size: "320x240", fps: 10, codec: encoder)
        let server = try RTSPServer(file: dir.path("clip.mkv"), codec: serverCodec, loop: true)
        let daemon = try DaemonHarness(dir: dir, body: grid() + """
              - id: cam
                grid: g
                source: \(server.url)
            """)
        defer { daemon.stop(); server.stop() }
        #expect(daemon.waitForCamera("cam", timeout: 30) { $0.state == "streaming" && $0.framesAnalysed > 10 }, "\(daemon.log)")
        #expect(daemon.camera("cam")?.codec == reported)
    }

    @Test func theRecordStreamIsKeptAsPacketsWithoutDecoding() throws {
        let dir = try TemporaryDirectory("gw-ingest")
        defer { dir.remove() }
        try Clips.stillScene(dir.path("sub.mp4"), seconds: 10, size: "320x180")
        try Clips.stillScene(dir.path("main.mp4"), seconds: 10, size: "1280x720")
        let sub = try RTSPServer(file: dir.path("sub.mp4"), loop: true, path: "/sub")
        let main = try RTSPServer(file: dir.path("main.mp4"), loop: true, path: "/main")
        let daemon = try DaemonHarness(dir: dir, body: grid() + """
              - id: cam
                grid: g
                source: \(sub.url)
                record: \(main.url)
                record_seconds: 3
                clips:
                  pre_roll: 2
            """)
        defer { daemon.stop(); sub.stop(); main.stop() }
        // Both streams up at once: the sub stream decoded at its size, the main one kept.
        #expect(daemon.waitForCamera("cam", timeout: 30) { $0.state == "streaming" && $0.width == 320 && ($0.record?.packets ?? 0) > 60 }, "\(daemon.log)")
        let camera = try #require(daemon.camera("cam"))
        #expect(camera.width == 320, "\(daemon.log)")
        let record = try #require(camera.record)
        #expect(record.state == "streaming" && record.width == 1280 && record.codec == "h264")
        // Bounded: at most the configured seconds plus one group of pictures (1 s); the
        // buffer reaches back at least the clips' pre-roll (2 s here) to a keyframe.
        #expect(record.bufferedSeconds >= 1.9 && record.bufferedSeconds <= 3.05, "\(record)")
    }

    @Test func shutdownDoesNotWaitForAHungCamera() throws {
        let dir = try TemporaryDirectory("gw-ingest")
        defer { dir.remove() }
        // A camera that accepts the connection and then says nothing, ever.
        let silent = try ChildProcess("/usr/bin/python3", ["-c", """
            import socket, time
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
            print(s.getsockname()[1], flush=True)
            conns = []
            while True:
                c, _ = s.accept(); conns.append(c)
            """])
        defer { silent.stop() }
        let port = try #require(silent.readLine(timeout: 10))
        let daemon = try DaemonHarness(dir: dir, body: grid() + """
              - id: hung
                grid: g
                source: rtsp://127.0.0.1:\(port)/cam
                open_timeout: 120
            """)
        #expect(daemon.waitForCamera("hung", timeout: 10) { $0.state == "connecting" })
        let started = Date()
        daemon.child.signal(SIGTERM)
        #expect(daemon.child.wait(timeout: 10) == 0)
        let took = Date().timeIntervalSince(started)
        #expect(took < 2.5, "took \(took) s")
    }

}

/// Fifty restarts of one camera: a suite of its own, so this long test runs beside the other
/// ingestion tests rather than after them (`make test`'s wall time).
@Suite(.serialized) struct RestartLeakTests {
    func grid() -> String { "analysis:\n  integrity: false\ngrids:\n  - id: g\ncameras:\n" }

    @Test func fiftyCameraRestartsLeaveDescriptorsAndThreadsWhereTheyWere() throws {
        let dir = try TemporaryDirectory("gw-ingest")
        defer { dir.remove() }
        try Clips.stillScene(dir.path("still.mp4"), seconds: 4, size: "320x180")
        let port = freePort()
        var server = try RTSPServer(file: dir.path("still.mp4"), loop: true, port: port)
        let daemon = try DaemonHarness(dir: dir, body: grid() + """
              - id: cam
                grid: g
                source: \(server.url)
                open_timeout: 3
                reconnect_min: 0.1
                reconnect_max: 0.3
            """)
        defer { daemon.stop(); server.stop() }
        #expect(daemon.waitForCamera("cam", timeout: 30) { $0.state == "streaming" && $0.framesDecoded > 5 })
        let fds = daemon.openFileDescriptors
        let threads = daemon.threads
        var reconnects = daemon.camera("cam")?.reconnects ?? 0
        for cycle in 0..<50 {
            server.child.signal(SIGKILL)
            _ = server.child.wait(timeout: 5)
            #expect(daemon.waitForCamera("cam", timeout: 15) { $0.state != "streaming" }, "cycle \(cycle)")
            server = try RTSPServer(file: dir.path("still.mp4"), loop: true, port: port)
            let ok = daemon.waitForCamera("cam", timeout: 15) { $0.state == "streaming" && $0.reconnects > reconnects }
            #expect(ok, "cycle \(cycle): \(daemon.log.suffix(2000))")
            if !ok { break }
            reconnects = daemon.camera("cam")?.reconnects ?? 0
        }
        #expect(daemon.waitForCamera("cam", timeout: 15) { $0.state == "streaming" })
        // A leak would leave 50 more; a control-socket connection just closed by the test's
        // own status request may take a moment to go, so the count must settle, not be exact at once.
        #expect(waitUntil(timeout: 5) { daemon.openFileDescriptors <= fds }, "fds \(fds) → \(daemon.openFileDescriptors)")
        #expect(waitUntil(timeout: 5) { daemon.threads <= threads }, "threads \(threads) → \(daemon.threads)")
    }
}

/// How fast a camera is back after outages of any length, how exactly a stall is seen, and
/// what a refused password looks like: the reconnect policy against real RTSP servers, with
/// the default reconnect settings a new user gets.
@Suite(.serialized) struct ReconnectTests {
    /// Flat gray clips (a covered lens to the integrity checks): these tests are about the stream.
    func config(_ url: String, extra: String = "") -> String {
        """
        analysis:
          integrity: false
        grids:
          - id: g
        cameras:
          - id: cam
            grid: g
            source: \(url)
            offline_after: 600
        \(extra)
        """
    }

    /// A camera streaming from a looping still scene on a port of its own, with the defaults.
    func streamingCamera() throws -> (TemporaryDirectory, Int, RTSPServer, DaemonHarness) {
        let dir = try TemporaryDirectory("gw-reconnect")
        try Clips.stillScene(dir.path("still.mp4"), seconds: 10)
        let port = freePort()
        let server = try RTSPServer(file: dir.path("still.mp4"), loop: true, port: port)
        let daemon = try DaemonHarness(dir: dir, body: config(server.url))
        #expect(daemon.waitForCamera("cam", timeout: 30) { $0.state == "streaming" && $0.framesDecoded > 10 })
        return (dir, port, server, daemon)
    }

    /// Seconds from the server answering again until the camera decodes new frames.
    func backAfter(_ daemon: DaemonHarness, restart: () throws -> Void) throws -> Double {
        let before = daemon.camera("cam")?.framesDecoded ?? 0
        try restart()
        let answered = Date()
        let ok = daemon.waitForCamera("cam", timeout: 30, { $0.state == "streaming" && $0.framesDecoded > before })
        #expect(ok, "\(daemon.log)")
        return Date().timeIntervalSince(answered)
    }

    @Test(arguments: [5.0, 30.0])
    func framesAreBackWithinFiveSecondsOfTheCameraAnsweringWhateverTheOutage(outage: Double) throws {
        let (dir, port, first, daemon) = try streamingCamera()
        var server = first
        defer { daemon.stop(); server.stop(); dir.remove() }
        // The camera reboots: gone for `outage` seconds, then back on the same address.
        server.child.signal(SIGKILL)
        _ = server.child.wait(timeout: 5)
        #expect(daemon.waitForCamera("cam", timeout: 15) { $0.state != "streaming" })
        Thread.sleep(forTimeInterval: outage)  // the outage itself, not synchronisation
        let back = try backAfter(daemon) { server = try RTSPServer(file: dir.path("still.mp4"), loop: true, port: port) }
        print("reconnect after a \(Int(outage)) s outage: frames again \(String(format: "%.1f", back)) s after the camera answered")
        #expect(back <= 5, "\(daemon.log)")
    }

    @Test func repeatedShortOutagesReconnectInEveryUpWindow() throws {
        let (dir, port, first, daemon) = try streamingCamera()
        var server = first
        defer { daemon.stop(); server.stop(); dir.remove() }
        var times: [Double] = []
        for _ in 0..<5 {
            // 5 s down, then up: the camera must stream again well inside a 10 s up-window.
            server.stop()
            #expect(daemon.waitForCamera("cam", timeout: 15) { $0.state != "streaming" })
            Thread.sleep(forTimeInterval: 5)  // the outage itself
            let upAt = Date()
            times.append(try backAfter(daemon) { server = try RTSPServer(file: dir.path("still.mp4"), loop: true, port: port) })
            // Stay up for the rest of the 10 s window.
            let rest = 10 - Date().timeIntervalSince(upAt)
            if rest > 0 { Thread.sleep(forTimeInterval: rest) }
        }
        print("reconnect in repeated outages: \(times.map { String(format: "%.1f", $0) })")
        #expect(times.allSatisfy { $0 <= 5 }, "\(times) \(daemon.log)")
        #expect(daemon.tickets().total == 0)
    }

    /// 30 s is where FFmpeg's RTSP demuxer, interrupted, handed out a fragment as a packet
    /// and the stall went unseen.
    @Test(arguments: [3.0, 10.0, 30.0])
    func aStallIsShownStallTimeoutAfterTheLastFrame(stall: Double) throws {
        let dir = try TemporaryDirectory("gw-reconnect")
        defer { dir.remove() }
        try Clips.stillScene(dir.path("still.mp4"), seconds: 10)
        let server = try RTSPServer(file: dir.path("still.mp4"), loop: true)
        let daemon = try DaemonHarness(dir: dir, body: config(server.url, extra: "    stall_timeout: \(Int(stall))"))
        defer { daemon.stop(); server.child.signal(SIGCONT); server.stop() }
        #expect(daemon.waitForCamera("cam", timeout: 30) { $0.state == "streaming" && $0.framesDecoded > 10 })
        // The camera freezes with its TCP connection open.
        server.child.signal(SIGSTOP)
        // The last frame is the last one to arrive: a batch (`analysis.batch_seconds`) the
        // freeze cut short is decoded at the stall, stamped with its frames' arrival.
        var lastFrame: Date?
        var frames = 0
        var stalledAt: Date?
        let deadline = Date().addingTimeInterval(stall + 15)
        while Date() < deadline, let c = daemon.camera("cam") {
            (lastFrame, frames) = (c.lastFrameAt, c.framesDecoded)
            if c.state == "stalled" { stalledAt = Date(); break }
            Thread.sleep(forTimeInterval: 0.05)  // polling the API; the daemon offers no signal
        }
        let seen = try #require(stalledAt, "\(daemon.log)").timeIntervalSince(try #require(lastFrame))
        print("stall_timeout \(Int(stall)) s: shown stalled \(String(format: "%.2f", seen)) s after the last frame")
        #expect(abs(seen - stall) <= 1, "\(daemon.log)")
        #expect(daemon.camera("cam")?.lastError?.contains("stalled") == true)
        // Still stalled while the reconnects time out, not "backoff" or "connecting".
        #expect(!waitUntil(timeout: stall + 3) { daemon.camera("cam")?.state != "stalled" })
        #expect(!daemon.log.contains("Connection timed out") && !daemon.log.contains("Invalid data"), "\(daemon.log)")
        server.child.signal(SIGCONT)
        #expect(daemon.waitForCamera("cam", timeout: 30) { $0.state == "streaming" && $0.framesDecoded > frames + 5 }, "\(daemon.log)")
    }

    @Test func aWrongPasswordRaisesAnAuthenticationTicketAndStaysAuthFailed() throws {
        let dir = try TemporaryDirectory("gw-reconnect")
        defer { dir.remove() }
        try Clips.stillScene(dir.path("still.mp4"), seconds: 10)
        let server = try RTSPServer(file: dir.path("still.mp4"), loop: true, user: "operator", password: "right")
        let daemon = try DaemonHarness(dir: dir, body: """
            grids:
              - id: g
            cameras:
              - id: cam
                name: 村口
                grid: g
                source: \(server.url.replacingOccurrences(of: "rtsp://", with: "rtsp://operator:wrong-Pw9@"))
                offline_after: 3
            """)
        defer { daemon.stop(); server.stop() }
        #expect(waitUntil(timeout: 20) { daemon.tickets().total == 1 }, "\(daemon.log)")
        let ticket = try #require(daemon.tickets().tickets.first)
        #expect(ticket.title.contains("认证失败") && ticket.title.contains("authentication failed"), "\(ticket.title)")
        let detail = try daemon.client.get("/v1/tickets/\(ticket.id)", as: TicketDetail.self)
        let created = try #require(detail.events.first { $0.kind == "created" })
        #expect(created.note?.contains("认证失败") == true && created.note?.contains("authentication failed") == true)
        #expect(daemon.camera("cam")?.state == "auth_failed")
        let everything = daemon.log + String(decoding: (try? daemon.client.request("GET", "/v1/tickets/\(ticket.id)").body) ?? [], as: UTF8.self)
        #expect(!everything.contains("wrong-Pw9"))
    }
}

/// Decode-on-demand in the daemon: a still camera decodes keyframes only, shows it, and
/// the first person walking through still raises their ticket.
@Suite(.serialized) struct IdleDecodingEndToEndTests {
    @Test func aStillCameraDecodesKeyframesOnlyAndStillSeesTheWalker() throws {
        let dir = try TemporaryDirectory("gw-idle")
        defer { dir.remove() }
        // 12 s still, then a walker crossing the middle at 13.9 s; looping.
        try Clips.stillThenWalker(dir.path("scene.mp4"), seconds: 20, walkFrom: 12)
        let server = try RTSPServer(file: dir.path("scene.mp4"), loop: true)
        let daemon = try DaemonHarness(dir: dir, body: """
            analysis:
              integrity: false
              idle_decode: keyframes
              idle_after: 2
              idle_keyframe_every: 3
            grids:
              - id: g
            cameras:
              - id: cam
                grid: g
                source: \(server.url)
                tripwires:
                  - id: middle
                    a: [0.5, 0.4]
                    b: [0.5, 1.0]
            """)
        defer { daemon.stop(); server.stop() }
        // Still: keyframes only, the packets between them counted as skipped.
        #expect(daemon.waitForCamera("cam", timeout: 30) { $0.decodeMode == "keyframes" }, "\(daemon.log)")
        #expect(daemon.waitForCamera("cam", timeout: 30) { ($0.framesSkipped ?? 0) > 20 }, "\(daemon.log)")
        let still = try #require(daemon.camera("cam"))
        // The camera still sends 10 frames a second; they are not all decoded.
        #expect(still.inputFps > 5)
        // The walker wakes it and crosses the line: the ticket comes.
        #expect(waitUntil(timeout: 40) { daemon.tickets().tickets.contains { $0.kind == "crossing" } }, "\(daemon.log)")
        #expect(daemon.waitForCamera("cam", timeout: 10) { $0.decodeMode == "full" || ($0.framesDecoded > still.framesDecoded + 20) })
        let metrics = String(decoding: try daemon.client.getBytes("/metrics"), as: UTF8.self)
        #expect(metrics.contains("gridwatch_frames_skipped_total{camera=\"cam\"}"), "\(metrics.prefix(400))")
        #expect(metrics.contains("gridwatch_decode_keyframes_only{camera=\"cam\"}"))
    }
}
