@testable import DaemonCore
import ControlProtocol
import Foundation
import Testing

@Suite struct EventHubTests {
    static func publish(_ hub: EventHub, _ n: Int) {
        for i in 0..<n { hub.publishCamera("cam\(i)", state: "streaming", previous: nil, at: Date()) }
    }

    static func drain(_ items: AsyncStream<EventHub.Item>) async -> [Int64] {
        var ids: [Int64] = []
        for await item in items {
            if case .entry(let e) = item { ids.append(e.event.id) }
        }
        return ids
    }

    @Test func aClientThatFallsBehindIsCutOffAndResumesFromTheRingWithoutLosingAChange() async {
        let hub = EventHub(capacity: 100, heartbeat: .seconds(3600), clientBuffer: 10)
        let slow = hub.subscribe(after: nil)
        Self.publish(hub, 25)
        // The slow client's queue held 10; the 11th change cut it off instead of queueing more.
        #expect(hub.subscriberCount == 0)
        let got = await Self.drain(slow.items)
        #expect(got.count == 10)
        // Reconnecting after the last id it saw, it gets exactly the rest, in order.
        let again = hub.subscribe(after: got.last)
        #expect(!again.reset)
        let all = (got + again.replay.map(\.event.id))
        #expect(all.count == 25 && all == all.sorted() && Set(all).count == 25)
        hub.unsubscribe(again.token)
    }

    @Test func aClientThatKeepsUpIsNeverCutOff() async {
        let hub = EventHub(capacity: 100, heartbeat: .seconds(3600), clientBuffer: 10)
        let client = hub.subscribe(after: nil)
        var iterator = client.items.makeAsyncIterator()
        var seen = 0
        for _ in 0..<50 {
            Self.publish(hub, 1)
            if case .entry? = await iterator.next() { seen += 1 }
        }
        #expect(seen == 50 && hub.subscriberCount == 1)
        hub.unsubscribe(client.token)
    }
}
