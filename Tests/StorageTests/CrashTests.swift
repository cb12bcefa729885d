import Foundation
import Storage
import Testing
import TestSupport

@Suite struct CrashTests {
    /// kill -9 while the store takes hundreds of tickets a second: every ticket the writer had
    /// reported is there after restart, the database is intact, and no row names a missing file.
    @Test(arguments: 1...3)
    func killNineWhileWritingLosesNoReportedTicket(round: Int) throws {
        let dir = try TemporaryDirectory("gridwatch-crash")
        defer { dir.remove() }
        let writer = try ChildProcess(Paths.executable("gridwatch-tools").path, [
            "load-tickets", "--data-dir", dir.path("data"), "--count", "1000000", "--evidence-bytes", "20000", "--report",
        ], logPath: dir.path("writer.log"))
        var reported: [Int64] = []
        // Kill at a different point each round.
        let killAfter = 200 + round * 137
        while reported.count < killAfter, let line = writer.readLine(timeout: 60) {
            if let id = Int64(line.dropFirst("created ".count)) { reported.append(id) }
        }
        #expect(reported.count == killAfter, "writer log: \((try? String(contentsOfFile: dir.path("writer.log"), encoding: .utf8)) ?? "")")
        writer.signal(SIGKILL)
        // Lines already in the pipe were written after their commit: they count too.
        while let line = writer.readLine(timeout: 5) {
            if let id = Int64(line.dropFirst("created ".count)) { reported.append(id) }
        }
        #expect(writer.wait(timeout: 10) != nil)

        // The restart: open the store as the daemon does, and sweep orphans.
        let store = try TicketStore(directory: dir.url.appendingPathComponent("data"))
        #expect(try store.integrityCheck() == "ok")
        let orphans = try store.removeOrphanEvidence()
        var missing: [Int64] = []
        for id in reported where try store.ticket(id: id) == nil { missing.append(id) }
        #expect(missing.isEmpty, "reported but lost: \(missing)")
        var all = TicketQuery(limit: 1_000_000)
        all.includeArchived = true
        let rows = try store.tickets(all)
        #expect(rows.count >= reported.count)
        let pointingAtNothing = rows.filter { t in
            guard let url = store.snapshotURL(of: t) else { return true }
            return !FileManager.default.fileExists(atPath: url.path)
        }
        #expect(pointingAtNothing.isEmpty, "rows without their file: \(pointingAtNothing.map(\.id))")
        // Every row kept its history's first event.
        #expect(try rows.prefix(50).allSatisfy { try store.events(ticketID: $0.id!).first?.kind == "created" })
        print("crash round \(round): reported \(reported.count), stored \(rows.count), orphan files removed \(orphans)")
    }
}
