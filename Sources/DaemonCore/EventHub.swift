import Catalog
import ControlProtocol
import Storage
import Foundation
import ServiceLifecycle
import Synchronization
import Tickets

/// The live change feed behind `GET /v1/events`: every ticket and camera change gets an id
/// (increasing; the first of a run is the start time in microseconds, so ids grow across
/// restarts too) and is kept in a ring of the last `capacity` changes, from which a client
/// reconnecting with `Last-Event-ID` is sent what it missed. A client further behind than
/// the ring, or from before a restart, is told to reload (`event: reset`).
public final class EventHub: Service, Sendable {
    public struct Entry: Sendable {
        public var event: LiveEvent
        /// For visibility: a corrections ticket's change only reaches those who see them.
        public var category: TicketCategory?
        /// The ticket's title as a catalogue entry: each client reads it in its language.
        public var title: TicketText?

        /// The event with its ticket's title in `language`.
        public func event(in language: Language) -> LiveEvent {
            guard let title, event.ticket != nil else { return event }
            var localized = event
            localized.ticket?.title = title.text(language)
            return localized
        }
    }

    public enum Item: Sendable {
        case entry(Entry)
        case heartbeat
    }

    public struct Subscription: Sendable {
        public let token: UUID
        /// Changes after the client's last id, oldest first.
        public let replay: [Entry]
        /// The client's last id is older than what the ring holds: it must reload.
        public let reset: Bool
        public let items: AsyncStream<Item>
    }

    private struct State {
        var ring: [Entry] = []
        var nextID: Int64
        var firstID: Int64
        var subscribers: [UUID: AsyncStream<Item>.Continuation] = [:]
        var finished = false
    }

    let capacity: Int
    let heartbeat: Duration
    /// Changes waiting for one slow client at most. A client that falls further behind is
    /// disconnected and resumes from the ring with `Last-Event-ID`, so one stuck screen
    /// cannot make the daemon hold an unbounded queue for it.
    let clientBuffer: Int
    private let state: Mutex<State>

    public init(capacity: Int = 10_000, heartbeat: Duration = .seconds(15), clientBuffer: Int = 1_000) {
        self.capacity = capacity
        self.heartbeat = heartbeat
        self.clientBuffer = clientBuffer
        let first = Int64(Date().timeIntervalSince1970 * 1_000_000)
        state = Mutex(State(nextID: first, firstID: first))
    }

    /// Record a change and send it to every subscriber.
    public func publish(category: TicketCategory?, title: TicketText? = nil, _ make: (Int64) -> LiveEvent) {
        state.withLock { s in
            let entry = Entry(event: make(s.nextID), category: category, title: title)
            s.nextID += 1
            s.ring.append(entry)
            if s.ring.count > capacity { s.ring.removeFirst(s.ring.count - capacity) }
            var behind: [UUID] = []
            for (token, continuation) in s.subscribers {
                if case .dropped = continuation.yield(.entry(entry)) { behind.append(token) }
            }
            for token in behind { s.subscribers.removeValue(forKey: token)?.finish() }
        }
    }

    /// Subscribe after `lastID` (nil: only new changes). Replay and registration happen under
    /// one lock, so no change falls between them.
    public func subscribe(after lastID: Int64?) -> Subscription {
        let token = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: Item.self, bufferingPolicy: .bufferingOldest(clientBuffer))
        let (replay, reset) = state.withLock { s -> ([Entry], Bool) in
            if s.finished {
                continuation.finish()
            } else {
                s.subscribers[token] = continuation
            }
            guard let lastID else { return ([], false) }
            let oldest = s.ring.first?.event.id ?? s.nextID
            // From before this run, further behind than the ring, or not one of ours.
            if lastID < s.firstID - 1 || lastID < oldest - 1 || lastID >= s.nextID { return ([], true) }
            return (s.ring.filter { $0.event.id > lastID }, false)
        }
        let beat = heartbeat
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: beat)
                if Task.isCancelled { break }
                if case .terminated = continuation.yield(.heartbeat) { break }
            }
        }
        continuation.onTermination = { _ in ticker.cancel() }
        return Subscription(token: token, replay: replay, reset: reset, items: stream)
    }

    public func unsubscribe(_ token: UUID) {
        let continuation = state.withLock { $0.subscribers.removeValue(forKey: token) }
        continuation?.finish()
    }

    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Ends every stream at shutdown, so the HTTP server is not kept waiting by live clients.
    public func run() async throws {
        try? await gracefulShutdown()
        let all = state.withLock { s -> [AsyncStream<Item>.Continuation] in
            s.finished = true
            defer { s.subscribers = [:] }
            return Array(s.subscribers.values)
        }
        for continuation in all { continuation.finish() }
    }
}

extension EventHub {
    func publishTicket(_ ticket: TicketRecord, change: String, actor: String, at: Date) {
        publish(category: ticket.category, title: ticket.titleEntry) { id in
            LiveEvent(id: id, type: "ticket", at: at, change: change, actor: actor, ticket: TicketSummary(ticket))
        }
    }

    func publishCamera(_ cameraID: String, state: String, previous: String?, at: Date) {
        publish(category: nil) { id in
            LiveEvent(id: id, type: "camera", at: at, cameraId: cameraID, state: state, previousState: previous)
        }
    }
}
