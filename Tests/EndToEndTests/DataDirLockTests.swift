import ControlClient
import ControlProtocol
import Foundation
import Testing
import TestSupport

/// One daemon per data folder: a second one on the same `data_dir` refuses to start.
@Suite(.serialized) struct DataDirLockTests {
    @Test func aSecondDaemonOnTheSameDataDirExitsNamingTheFirstsPID() throws {
        let dir = try TemporaryDirectory("gw-lock")
        defer { dir.remove() }
        try Clips.stillScene(dir.path("still.mp4"), seconds: 4)
        let body = """
            grids:
              - id: g1
                name: 东村
            cameras:
              - id: still
                grid: g1
                source: \(dir.path("still.mp4"))
                loop: true
                realtime: true

            """
        let first = try DaemonHarness(dir: dir, body: body)
        defer { first.stop() }

        // The same data folder, another socket: nothing else stops the second one.
        try ("daemon:\n  data_dir: data\n  socket: control2.sock\n" + body).write(toFile: dir.path("second.yml"), atomically: true, encoding: .utf8)
        let second = try ChildProcess(Paths.executable("gridwatchd").path, ["run", "--config", dir.path("second.yml")], logPath: dir.path("second.log"))
        defer { second.stop() }
        let status = second.wait(timeout: 20)
        #expect(status == 75, "second daemon: status \(status.map(String.init) ?? "still running"): \(second.log)")
        #expect(second.log.contains("\(first.child.pid)"), "the message names the holder: \(second.log)")
        #expect(second.log.contains("data") && second.log.contains("另一个"), "\(second.log)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("control2.sock")))

        // The first goes on.
        #expect(first.child.process.isRunning)
        #expect((try? first.client.get("/v1/health", as: HealthResponse.self)) != nil)
        let lock = try String(contentsOfFile: dir.path("data/gridwatchd.lock"), encoding: .utf8)
        #expect(lock.trimmingCharacters(in: .whitespacesAndNewlines) == "\(first.child.pid)")

        // A lock file left by a daemon that died (kill -9) does not block the next start.
        first.child.signal(SIGKILL)
        #expect(first.child.wait(timeout: 10) != nil)
        #expect(FileManager.default.fileExists(atPath: dir.path("data/gridwatchd.lock")))
        let third = try DaemonHarness(dir: dir, body: body)
        defer { third.stop() }
        #expect(third.child.process.isRunning)
        let relock = try String(contentsOfFile: dir.path("data/gridwatchd.lock"), encoding: .utf8)
        #expect(relock.trimmingCharacters(in: .whitespacesAndNewlines) == "\(third.child.pid)")
        third.stop()
        #expect(third.child.process.terminationStatus == 0, "\(third.log)")
    }
}
