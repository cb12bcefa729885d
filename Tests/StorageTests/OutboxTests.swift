import Analysis
import Catalog
import Foundation
import Notify
import Storage
import Testing
import TestSupport
import Tickets

@Suite struct OutboxTests {
    @Test(arguments: StoreKind.allCases) func nothingIsWrittenWithoutDestinations(_ kind: StoreKind) throws {
        let (store, dir) = try makeLoopStore(kind)
        defer { dir.remove() }
        let id = try store.raise(hazard(), at: t0).ticket.id!
        _ = try store.perform(.acknowledge, ticketID: id, actor: "op", at: t0 + 1)
        #expect(try store.dueDeliveries(destination: "any", at: t0 + 10, limit: 10).isEmpty)
        #expect(try store.destinationStatus(["any"], at: t0).first?.pending == 0)
    }

    @Test(arguments: StoreKind.allCases) func everyChangeIsQueuedInItsTransactionNumberedPerTicketForEachDestinationThatWantsIt(_ kind: StoreKind) throws {
        let (store, dir) = try makeLoopStore(kind)
        defer { dir.remove() }
        store.notifyRoutes = [
            NotifyRoute(destination: "platform"),
            NotifyRoute(destination: "group", events: [.created, .dispatched]),
            NotifyRoute(destination: "town", grids: ["town"], minSeverity: .high),
        ]
        let woken = Counted()
        store.outboxWritten.withLock { $0 = { woken.add() } }
        let id = try store.raise(hazard(), at: t0).ticket.id!
        _ = try store.raise(hazard(at: t0 + 5), at: t0 + 5) // merged: an occurrence
        _ = try store.perform(.acknowledge, ticketID: id, actor: "op", at: t0 + 10)
        _ = try store.perform(.dispatch, ticketID: id, actor: "op", assignee: "li", at: t0 + 20)
        _ = try store.addNote(ticketID: id, actor: "li", note: "on my way", at: t0 + 30)
        #expect(woken.value == 5)
        let platform = try drain(store, "platform", at: t0 + 60)
        #expect(platform.map(\.type) == [.created, .occurred, .acknowledged, .dispatched, .note])
        #expect(platform.map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(Set(platform.map(\.messageID)).count == 5)
        // The ticket as it was right after each change.
        #expect(platform.map(\.ticket.state) == [.new, .new, .acknowledged, .dispatched, .dispatched])
        #expect(platform[1].ticket.occurrences == 2 && platform[3].ticket.assignee == "li")
        #expect(platform[3].actor == "op" && platform[3].fromState == .acknowledged && platform[3].toState == .dispatched)
        #expect(platform[4].note == "on my way")
        let group = try drain(store, "group", at: t0 + 60)
        #expect(group.map(\.type) == [.created, .dispatched])
        // The same change has the same message id for every destination.
        #expect(group.map(\.messageID) == [platform[0].messageID, platform[3].messageID])
        // A medium ticket of a village below the town: not severe enough for the town.
        #expect(try drain(store, "town", at: t0 + 60).isEmpty)
    }

    @Test(arguments: StoreKind.allCases) func aTicketsChangesGoInOrderWhileOneWaitsForARetryAndOtherTicketsGoOn(_ kind: StoreKind) throws {
        let (store, dir) = try makeLoopStore(kind)
        defer { dir.remove() }
        store.notifyRoutes = [NotifyRoute(destination: "p")]
        let a = try store.raise(hazard(zone: "z1"), at: t0).ticket.id!
        _ = try store.perform(.acknowledge, ticketID: a, actor: "op", at: t0 + 1)
        let b = try store.raise(hazard(zone: "z2"), at: t0 + 2).ticket.id!
        var due = try store.dueDeliveries(destination: "p", at: t0 + 3, limit: 10)
        // One per ticket: a's first change and b's.
        #expect(due.map(\.ticketID) == [a, b] && due.map(\.sequence) == [1, 1])
        try store.markFailed(destination: "p", eventID: due[0].eventID, error: "HTTP 500", retryAt: t0 + 30, at: t0 + 3)
        try store.markDelivered(destination: "p", eventID: due[1].eventID, at: t0 + 3)
        // a's acknowledgement waits behind its creation's retry; nothing else is due.
        #expect(try store.dueDeliveries(destination: "p", at: t0 + 10, limit: 10).isEmpty)
        #expect(try store.nextDue(destination: "p") == t0 + 30)
        // Tickets in flight are left out.
        #expect(try store.dueDeliveries(destination: "p", at: t0 + 31, limit: 10, busyTickets: [a]).isEmpty)
        due = try store.dueDeliveries(destination: "p", at: t0 + 31, limit: 10)
        #expect(due.map(\.sequence) == [1] && due[0].attempts == 1 && due[0].firstAttemptAt == t0 + 3)
        try store.markDelivered(destination: "p", eventID: due[0].eventID, at: t0 + 31)
        due = try store.dueDeliveries(destination: "p", at: t0 + 31, limit: 10)
        #expect(due.map(\.sequence) == [2] && due[0].ticketID == a)
        let status = try #require(try store.destinationStatus(["p"], at: t0 + 31).first)
        #expect(status.pending == 1 && status.delivered == 2 && status.lastSuccessAt == t0 + 31 && status.lastError == "HTTP 500")
    }

    @Test(arguments: StoreKind.allCases) func deadLettersAreKeptRetriedAndDroppedAndAGoneReceiverSwitchesTheDestinationOff(_ kind: StoreKind) throws {
        let (store, dir) = try makeLoopStore(kind)
        defer { dir.remove() }
        store.notifyRoutes = [NotifyRoute(destination: "p")]
        let a = try store.raise(hazard(zone: "z1"), at: t0).ticket.id!
        _ = try store.perform(.acknowledge, ticketID: a, actor: "op", at: t0 + 1)
        var due = try store.dueDeliveries(destination: "p", at: t0 + 2, limit: 10)
        try store.markFailed(destination: "p", eventID: due[0].eventID, error: "HTTP 400", retryAt: nil, at: t0 + 2)
        // Dead: the ticket's next change goes on.
        due = try store.dueDeliveries(destination: "p", at: t0 + 3, limit: 10)
        #expect(due.map(\.sequence) == [2])
        var dead = try store.deadLetters(destination: "p")
        #expect(dead.count == 1 && dead[0].sequence == 1 && dead[0].attempts == 1 && dead[0].lastError == "HTTP 400")
        #expect(try store.retryDeadLetters(destination: "p", at: t0 + 4) == 1)
        #expect(try store.deadLetters(destination: "p").isEmpty)
        // Back at the head of its ticket's line, its schedule from the start.
        let again = try store.dueDeliveries(destination: "p", at: t0 + 4, limit: 10)
        #expect(again.map(\.sequence) == [1] && again[0].attempts == 0 && again[0].firstAttemptAt == nil)
        try store.markFailed(destination: "p", eventID: due[0].eventID, error: "again", retryAt: nil, at: t0 + 5)
        dead = try store.deadLetters(destination: "p")
        #expect(try store.dropDeadLetters(destination: "p", eventID: dead[0].eventID, at: t0 + 6) == 1)
        #expect(try store.dropDeadLetters(destination: "p", eventID: dead[0].eventID, at: t0 + 6) == 0)
        try store.disableDestination("p", reason: "HTTP 410 Gone", at: t0 + 7)
        #expect(try store.destinationStatus(["p"], at: t0 + 7).first?.disabledAt == t0 + 7)
        #expect(try store.enableDestination("p", at: t0 + 8))
        // Not off: nothing to do.
        #expect(try store.enableDestination("p", at: t0 + 9) == false)
        #expect(try store.destinationStatus(["p"], at: t0 + 8).first?.disabledAt == nil)
        // Kept a week once done, then pruned with the changes nobody needs.
        #expect(try store.pruneOutbox(olderThan: t0 + 100, inboundBefore: t0) >= 1)
    }

    @Test(arguments: StoreKind.allCases) func aPlatformsCallbackMovesTheTicketOnceWithItsCaseNumberAndIsNotEchoedBack(_ kind: StoreKind) throws {
        let (store, dir) = try makeLoopStore(kind)
        defer { dir.remove() }
        store.notifyRoutes = [NotifyRoute(destination: "city"), NotifyRoute(destination: "group")]
        let id = try store.raise(hazard(), at: t0).ticket.id!
        var t = try store.applyPlatformUpdate(ticketID: id, platform: "city", messageID: "m1", status: .dispatched, caseNumber: "12345-0001", note: nil, at: t0 + 10)
        #expect(t.state == .dispatched && t.caseNumber == "12345-0001" && t.casePlatform == "city" && t.assignee == nil)
        #expect(throws: PlatformUpdateError.replayed("m1")) {
            _ = try store.applyPlatformUpdate(ticketID: id, platform: "city", messageID: "m1", status: .dispatched, caseNumber: "x", note: nil, at: t0 + 11)
        }
        // Dispatched again: nothing to do, no history.
        t = try store.applyPlatformUpdate(ticketID: id, platform: "city", messageID: "m2", status: .dispatched, caseNumber: nil, note: nil, at: t0 + 12)
        t = try store.applyPlatformUpdate(ticketID: id, platform: "city", messageID: "m3", status: .closed, caseNumber: nil, note: "现场已处理", at: t0 + 20)
        #expect(t.state == .closed)
        let events = try store.events(ticketID: id)
        #expect(events.map(\.kind) == ["created", "dispatch", "resolve", "verify", "close"])
        #expect(events.dropFirst().allSatisfy { $0.actor == "platform:city" })
        // A failed message can come again under its id: its id went with the refusal's rollback.
        #expect(throws: PlatformUpdateError.noSuchTicket(999)) {
            _ = try store.applyPlatformUpdate(ticketID: 999, platform: "city", messageID: "m4", status: .closed, caseNumber: nil, note: nil, at: t0 + 21)
        }
        let other = try store.raise(hazard(zone: "z2"), at: t0 + 30).ticket.id!
        // A ticket another destination was sent, not this platform: not its to change.
        store.notifyRoutes = [NotifyRoute(destination: "group")]
        let elsewhere = try store.raise(hazard(zone: "z1", kind: "zone_exit"), at: t0 + 30).ticket.id!
        store.notifyRoutes = [NotifyRoute(destination: "city"), NotifyRoute(destination: "group")]
        #expect(throws: PlatformUpdateError.notTheirs(elsewhere)) {
            _ = try store.applyPlatformUpdate(ticketID: elsewhere, platform: "city", messageID: "m6", status: .dispatched, caseNumber: "x", note: nil, at: t0 + 31)
        }
        _ = try store.perform(.falseAlarm, ticketID: other, actor: "op", note: "a dog", at: t0 + 31)
        #expect(throws: PlatformUpdateError.notApplicable(state: .falseAlarm, status: "resolved")) {
            _ = try store.applyPlatformUpdate(ticketID: other, platform: "city", messageID: "m5", status: .resolved, caseNumber: nil, note: nil, at: t0 + 32)
        }
        // The platform hears nothing of its own changes; the group hears them.
        let city = try drain(store, "city", at: t0 + 60).filter { $0.ticketID == id }
        #expect(city.map(\.type) == [.created])
        let group = try drain(store, "group", at: t0 + 60).filter { $0.ticketID == id }
        #expect(group.map(\.type) == [.created, .dispatched, .resolved, .verified, .closed])
    }

    /// A change whose stored ticket no longer reads becomes a dead letter, not a ticket blocked
    /// for ever: the ticket's next change goes.
    @Test func aChangeThatNoLongerReadsIsADeadLetter() throws {
        let (store, dir) = try makeLoopStore()
        defer { dir.remove() }
        store.notifyRoutes = [NotifyRoute(destination: "p")]
        let id = try store.raise(hazard(), at: t0).ticket.id!
        _ = try store.perform(.acknowledge, ticketID: id, actor: "op", at: t0 + 1)
        try openRaw(store.databasePath).execute("UPDATE notify_events SET ticket = '{\"id\": 1}' WHERE sequence = 1")
        let due = try store.dueDeliveries(destination: "p", at: t0 + 2, limit: 10)
        #expect(due.isEmpty)
        let dead = try store.deadLetters(destination: "p")
        #expect(dead.count == 1 && dead[0].sequence == 1 && dead[0].lastError?.hasPrefix("cannot read the stored change") == true)
        #expect(try store.dueDeliveries(destination: "p", at: t0 + 2, limit: 10).map(\.sequence) == [2])
    }

    /// Every due delivery of `destination`, in the order a sender would take them, marked delivered.
    func drain(_ store: TicketStore, _ destination: String, at now: Date) throws -> [PendingDelivery] {
        var out: [PendingDelivery] = []
        while true {
            let due = try store.dueDeliveries(destination: destination, at: now, limit: 1)
            guard let d = due.first else { return out }
            out.append(d)
            try store.markDelivered(destination: destination, eventID: d.eventID, at: now)
        }
    }
}

final class Counted: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.withLock { n += 1 } }
    var value: Int { lock.withLock { n } }
}
