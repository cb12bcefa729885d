import Synchronization

/// Which of the jobs that must run once across the nodes sharing a store run here:
/// deadlines and escalation (`supervision`) and outbox delivery (`outbox`). On a single
/// box every job runs; with a shared store a job runs on the node holding its lease.
final class JobGate: Sendable {
    /// The jobs, as their leases are named.
    static let all = ["supervision", "outbox"]

    /// nil: a single box, every job here.
    private let held = Mutex<Set<String>?>(nil)
    /// Called when a job comes here (the outbox's senders wake).
    let onGrant = Mutex<(@Sendable (String) -> Void)?>(nil)

    func holds(_ job: String) -> Bool { held.withLock { $0?.contains(job) ?? true } }

    /// Jobs run only under their leases from now on.
    func runUnderLeases() { held.withLock { $0 = [] } }

    func grant(_ job: String) {
        held.withLock { _ = $0?.insert(job) }
        onGrant.withLock { $0 }?(job)
    }

    func revoke(_ job: String) { held.withLock { _ = $0?.remove(job) } }

    /// The jobs held here (all of them on a single box).
    var list: [String] { held.withLock { $0.map { Array($0).sorted() } ?? Self.all } }
}
