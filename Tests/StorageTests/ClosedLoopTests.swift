import Analysis
import Catalog
import Foundation
import Storage
import Testing
import TestSupport
import Tickets

/// A store with a village grid (leader and worker) under a town grid, and a controllable clock.
func makeLoopStore(_ kind: StoreKind = .sqlite, policy: StorePolicy = StorePolicy()) throws -> (TicketStore, TemporaryDirectory) {
    let dir = try TemporaryDirectory("gridwatch-loop")
    let store = try openStore(kind, dir, policy: policy)
    try store.syncTopology(
        grids: [GridRecord(id: "village", name: "东村", parentId: "town", level: "village"), GridRecord(id: "town", name: "镇", parentId: nil, level: "town")],
        cameras: [CameraRecord(id: "cam1", name: "东门", gridId: "village", sourceRedacted: "rtsp://10.0.0.2/1")],
        zones: [ZoneRecord(cameraId: "cam1", id: "z1", name: "河堤", gridId: nil, polygon: "[[0,0],[1,0],[1,1]]"),
                ZoneRecord(cameraId: "cam1", id: "z2", name: "路口", gridId: nil, polygon: "[[0,0],[1,0],[1,1]]")],
        people: [PersonRecord(id: "wang", name: "王伟", gridId: "village", role: "leader", phone: nil),
                 PersonRecord(id: "li", name: "李娜", gridId: "village", role: "worker", phone: "13800000000"),
                 PersonRecord(id: "zhao", name: "赵强", gridId: "town", role: "worker", phone: nil)])
    return (store, dir)
}

let t0 = Date(timeIntervalSince1970: 1_800_000_000)

func hazard(zone: String = "z1", kind: String = "zone_enter", at: Date = t0, snapshot: [UInt8]? = [0xFF, 0xD8, 0xFF, 0xD9]) -> Alert {
    Alert(cameraID: "cam1", zoneID: zone, kind: kind, trackID: 7, trajectory: [TrajectoryPoint(x: 0.2, y: 0.8, t: 3)], gridID: "village",
          category: .hazard, severity: .medium, title: .zoneEntry(zone: "河堤", camera: "东门"), occurredAt: at, snapshotJPEG: snapshot)
}

@Suite struct ClosedLoopTests {
    /// People at the water: a ticket for every person (track), one person's repeats merge;
    /// other categories merge every track into the rule's open ticket.
    @Test(arguments: StoreKind.allCases) func hazardTicketsAreOnePerTrack(_ kind: StoreKind) throws {
        let (store, dir) = try makeLoopStore(kind)
        defer { dir.remove() }
        var first = hazard(at: t0)
        first.trackID = 1
        var again = hazard(at: t0 + 2)
        again.trackID = 1
        var other = hazard(at: t0 + 3)
        other.trackID = 2
        let a = try store.raise(first, at: t0)
        let b = try store.raise(again, at: t0 + 2)
        let c = try store.raise(other, at: t0 + 3)
        #expect(a.created && !b.created && b.ticket.id == a.ticket.id && b.ticket.occurrences == 2)
        #expect(c.created && c.ticket.id != a.ticket.id && c.ticket.trackId == 2)
        // Track 1 an hour later is someone else (ids start again after a reconnect).
        var later = hazard(at: t0 + 3600)
        later.trackID = 1
        let d = try store.raise(later, at: t0 + 3600)
        #expect(d.created && d.ticket.id != a.ticket.id && d.ticket.repeatOf == nil)
        var road = hazard(at: t0)
        road.category = .intrusion
        road.kind = "zone_exit"
        road.trackID = 1
        var road2 = road
        road2.trackID = 2
        _ = try store.raise(road, at: t0)
        #expect(!(try store.raise(road2, at: t0 + 1)).created)
    }

    @Test(arguments: StoreKind.allCases) func aTicketGoesRoundTheWholeLoopAndEveryStepIsInItsHistory(_ kind: StoreKind) throws {
        let (store, dir) = try makeLoopStore(kind)
        defer { dir.remove() }
        let id = try store.raise(hazard(), at: t0).ticket.id!
        var t = try store.perform(.acknowledge, ticketID: id, actor: "op1", at: t0 + 60)
        #expect(t.state == .acknowledged && t.acknowledgedAt == t0 + 60)
        t = try store.perform(.dispatch, ticketID: id, actor: "op1", note: "please check", assignee: "li", at: t0 + 120)
        #expect(t.state == .dispatched && t.assignee == "li")
        t = try store.perform(.start, ticketID: id, actor: "li", at: t0 + 300)
        t = try store.perform(.resolve, ticketID: id, actor: "li", note: "children sent home from the river bank", at: t0 + 900)
        #expect(t.state == .resolved && t.resolvedAt == t0 + 900)
        t = try store.perform(.verify, ticketID: id, actor: "op2", at: t0 + 1000)
        t = try store.perform(.close, ticketID: id, actor: "op2", at: t0 + 1100)
        #expect(t.state == .closed && t.closedAt == t0 + 1100)
        let events = try store.events(ticketID: id)
        #expect(events.map(\.kind) == ["created", "acknowledge", "dispatch", "start", "resolve", "verify", "close"])
        #expect(events.map(\.actor) == ["gridwatchd", "op1", "op1", "li", "li", "op2", "op2"])
        #expect(events[2].fromState == .acknowledged && events[2].toState == .dispatched)
        // The daemon's words in the reader's language, then what the person wrote.
        #expect(events[2].note(in: .zh)?.hasPrefix("派给 李娜（li）") == true && events[2].note(in: .zh)?.hasSuffix("please check") == true)
        #expect(events[2].note(in: .en)?.hasPrefix("to 李娜 (li)") == true && events[2].note == "please check")
        #expect(events[4].note == "children sent home from the river bank")
    }

    @Test(arguments: StoreKind.allCases) func invalidTransitionsAreRefusedAndChangeNothing(_ kind: StoreKind) throws {
        let (store, dir) = try makeLoopStore(kind)
        defer { dir.remove() }
        let id = try store.raise(hazard(), at: t0).ticket.id!
        #expect(throws: TicketActionError.workflow(.invalidTransition(from: .new, action: .close))) {
            try store.perform(.close, ticketID: id, actor: "op", at: t0 + 1)
        }
        #expect(throws: TicketActionError.workflow(.reasonRequired(.falseAlarm))) {
            try store.perform(.falseAlarm, ticketID: id, actor: "op", note: "  ", at: t0 + 1)
        }
        #expect(throws: TicketActionError.workflow(.assigneeRequired)) {
            try store.perform(.dispatch, ticketID: id, actor: "op", at: t0 + 1)
        }
        // A worker of another grid is not this grid's to send.
        #expect(throws: TicketActionError.unknownAssignee("zhao", grid: "village")) {
            try store.perform(.dispatch, ticketID: id, actor: "op", assignee: "zhao", at: t0 + 1)
        }
        #expect(throws: TicketActionError.noSuchTicket(99)) {
            try store.perform(.acknowledge, ticketID: 99, actor: "op", at: t0 + 1)
        }
        #expect(try store.ticket(id: id)?.state == .new)
        #expect(try store.events(ticketID: id).count == 1)
    }

    @Test(arguments: StoreKind.allCases) func escalateHandsTheTicketToTheParentGrid(_ kind: StoreKind) throws {
        let (store, dir) = try makeLoopStore(kind)
        defer { dir.remove() }
        let id = try store.raise(hazard(), at: t0).ticket.id!
        _ = try store.perform(.dispatch, ticketID: id, actor: "op", assignee: "li", at: t0 + 10)
        let t = try store.perform(.escalate, ticketID: id, actor: "wang", note: "needs the town's boat", at: t0 + 20)
        #expect(t.gridId == "town" && t.assignee == nil && t.state == .dispatched)
        // Now the town's worker can take it; the town has no parent.
        #expect(try store.perform(.dispatch, ticketID: id, actor: "op", assignee: "zhao", at: t0 + 30).assignee == "zhao")
        #expect(throws: TicketActionError.workflow(.noHigherLevel(grid: "town"))) {
            try store.perform(.escalate, ticketID: id, actor: "op", at: t0 + 40)
        }
    }

    @Test(arguments: StoreKind.allCases) func repeatAlertsMergeIntoTheOpenTicket(_ kind: StoreKind) throws {
        let (store, dir) = try makeLoopStore(kind)
        defer { dir.remove() }
        let first = try store.raise(hazard(at: t0), at: t0)
        let second = try store.raise(hazard(at: t0 + 30), at: t0 + 30)
        let otherZone = try store.raise(hazard(zone: "z2", at: t0 + 40), at: t0 + 40)
        let otherRule = try store.raise(hazard(kind: "loiter", at: t0 + 50), at: t0 + 50)
        #expect(first.created && !second.created && otherZone.created && otherRule.created)
        #expect(second.ticket.id == first.ticket.id)
        #expect(second.ticket.occurrences == 2 && second.ticket.lastSeenAt == t0 + 30)
        let occurrences = try store.occurrences(ticketID: first.ticket.id!)
        #expect(occurrences.count == 1 && occurrences[0].at == t0 + 30)
        // Each occurrence keeps its own evidence.
        let snapshot = try #require(occurrences[0].snapshotPath)
        #expect(FileManager.default.fileExists(atPath: store.evidenceURL(snapshot).path))
        // Once handled, the same rule raises a new ticket.
        let id = first.ticket.id!
        _ = try store.perform(.dispatch, ticketID: id, actor: "op", assignee: "li", at: t0 + 60)
        _ = try store.perform(.resolve, ticketID: id, actor: "li", note: "done", at: t0 + 70)
        #expect(try store.raise(hazard(at: t0 + 80), at: t0 + 80).created)
    }

    @Test(arguments: StoreKind.allCases) func overdueTicketsAreEscalatedOnceFromStoredTimesEvenAfterARestart(_ kind: StoreKind) throws {
        var policy = StorePolicy()
        policy.deadlines = DeadlinePolicy(byCategory: [.hazard: Deadline(acknowledge: 300, close: 3600)])
        let (store, dir) = try makeLoopStore(kind, policy: policy)
        defer { dir.remove() }
        let late = try store.raise(hazard(), at: t0).ticket.id!
        let onTime = try store.raise(hazard(zone: "z2"), at: t0).ticket.id!
        _ = try store.perform(.acknowledge, ticketID: onTime, actor: "op", at: t0 + 200)
        #expect(try store.escalateOverdue(at: t0 + 299).isEmpty)
        let escalated = try store.escalateOverdue(at: t0 + 301)
        #expect(escalated.map(\.id) == [late])
        #expect(escalated[0].severity == .high && escalated[0].overdue == Overdue.acknowledge.rawValue && escalated[0].escalations == 1)
        // Checked again: nothing new.
        #expect(try store.escalateOverdue(at: t0 + 400).isEmpty)
        // The daemon restarts (a new store on the same files) long after the close deadline.
        let reopened = try openStore(kind, dir, policy: policy)
        let later = try reopened.escalateOverdue(at: t0 + 4000)
        #expect(Set(later.map(\.id)) == [late, onTime])
        #expect(try reopened.ticket(id: late)?.severity == .critical)
        #expect(try reopened.ticket(id: late)?.overdue == 3)
        var supervision = TicketQuery()
        supervision.openOnly = true
        supervision.overdueOnly = true
        #expect(try reopened.ticketCount(matching: supervision) == 2)
        let notes = try reopened.events(ticketID: late).filter { $0.kind == "escalation" }.compactMap { $0.note(in: .zh) }
        #expect(notes.count == 2 && notes[0].contains("超期未签收") && notes[1].contains("超期未办结"))
    }

    @Test(arguments: StoreKind.allCases) func aTicketReopenedTooOftenIsARepeatProblem(_ kind: StoreKind) throws {
        var policy = StorePolicy()
        policy.repeatReopens = 2
        let (store, dir) = try makeLoopStore(kind, policy: policy)
        defer { dir.remove() }
        let id = try store.raise(hazard(), at: t0).ticket.id!
        var now = t0
        for round in 1...3 {
            now += 100
            _ = try store.perform(.dispatch, ticketID: id, actor: "op", assignee: "li", at: now)
            _ = try store.perform(.resolve, ticketID: id, actor: "li", note: "cleared", at: now + 10)
            let t = try store.perform(.reopen, ticketID: id, actor: "op", note: "back again", at: now + 20)
            #expect(t.reopenCount == round)
            #expect(t.repeatProblem == (round == 3))
        }
        var query = TicketQuery()
        query.repeatProblemOnly = true
        #expect(try store.tickets(query).map(\.id) == [id])
    }

    @Test(arguments: StoreKind.allCases) func statisticsCountWhatTheTownsReport(_ kind: StoreKind) throws {
        var policy = StorePolicy()
        policy.deadlines = DeadlinePolicy(byCategory: [.hazard: Deadline(acknowledge: 300, close: 3600)])
        let (store, dir) = try makeLoopStore(kind, policy: policy)
        defer { dir.remove() }
        // Ticket 1: acknowledged in 60 s, closed in 1100 s (on time). Ticket 2: a false alarm
        // after 600 s (late acknowledgement). Ticket 3: open, with a repeat occurrence.
        // Trackless (as crowding is): a hazard alert with a track is that person's ticket, and
        // another person is not the problem raised again.
        func trackless(_ alert: Alert) -> Alert {
            var a = alert
            a.trackID = nil
            return a
        }
        let a = try store.raise(trackless(hazard(zone: "z1")), at: t0).ticket.id!
        _ = try store.perform(.dispatch, ticketID: a, actor: "op", assignee: "li", at: t0 + 60)
        _ = try store.perform(.resolve, ticketID: a, actor: "li", note: "ok", at: t0 + 900)
        _ = try store.perform(.verify, ticketID: a, actor: "op", at: t0 + 1000)
        _ = try store.perform(.close, ticketID: a, actor: "op", at: t0 + 1100)
        let b = try store.raise(hazard(zone: "z2"), at: t0).ticket.id!
        _ = try store.perform(.falseAlarm, ticketID: b, actor: "op", note: "a dog", at: t0 + 600)
        _ = try store.raise(hazard(kind: "loiter"), at: t0)
        // A merged repeat alert is an occurrence of the open ticket, not a repeat ticket.
        _ = try store.raise(hazard(kind: "loiter", at: t0 + 5), at: t0 + 5)
        // Ticket 4: the closed ticket 1's problem again: a repeat ticket (重复工单).
        let again = try store.raise(trackless(hazard(zone: "z1", at: t0 + 1200)), at: t0 + 1200)
        #expect(again.created && again.ticket.repeatOf == a)
        #expect(try store.events(ticketID: again.ticket.id!).first?.note(in: .zh)?.contains("重复工单") == true)
        let (groups, total) = try store.statistics(since: t0 - 1, until: t0 + 86_400, grouping: .rule)
        #expect(total.raised == 4 && total.acknowledged == 2 && total.acknowledgedOnTime == 1)
        #expect(total.closed == 1 && total.closedOnTime == 1 && total.falseAlarms == 1 && total.repeatTickets == 1)
        // Completion over real tickets (4 raised, 1 false alarm): 1 of 3; false alarms 1 of 4.
        #expect(abs(total.completionRate - 1.0 / 3) < 1e-9 && total.falseAlarmRate == 0.25)
        #expect(total.meanAcknowledgeSeconds == 330 && total.p90AcknowledgeSeconds == 600)
        #expect(total.meanCloseSeconds == 1100 && total.p90CloseSeconds == 1100)
        #expect(groups.map(\.key).sorted() == ["cam1/z1/loiter", "cam1/z1/zone_enter", "cam1/z2/zone_enter"])
        #expect(groups.first { $0.key == "cam1/z2/zone_enter" }?.falseAlarmRate == 1)
        // Outside the window: nothing.
        #expect(try store.statistics(since: t0 + 10, until: t0 + 20, grouping: .grid).total.raised == 0)
    }

    @Test(arguments: StoreKind.allCases) func retentionPurgesOldEvidenceOfFinishedTicketsOnlyAndKeepsTheRows(_ kind: StoreKind) throws {
        let (store, dir) = try makeLoopStore(kind)
        defer { dir.remove() }
        let big = [UInt8](repeating: 7, count: 1000)
        let old = try store.raise(hazard(zone: "z1", snapshot: big), at: t0).ticket.id!
        _ = try store.perform(.falseAlarm, ticketID: old, actor: "op", note: "shadow", at: t0 + 10)
        let open = try store.raise(hazard(zone: "z2", snapshot: big), at: t0).ticket.id!
        let recent = try store.raise(hazard(zone: "z1", kind: "loiter", snapshot: big), at: t0 + 86_400 * 10).ticket.id!
        _ = try store.perform(.falseAlarm, ticketID: recent, actor: "op", note: "shadow", at: t0 + 86_400 * 10)
        let oldTicket = try #require(try store.ticket(id: old))
        let oldFile = try #require(store.snapshotURL(of: oldTicket))
        // Age: only the old, finished ticket loses its evidence; the open one never does.
        #expect(try store.purgeEvidence(olderThan: t0 + 86_400, maxBytes: 1 << 30, at: t0 + 86_400 * 11) == 1)
        let purged = try #require(try store.ticket(id: old))
        #expect(purged.evidencePurged && purged.snapshotPath == nil && !FileManager.default.fileExists(atPath: oldFile.path))
        #expect(try store.events(ticketID: old).last?.kind == "evidence_purged")
        #expect(try store.ticket(id: open)?.snapshotPath != nil)
        // Budget: what is over goes oldest first, but never an open ticket's.
        #expect(try store.purgeEvidence(olderThan: t0, maxBytes: 10, at: t0 + 86_400 * 11) == 1)
        #expect(try store.ticket(id: recent)?.evidencePurged == true)
        #expect(try store.ticket(id: open)?.evidencePurged == false)
        // Archive: finished long ago, hidden from default lists, kept.
        #expect(try store.archiveClosed(before: t0 + 86_400 * 5, at: t0 + 86_400 * 11) == 1)
        #expect(try store.tickets().map(\.id).contains(old) == false)
        var all = TicketQuery()
        all.includeArchived = true
        #expect(try store.tickets(all).map(\.id).contains(old))
        #expect(try store.integrityCheck() == "ok")
    }

    @Test(arguments: StoreKind.allCases) func orphanEvidenceFilesAreRemovedAndNamedFilesKept(_ kind: StoreKind) throws {
        let (store, dir) = try makeLoopStore(kind)
        defer { dir.remove() }
        let ticket = try store.raise(hazard(), at: t0).ticket
        let kept = try #require(store.snapshotURL(of: ticket))
        let orphan = dir.url.appendingPathComponent("snapshots/2027/01/15/snapshot-orphan.jpg")
        try FileManager.default.createDirectory(at: orphan.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: orphan)
        try Data([1]).write(to: kept.appendingPathExtension("tmp"))
        #expect(try store.removeOrphanEvidence() == 2)
        #expect(FileManager.default.fileExists(atPath: kept.path))
        #expect(!FileManager.default.fileExists(atPath: orphan.path))
    }

    @Test func listFiltersUseIndexes() throws {
        let (store, dir) = try makeLoopStore()
        defer { dir.remove() }
        var byGrid = TicketQuery()
        byGrid.gridID = "village"
        var overdue = TicketQuery()
        overdue.overdueOnly = true
        var category = TicketQuery()
        category.category = .hazard
        for query in [TicketQuery(state: .new), TicketQuery(cameraID: "cam1"), byGrid, overdue, category] {
            let plan = try store.queryPlan(for: query).joined(separator: "; ")
            #expect(plan.contains("USING INDEX"), "\(plan)")
        }
    }
}
