import ControlClient
import ControlProtocol
import Foundation
import Testing
import TestSupport

/// Two file cameras (looping, at real time) in which a box walks into a zone every loop.
private func walkersConfig(clip: String) -> String {
    """
    grids:
      - id: village
        name: 东村
    cameras:
    \(["walk1", "walk2"].map { walkerCamera(id: $0, name: "东门 \($0)", clip: clip) }.joined(separator: "\n"))

    """
}

/// The same cameras showing a still scene: they raise nothing.
private func stillConfig(clip: String) -> String {
    walkersConfig(clip: clip)
}

/// The data folder on a small tmpfs that a big file fills, as a full disk.
@Suite(.serialized, .enabled(if: TmpfsMount.permitted, "needs root and mount(2): the data folder is a small tmpfs filled up"))
struct DiskFullTests {
    /// Sum of the occurrences of every ticket: each alert written adds one.
    static func occurrences(_ daemon: DaemonHarness) -> Int {
        daemon.tickets("limit=1000").tickets.reduce(0) { $0 + ($1.occurrences ?? 1) }
    }

    static func health(_ daemon: DaemonHarness) -> HealthResponse? {
        try? daemon.client.get("/v1/health", as: HealthResponse.self)
    }

    /// Files in the evidence folder that are temporary or empty.
    static func leftovers(_ root: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: root + "/snapshots")
        var out: [String] = []
        while let name = enumerator?.nextObject() as? String {
            let path = root + "/snapshots/" + name
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else { continue }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            if name.hasSuffix(".tmp") || size == 0 { out.append(name) }
        }
        return out
    }

    @Test func ticketActionsAndBackupSayDiskFullInBothLanguages() throws {
        let dir = try TemporaryDirectory("gw-full")
        defer { dir.remove() }
        try Clips.walkingBox(dir.path("walk.mp4"), seconds: 8, start: 1)
        let disk = try TmpfsMount(at: dir.path("data"), size: "32m")
        defer { disk.unmount() }
        let daemon = try DaemonHarness(dir: dir, body: walkersConfig(clip: dir.path("walk.mp4")))
        defer { daemon.stop() }
        #expect(waitUntil(timeout: 60) { daemon.tickets().total >= 1 }, "no ticket: \(daemon.log)")
        let id = try #require(daemon.tickets().tickets.last?.id)

        disk.fill()
        #expect(disk.freeBytes == 0)
        // SQLite may reuse the write-ahead log's pages for a while: notes until one fails.
        var answer = (status: 201, body: "")
        for i in 0..<3000 where answer.status == 201 {
            let r = try daemon.client.request("POST", "/v1/tickets/\(id)/notes", body: Array("{\"note\":\"n\(i)\"}".utf8), headers: ["Content-Type": "application/json"])
            answer = (r.status, String(decoding: r.body, as: UTF8.self))
        }
        #expect(answer.status == 507, "\(answer)")
        #expect(answer.body.contains("磁盘已满") && answer.body.contains("disk full"), "\(answer.body)")
        let r = try daemon.client.request("POST", "/v1/tickets/\(id)/acknowledge", body: nil, headers: [:])
        let body = String(decoding: r.body, as: UTF8.self)
        #expect(r.status == 507, "\(r.status) \(body)")
        #expect(body.contains("磁盘已满") && body.contains("disk full"), "\(body)")
        #expect(!body.contains("internal error"))

        // Backup (its copy is made in the data folder first).
        let ctl = Process()
        ctl.executableURL = Paths.executable("gridwatchctl")
        ctl.arguments = ["backup", dir.path("backup.sqlite")]
        ctl.environment = ["GRIDWATCH_SOCKET": dir.path("control.sock"), "LANG": "C.UTF-8"]
        let err = Pipe()
        ctl.standardError = err
        ctl.standardOutput = FileHandle.nullDevice
        try ctl.run()
        let said = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ctl.waitUntilExit()
        #expect(ctl.terminationStatus == 1, "\(said)")
        // gridwatchctl asks for its locale's language (English here); the API without
        // Accept-Language, above, said both.
        #expect(said.contains("disk full") && !said.contains("磁盘已满"), "\(said)")
        #expect(!said.contains("not an error"), "\(said)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: dir.path("data")))?.contains { $0.hasPrefix("backup-") } == false)

        // With room again, the same action works.
        try FileManager.default.removeItem(atPath: dir.path("data/filler"))
        let ok = try daemon.client.request("POST", "/v1/tickets/\(id)/acknowledge", body: nil, headers: [:])
        #expect(ok.status == 200, "\(String(decoding: ok.body, as: UTF8.self))")
    }

    @Test func alertsRaisedWhileTheDiskIsFullSurviveAStopAndBecomeTicketsAfterRestart() throws {
        let dir = try TemporaryDirectory("gw-full")
        defer { dir.remove() }
        try Clips.walkingBox(dir.path("walk.mp4"), seconds: 8, start: 1)
        try Clips.stillScene(dir.path("still.mp4"), seconds: 4)
        let disk = try TmpfsMount(at: dir.path("data"), size: "32m")
        defer { disk.unmount() }
        let daemon = try DaemonHarness(dir: dir, body: walkersConfig(clip: dir.path("walk.mp4")))
        defer { daemon.stop() }
        #expect(waitUntil(timeout: 60) { daemon.tickets().total >= 1 }, "no ticket: \(daemon.log)")

        disk.fill()
        // Space the daemon frees of its own once writes fail (a clip it gives up and deletes)
        // is taken up again while the test waits, each time by a new file: the disk stays full.
        var refills = 0
        func keepFull() {
            refills += 1
            _ = disk.fill("filler-\(refills)")
        }
        let linesBefore = daemon.log.split(separator: "\n").count
        // Alerts go on being raised; none can be written.
        #expect(waitUntil(timeout: 30) { keepFull(); return (Self.health(daemon)?.storePending ?? 0) >= 1 }, "\(daemon.log)")
        keepFull()
        let written = Self.occurrences(daemon)
        #expect(waitUntil(timeout: 60) { keepFull(); return (Self.health(daemon)?.storePending ?? 0) >= 5 }, "\(daemon.log)")
        #expect(Self.health(daemon)?.status == "degraded")
        #expect(Self.occurrences(daemon) == written)
        daemon.stop()
        #expect(daemon.child.process.terminationStatus == 0)
        let log = daemon.log
        let during = log.split(separator: "\n").dropFirst(linesBefore)

        // Few lines about the failure, however many alerts failed.
        let failureLines = during.filter { $0.contains("ticket") && ($0.contains("not written") || $0.contains("writes") || $0.contains("retry")) }
        #expect(failureLines.count <= 3, "\(failureLines.count) lines:\n\(failureLines.joined(separator: "\n"))")
        // No temporary or empty files in the evidence folder.
        #expect(Self.leftovers(dir.path("data")).isEmpty, "\(Self.leftovers(dir.path("data")))")

        // At stop, the alerts still waiting went to the spool, and the log says how many.
        let stopLine = try #require(during.last { $0.contains("spool") && $0.contains("kept=") }, "\(log)")
        func number(_ key: String, _ line: Substring) -> Int? {
            guard let r = line.range(of: key + "=") else { return nil }
            return Int(line[r.upperBound...].prefix { $0.isNumber })
        }
        let kept = try #require(number("kept", stopLine))
        #expect(kept >= 5, "\(stopLine)")
        #expect(number("lost", stopLine) == 0, "\(stopLine)")
        #expect(stopLine.contains(dir.path("data")), "the spool's path: \(stopLine)")

        // Room again, and the same cameras with nothing to see: the kept alerts become tickets.
        try FileManager.default.removeItem(atPath: dir.path("data/filler"))
        for n in 1...max(1, refills) { try? FileManager.default.removeItem(atPath: dir.path("data/filler-\(n)")) }
        let again = try DaemonHarness(dir: dir, body: stillConfig(clip: dir.path("still.mp4")))
        defer { again.stop() }
        #expect(waitUntil(timeout: 30) { Self.occurrences(again) == written + kept }, "written \(written) kept \(kept) now \(Self.occurrences(again)): \(again.log)")
        #expect(again.log.contains("replayed=\(kept)"), "\(again.log)")
        print("disk full: \(failureLines.count) failure lines; at stop: \(stopLine)")
        #expect(Self.health(again)?.store == "ok")
        // Their pictures came along.
        #expect(Self.leftovers(dir.path("data")).isEmpty)
        again.stop()
        #expect(again.child.process.terminationStatus == 0)
        // Replayed once: a second restart adds nothing.
        let third = try DaemonHarness(dir: dir, body: stillConfig(clip: dir.path("still.mp4")))
        defer { third.stop() }
        #expect(Self.occurrences(third) == written + kept)
        #expect(!third.log.contains("replayed="), "\(third.log)")
    }
}
