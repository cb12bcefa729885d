import ControlClient
import ControlProtocol
import Foundation
import Testing

@Suite struct RepeatDigestTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static func ticket(_ id: Int64, occurrences: Int) -> TicketSummary {
        var t = TicketSummary(id: id, cameraId: "c", zoneId: "z", tripwireId: nil, kind: "zone_enter", trackId: nil, gridId: "g",
                              category: .intrusion, severity: .medium, state: .new, title: "t", occurredAt: t0, createdAt: t0, updatedAt: t0, hasSnapshot: true)
        t.occurrences = occurrences
        return t
    }
    static func event(_ change: String, _ id: Int64, at: Double, occurrences: Int = 1) -> LiveEvent {
        LiveEvent(id: Int64(at * 10), type: "ticket", at: t0.addingTimeInterval(at), change: change, ticket: ticket(id, occurrences: occurrences))
    }

    @Test func aBusyRuleGivesTheFirstRepeatThenACountAMinute() {
        var digest = RepeatDigest()
        var printed: [RepeatDigest.Output] = []
        printed += digest.take(Self.event("created", 5, at: 0), now: Self.t0)
        // A repeat every 2 s for 3 minutes.
        for i in 1...90 {
            printed += digest.take(Self.event("occurrence", 5, at: Double(i) * 2, occurrences: i + 1), now: Self.t0.addingTimeInterval(Double(i) * 2))
        }
        let counts = printed.compactMap { if case let .repeats(c) = $0 { c.repeats } else { nil } }
        let events = printed.filter { if case .event = $0 { true } else { false } }
        #expect(events.count == 2)  // created, and the first repeat
        #expect(counts == [30, 30])  // then a count a minute
        // The rest comes out before the ticket's next change.
        let flushed = digest.take(Self.event("acknowledge", 5, at: 200, occurrences: 91), now: Self.t0.addingTimeInterval(200))
        if case let .repeats(c) = flushed.first { #expect(c.repeats == 29) } else { Issue.record("no count before the change") }
    }

    @Test func aPendingCountComesBeforeTheTicketsNextChangeAndOtherEventsPassThrough() {
        var digest = RepeatDigest()
        _ = digest.take(Self.event("occurrence", 7, at: 0, occurrences: 2), now: Self.t0)
        #expect(digest.take(Self.event("occurrence", 7, at: 5, occurrences: 3), now: Self.t0.addingTimeInterval(5)).isEmpty)
        let out = digest.take(Self.event("acknowledge", 7, at: 9, occurrences: 3), now: Self.t0.addingTimeInterval(9))
        #expect(out.count == 2)
        if case let .repeats(c) = out[0] { #expect(c.repeats == 1 && c.ticket.id == 7) } else { Issue.record("no count first") }
        let camera = LiveEvent(id: 1, type: "camera", at: Self.t0, cameraId: "c", state: "offline", previousState: "streaming")
        #expect(digest.take(camera, now: Self.t0) == [.event(camera)])
    }
}
