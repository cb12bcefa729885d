import Foundation
import Storage
import Testing
import TestSupport
import Analysis
import Tickets

/// A fresh store in its own temporary folder, with one grid, camera and zone.
func makeStore(_ kind: StoreKind = .sqlite) throws -> (TicketStore, TemporaryDirectory) {
    let dir = try TemporaryDirectory("gridwatch-store")
    let store = try openStore(kind, dir)
    try store.syncTopology(
        grids: [GridRecord(id: "village", name: "东村", parentId: "town", level: "village"), GridRecord(id: "town", name: "镇", parentId: nil, level: "town")],
        cameras: [CameraRecord(id: "cam1", name: "东门", gridId: "village", sourceRedacted: "rtsp://***@10.0.0.2/1")],
        zones: [ZoneRecord(cameraId: "cam1", id: "z1", name: "河堤", gridId: nil, polygon: "[[0,0],[1,0],[1,1]]")])
    return (store, dir)
}

func alert(zone: String? = "z1", snapshot: [UInt8]? = [0xFF, 0xD8, 0xFF, 0xD9], at date: Date = Date(timeIntervalSince1970: 1_800_000_000)) -> Alert {
    Alert(cameraID: "cam1", zoneID: zone, trackID: 3, trajectory: [TrajectoryPoint(x: 0.1, y: 0.9, t: 1.5)], gridID: "village", category: .intrusion, severity: .medium,
          title: .zoneEntry(zone: "河堤", camera: "东门"), occurredAt: date, snapshotJPEG: snapshot)
}

@Suite struct TicketStoreTests {
    @Test func opensInWALModeAndPassesIntegrityCheck() throws {
        let (store, dir) = try makeStore()
        defer { dir.remove() }
        #expect(try store.journalMode() == "wal")
        #expect(try store.integrityCheck() == "ok")
    }

    @Test(arguments: StoreKind.allCases) func openTicketWritesTheSnapshotTheRowAndTheFirstEvent(_ kind: StoreKind) throws {
        let (store, dir) = try makeStore(kind)
        defer { dir.remove() }
        let now = Date(timeIntervalSince1970: 1_800_000_100)
        let ticket = try store.raise(alert(), at: now).ticket
        #expect(ticket.id == 1)
        #expect(ticket.state == .new && ticket.kind == "zone_enter" && ticket.trackId == 3)
        let path = try JSONDecoder().decode([TrajectoryPoint].self, from: Data((ticket.trajectory ?? "").utf8))
        #expect(path == [TrajectoryPoint(x: 0.1, y: 0.9, t: 1.5)])
        let url = try #require(store.snapshotURL(of: ticket))
        #expect(try Data(contentsOf: url) == Data([0xFF, 0xD8, 0xFF, 0xD9]))
        #expect(url.path.hasPrefix(dir.url.path + "/snapshots/"))
        let stored = try #require(try store.ticket(id: 1))
        #expect(stored == ticket)
        let events = try store.events(ticketID: 1)
        #expect(events.count == 1)
        #expect(events[0].kind == "created" && events[0].toState == .new && events[0].actor == "gridwatchd")
    }

    @Test(arguments: StoreKind.allCases) func listsNewestFirstWithFiltersAndCounts(_ kind: StoreKind) throws {
        let (store, dir) = try makeStore(kind)
        defer { dir.remove() }
        for i in 0..<5 {
            let t = try store.raise(alert(zone: i % 2 == 0 ? "z1" : nil, snapshot: nil, at: Date(timeIntervalSince1970: 1_800_000_000 + Double(i))), at: Date()).ticket
            // Finished, so the next alert of the same rule is a new ticket rather than an occurrence.
            _ = try store.perform(.falseAlarm, ticketID: t.id!, actor: "test", note: "test", at: Date())
        }
        let all = try store.tickets()
        #expect(all.map(\.id) == [5, 4, 3, 2, 1])
        #expect(try store.tickets(TicketQuery(zoneID: "z1")).map(\.id) == [5, 3, 1])
        #expect(try store.tickets(TicketQuery(limit: 2, offset: 1)).map(\.id) == [4, 3])
        #expect(try store.ticketCount(matching: TicketQuery(zoneID: "z1", limit: 1)) == 3)
        #expect(try store.tickets(TicketQuery(state: .closed)).isEmpty)
        #expect(try store.tickets(TicketQuery(state: .falseAlarm)).count == 5)
    }

    @Test func theAuditTrailCannotBeRewritten() throws {
        let (store, dir) = try makeStore()
        defer { dir.remove() }
        _ = try store.raise(alert(), at: Date()).ticket
        let db = try openRaw(store.databasePath)
        #expect(throws: (any Error).self) { try db.execute("UPDATE ticket_events SET actor = 'someone else'") }
        #expect(throws: (any Error).self) { try db.execute("DELETE FROM ticket_events") }
        #expect(try store.events(ticketID: 1).first?.actor == "gridwatchd")
    }

    /// The same trigger on PostgreSQL, tried as someone with the database's password would.
    @Test func theAuditTrailCannotBeRewrittenOnPostgreSQL() throws {
        let (store, dir) = try makeStore(.postgres)
        defer { dir.remove() }
        _ = try store.raise(alert(), at: Date()).ticket
        for statement in ["UPDATE ticket_events SET actor = 'someone else'", "DELETE FROM ticket_events"] {
            #expect(throws: CommandFailed.self) { try psql(dir, statement) }
        }
        #expect(try store.events(ticketID: 1).first?.actor == "gridwatchd")
        #expect(try psql(dir, "SELECT count(*) FROM ticket_events").contains("1"))
    }

    @Test(arguments: StoreKind.allCases) func refusesATicketForAnUnknownCamera(_ kind: StoreKind) throws {
        let (store, dir) = try makeStore(kind)
        defer { dir.remove() }
        var bad = alert()
        bad.cameraID = "nope"
        #expect(throws: (any Error).self) { _ = try store.raise(bad, at: Date()).ticket }
        #expect(try store.ticketCount() == 0)
    }

    @Test(arguments: StoreKind.allCases) func survivesReopening(_ kind: StoreKind) throws {
        let (store, dir) = try makeStore(kind)
        defer { dir.remove() }
        _ = try store.raise(alert(), at: Date()).ticket
        let again = try openStore(kind, dir)
        #expect(try again.ticketCount() == 1)
        #expect(try again.integrityCheck() == "ok")
    }
}

@Suite struct EvidenceStoreTests {
    @Test(arguments: StoreKind.allCases) func theLedgerLearnsRaisesMergesAndClosings(_ kind: StoreKind) throws {
        let (store, dir) = try makeStore(kind)
        defer { dir.remove() }
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let key = MergeKey(alert())
        #expect(store.ledger.decide(key, track: 3, at: t0))
        let first = try store.raise(alert(at: t0), at: t0)
        #expect(first.created)
        // A repeat a second later keeps no picture; the store merges it without one.
        #expect(!store.ledger.decide(key, track: 4, at: t0.addingTimeInterval(1)))
        let repeatAlert = try store.raise(alert(snapshot: nil, at: t0.addingTimeInterval(1)), at: t0.addingTimeInterval(1))
        #expect(!repeatAlert.created && repeatAlert.ticket.id == first.ticket.id)
        let occurrences = try store.occurrences(ticketID: first.ticket.id!)
        #expect(occurrences.map { $0.snapshotPath == nil } == [true])
        // Closing the ticket tells the ledger: the next alert raises a new ticket, with a picture.
        _ = try store.perform(.falseAlarm, ticketID: first.ticket.id!, actor: "op", note: "wind", at: t0.addingTimeInterval(2))
        #expect(store.ledger.decide(key, track: 5, at: t0.addingTimeInterval(3)))
    }

    @Test(arguments: StoreKind.allCases) func aTicketRaisedWithoutAPictureTakesTheFirstThatComes(_ kind: StoreKind) throws {
        let (store, dir) = try makeStore(kind)
        defer { dir.remove() }
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let raised = try store.raise(alert(snapshot: nil, at: t0), at: t0)
        #expect(store.snapshotURL(of: raised.ticket) == nil)
        let merged = try store.raise(alert(snapshot: [0xFF, 0xD8, 0x01, 0xFF, 0xD9], at: t0.addingTimeInterval(5)), at: t0.addingTimeInterval(5))
        let url = try #require(store.snapshotURL(of: merged.ticket))
        #expect(try Data(contentsOf: url) == Data([0xFF, 0xD8, 0x01, 0xFF, 0xD9]))
        #expect(merged.ticket.evidenceBytes == 5)
    }
}

@Suite struct TicketSQLTests {
    @Test func finishedAndHandledListsComeFromTheWorkflow() {
        #expect(TicketSQL.finished == "('closed', 'false_alarm')")
        #expect(Workflow.finishedStates.allSatisfy { !Workflow.isOpen($0) })
        #expect(TicketState.allCases.filter { !Workflow.isOpen($0) } == Workflow.finishedStates)
        #expect(Workflow.handledStates.allSatisfy { !Workflow.mergeStates.contains($0) && $0 != .falseAlarm })
    }

    /// The supervision and retention queries must match the partial indexes' conditions word
    /// for word (or SQLite will not use them): both are built from `TicketSQL.finished`, and
    /// the indexes a database was created with say so.
    @Test func thePartialIndexesNameTheFinishedStatesAsTheQueriesDo() throws {
        let (store, dir) = try makeStore()
        defer { dir.remove() }
        _ = store
        let schema = try runCommand("/usr/bin/sqlite3", [dir.url.appendingPathComponent("gridwatch.sqlite").path,
                                                        "SELECT sql FROM sqlite_master WHERE name IN ('tickets_ack_watch', 'tickets_close_watch') ORDER BY name"])
        let lines = schema.split(separator: "\n").map(String.init).filter { $0.contains("state NOT IN") }
        #expect(lines.count == 2, "\(schema)")
        #expect(lines.allSatisfy { $0.contains("state NOT IN \(TicketSQL.finished)") }, "\(schema)")
        // And the planner uses them for the supervision's query.
        let plan = try runCommand("/usr/bin/sqlite3", [dir.url.appendingPathComponent("gridwatch.sqlite").path, """
            EXPLAIN QUERY PLAN SELECT id FROM tickets INDEXED BY tickets_ack_watch
            WHERE acknowledged_at IS NULL AND overdue & 1 = 0 AND state NOT IN \(TicketSQL.finished) AND ack_due_at < 1
            """])
        #expect(plan.contains("tickets_ack_watch"), "\(plan)")
    }
}

@Suite struct ReopenedEvidenceTests {
    /// A ticket whose evidence retention took, reopened and alerting again, holds new evidence
    /// that retention sees (counted and purged in its turn), not a file nobody will delete.
    @Test(arguments: StoreKind.allCases) func newEvidenceOnAPurgedTicketIsCountedAgain(_ kind: StoreKind) throws {
        let (store, dir) = try makeStore(kind)
        defer { dir.remove() }
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let id = try store.raise(alert(at: t0), at: t0).ticket.id!
        _ = try store.perform(.falseAlarm, ticketID: id, actor: "op", note: "wind", at: t0.addingTimeInterval(10))
        #expect(try store.purgeEvidence(olderThan: t0.addingTimeInterval(100), maxBytes: 1 << 30, at: t0.addingTimeInterval(200)) == 1)
        #expect(try store.ticket(id: id)?.evidencePurged == true)
        #expect(try store.ticket(id: id)?.snapshotPath == nil)
        // A false alarm cannot be reopened; a closed one can: a second ticket round the loop.
        let second = try store.raise(alert(zone: nil, at: t0), at: t0).ticket.id!
        _ = try store.perform(.acknowledge, ticketID: second, actor: "op", at: t0.addingTimeInterval(21))
        _ = try store.perform(.start, ticketID: second, actor: "op", at: t0.addingTimeInterval(22))
        _ = try store.perform(.resolve, ticketID: second, actor: "op", note: "done", at: t0.addingTimeInterval(23))
        _ = try store.perform(.verify, ticketID: second, actor: "op", at: t0.addingTimeInterval(24))
        _ = try store.perform(.close, ticketID: second, actor: "op", at: t0.addingTimeInterval(25))
        #expect(try store.purgeEvidence(olderThan: t0.addingTimeInterval(100), maxBytes: 1 << 30, at: t0.addingTimeInterval(200)) == 1)
        _ = try store.perform(.reopen, ticketID: second, actor: "op", note: "back", at: t0.addingTimeInterval(300))
        let merged = try store.raise(alert(zone: nil, snapshot: [0xFF, 0xD8, 0x02, 0xFF, 0xD9], at: t0.addingTimeInterval(301)), at: t0.addingTimeInterval(301))
        #expect(!merged.created && merged.ticket.id == second)
        #expect(merged.ticket.evidencePurged == false && store.snapshotURL(of: merged.ticket) != nil)
    }
}

/// A database made before a category existed (v1's CHECK lists the categories of its day)
/// takes the new category's tickets after the upgrade, and keeps what it held.
@Suite struct CategoryUpgradeTests {
    /// A database as a release before `category` left it (its CHECK without it, `migration`
    /// not yet run), opened by this release: `alert` of that category is taken, and the
    /// ticket it held is kept as it was.
    func upgrade(dropping category: String, migration: String, alert new: Alert, zhTitle: String) throws {
        let (store, dir) = try makeStore()
        defer { dir.remove() }
        let kept = try store.raise(alert(), at: Date(timeIntervalSince1970: 1_800_000_000)).ticket.id!
        let path = store.databasePath
        try openRaw(path).execute("""
            PRAGMA writable_schema = ON;
            UPDATE sqlite_master SET sql = replace(sql, ", '\(category)'", '') WHERE name = 'tickets';
            PRAGMA writable_schema = OFF;
            DELETE FROM grdb_migrations WHERE identifier = '\(migration)';
            """)
        #expect(throws: CommandFailed.self) {
            try openRaw(path).execute("""
                INSERT INTO tickets (camera_id, kind, grid_id, category, severity, state, title, occurred_at, created_at, updated_at)
                VALUES ('cam1', '\(new.kind)', 'village', '\(category)', 'high', 'new', 't', 0, 0, 0);
                """)
        }
        let upgraded = try TicketStore(directory: dir.url)
        let raised = try upgraded.raise(new, at: new.occurredAt)
        #expect(raised.created && raised.ticket.category.rawValue == category)
        #expect(raised.ticket.title(in: .zh) == zhTitle)
        #expect(try upgraded.ticket(id: kept)?.title(in: .zh) == "区域闯入：河堤 @ 东门")
        #expect(try upgraded.events(ticketID: kept).map(\.kind) == ["created"])
        #expect(try upgraded.integrityCheck() == "ok")
    }

    @Test func anOlderDatabaseTakesCameraTamperTicketsAfterTheUpgrade() throws {
        try upgrade(dropping: "camera_tamper", migration: "v6-categories", alert: Alert(
            cameraID: "cam1", zoneID: nil, kind: "tamper_covered", gridID: "village", category: .cameraTamper, severity: .high,
            title: .tamper(reason: "covered", camera: "东门"), occurredAt: Date(timeIntervalSince1970: 1_800_000_100), snapshotJPEG: nil),
            zhTitle: "摄像头被遮挡：东门")
    }

    @Test func anOlderDatabaseTakesFireSmokeTicketsAfterTheUpgrade() throws {
        try upgrade(dropping: "fire_smoke", migration: "v7-categories-fire-smoke", alert: Alert(
            cameraID: "cam1", zoneID: "z1", kind: "smoke", gridID: "village", category: .fireSmoke, severity: .critical,
            title: .fireSmoke(kind: "smoke", zone: "麦田", camera: "东门"), occurredAt: Date(timeIntervalSince1970: 1_800_000_100), snapshotJPEG: nil),
            zhTitle: "发现烟雾：麦田 @ 东门")
    }
}


/// Evidence clips: named with the alert, attached when written, capped per ticket, purged
/// with the pictures, swept when no row names them.
@Suite struct ClipStoreTests {
    static func clipFile(_ store: TicketStore, _ dir: TemporaryDirectory, _ name: String, at date: Date, bytes: Int = 1_000) throws -> String {
        let path = TicketStore.clipPath(name: name, at: date)
        let url = dir.url.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(repeating: 7, count: bytes).write(to: url)
        return path
    }

    @Test(arguments: StoreKind.allCases) func aClipIsAttachedToTheTicketOrOccurrenceThatNamedItWithinTheCap(_ kind: StoreKind) throws {
        let (store, dir) = try makeStore(kind)
        defer { dir.remove() }
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        // The ticket and seven repeats, each naming a clip: the ticket keeps 5 (its own and 4).
        var ids: [Int64] = []
        for i in 0..<8 {
            var a = alert(at: t0.addingTimeInterval(Double(i)))
            a.clipName = "clip-\(i).mp4"
            ids.append(try #require(try store.raise(a, at: t0.addingTimeInterval(Double(i))).ticket.id))
        }
        #expect(Set(ids).count == 1)
        let id = ids[0]
        var paths: [String] = []
        for i in 0..<8 {
            let path = try Self.clipFile(store, dir, "clip-\(i).mp4", at: t0)
            paths.append(path)
            let ticket = try store.attachClip(name: "clip-\(i).mp4", path: path, seconds: 15.2, bytes: 1_000, eventOffset: 5.1,
                                              end: i == 1 ? .gap : .complete, at: t0.addingTimeInterval(20))
            #expect((ticket != nil) == (i < 5), "clip \(i)")
            // A clip no row waits for is deleted at once.
            #expect(FileManager.default.fileExists(atPath: dir.url.appendingPathComponent(path).path) == (i < 5))
        }
        let ticket = try #require(try store.ticket(id: id))
        #expect(ticket.clipPath == paths[0] && ticket.clipSeconds == 15.2 && ticket.clipEnd == "complete" && ticket.clipEventOffset == 5.1)
        #expect(ticket.evidenceBytes == 4 * 8 + 5 * 1_000)
        let occurrences = try store.occurrences(ticketID: id)
        #expect(occurrences.map { $0.clipPath != nil } == [true, true, true, true, false, false, false])
        #expect(occurrences[0].clipEnd == "gap")
        let history = try store.events(ticketID: id)
        #expect(history.filter { $0.kind == "clip" }.count == 5)
        // Written twice (a retry): the second finds nothing waiting.
        #expect(try store.attachClip(name: "clip-0.mp4", path: paths[0], seconds: 1, bytes: 1, eventOffset: 0, end: .complete, at: t0) == nil)

        // Finished and old: retention takes the clips with the pictures, and says so.
        _ = try store.perform(.falseAlarm, ticketID: id, actor: "op", note: "wind", at: t0.addingTimeInterval(30))
        #expect(try store.purgeEvidence(olderThan: t0.addingTimeInterval(3_600), maxBytes: 1 << 40, at: t0.addingTimeInterval(7_200)) == 1)
        let purged = try #require(try store.ticket(id: id))
        #expect(purged.clipPath == nil && purged.evidencePurged)
        #expect(try store.occurrences(ticketID: id).allSatisfy { $0.clipPath == nil })
        #expect(paths.allSatisfy { !FileManager.default.fileExists(atPath: dir.url.appendingPathComponent($0).path) })
    }

    @Test(arguments: StoreKind.allCases) func theSweepKeepsClipsARowNamesAndRemovesTheRest(_ kind: StoreKind) throws {
        let (store, dir) = try makeStore(kind)
        defer { dir.remove() }
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        var a = alert(at: t0)
        a.clipName = "kept.mp4"
        _ = try store.raise(a, at: t0)
        let kept = try Self.clipFile(store, dir, "kept.mp4", at: t0)
        _ = try store.attachClip(name: "kept.mp4", path: kept, seconds: 10, bytes: 1_000, eventOffset: 5, end: .complete, at: t0)
        let stray = try Self.clipFile(store, dir, "stray.mp4", at: t0)
        #expect(try store.removeOrphanEvidence() == 1)
        #expect(FileManager.default.fileExists(atPath: dir.url.appendingPathComponent(kept).path))
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent(stray).path))
    }
}
