import Catalog
import Foundation
import Notify
import Testing
import Tickets

@Suite struct DeliveryRulesTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func routesFilterByTypeGridCategoryAndSeverity() {
        let all = NotifyRoute(destination: "all")
        #expect(all.wants(.note, category: .intrusion, severity: .low, gridChain: ["v1", "t1", "c1"]))
        let town = NotifyRoute(destination: "town", events: [.created, .dispatched], grids: ["t1"], categories: [.hazard, .intrusion], minSeverity: .medium)
        // A village below the town counts as the town's.
        #expect(town.wants(.created, category: .hazard, severity: .high, gridChain: ["v1", "t1", "c1"]))
        #expect(!town.wants(.created, category: .hazard, severity: .high, gridChain: ["v2", "t2", "c1"]))
        #expect(!town.wants(.note, category: .hazard, severity: .high, gridChain: ["v1", "t1", "c1"]))
        #expect(!town.wants(.created, category: .cameraOffline, severity: .high, gridChain: ["v1", "t1", "c1"]))
        #expect(!town.wants(.created, category: .hazard, severity: .low, gridChain: ["v1", "t1", "c1"]))
        #expect(town.wants(.dispatched, category: .intrusion, severity: .critical, gridChain: ["t1", "c1"]))
    }

    @Test func historyKindsMapToTypes() {
        #expect(NotifyEventType.forHistory(kind: "created") == .created)
        #expect(NotifyEventType.forHistory(kind: "dispatch") == .dispatched)
        #expect(NotifyEventType.forHistory(kind: "false_alarm") == .falseAlarm)
        #expect(NotifyEventType.forHistory(kind: "escalation") == .overdue)
        #expect(NotifyEventType.forHistory(kind: "escalate") == .escalated)
        #expect(NotifyEventType.forHistory(kind: "clip") == .updated)
        // Every action has a type of its own.
        let types = Set(TicketAction.allCases.map { NotifyEventType.forHistory(kind: $0.rawValue) })
        #expect(types.count == TicketAction.allCases.count && !types.contains(.updated))
    }

    @Test func retriesBackOffWithJitterThenGiveUp() {
        let s = RetrySchedule()
        #expect(s.wait(afterFailures: 1, random: 0.5) == 5)
        #expect(s.wait(afterFailures: 2, random: 0.5) == 300)
        #expect(s.wait(afterFailures: 4, random: 0.5) == 7200)
        #expect(s.wait(afterFailures: 5, random: 0.5) == 18_000)
        #expect(s.wait(afterFailures: 40, random: 0.5) == 18_000)
        #expect(abs(s.wait(afterFailures: 2, random: 0) - 240) < 1e-9)
        #expect(abs(s.wait(afterFailures: 2, random: 1) - 360) < 1e-9)
        // Walk the whole schedule: it gives up a little after three days.
        var at = now
        var failures = 0
        while let next = s.next(afterFailures: failures + 1, firstAttempt: now, now: at, random: 0.5) {
            failures += 1
            at = next
        }
        #expect(at.timeIntervalSince(now) <= 3 * 86_400)
        #expect(at.timeIntervalSince(now) > 3 * 86_400 - 18_000)
        #expect(failures == 4 + 13)
        // A longer Retry-After is honoured, a shorter one is not, a huge one is capped.
        #expect(s.next(afterFailures: 1, firstAttempt: now, now: now, retryAfter: 60, random: 0.5) == now.addingTimeInterval(60))
        #expect(s.next(afterFailures: 1, firstAttempt: now, now: now, retryAfter: 1, random: 0.5) == now.addingTimeInterval(5))
        #expect(s.next(afterFailures: 1, firstAttempt: now, now: now, retryAfter: 1e9, random: 0.5) == now.addingTimeInterval(21_600))
        // Whatever our own schedule's longest wait.
        var short = RetrySchedule()
        short.thereafter = 1
        #expect(short.next(afterFailures: 9, firstAttempt: now, now: now, retryAfter: 60, random: 0.5) == now.addingTimeInterval(60))
    }

    @Test func onlyTwoHundredsDeliverAndGoneDisables() {
        #expect(DeliveryVerdict.from(status: 200, retryAfter: nil, now: now) == .delivered)
        #expect(DeliveryVerdict.from(status: 204, retryAfter: nil, now: now) == .delivered)
        #expect(DeliveryVerdict.from(status: 302, retryAfter: nil, now: now) == .retry(reason: "HTTP 302", after: nil))
        #expect(DeliveryVerdict.from(status: 400, retryAfter: nil, now: now) == .retry(reason: "HTTP 400", after: nil))
        #expect(DeliveryVerdict.from(status: 410, retryAfter: nil, now: now) == .disable(reason: "HTTP 410 Gone"))
        #expect(DeliveryVerdict.from(status: 429, retryAfter: "120", now: now) == .retry(reason: "HTTP 429", after: 120))
        #expect(DeliveryVerdict.from(status: 503, retryAfter: "Fri, 15 Jan 2027 08:00:30 GMT", now: Date(timeIntervalSince1970: 1_800_000_000)) ==
                .retry(reason: "HTTP 503", after: 30))
        #expect(DeliveryVerdict.from(status: 500, retryAfter: "120", now: now) == .retry(reason: "HTTP 500", after: nil))
        #expect(DeliveryVerdict.from(status: 200, retryAfter: nil, robotError: (0, "ok"), now: now) == .delivered)
        #expect(DeliveryVerdict.from(status: 200, retryAfter: nil, robotError: (45009, "api freq out of limit"), now: now)
                == .retry(reason: "robot errcode 45009: api freq out of limit", after: nil))
        #expect(DeliveryVerdict.parseRetryAfter("soon", now: now) == nil)
    }

    @Test func robotAnswersAreRead() {
        #expect(RobotMessage.robotError(Array(#"{"errcode":0,"errmsg":"ok"}"#.utf8))! == (0, "ok"))
        #expect(RobotMessage.robotError(Array(#"{"errcode":310000,"errmsg":"sign not match"}"#.utf8))! == (310000, "sign not match"))
        #expect(RobotMessage.robotError(Array("ok".utf8)) == nil)
    }
}
