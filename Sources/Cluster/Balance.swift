/// Which leases one node should claim or let go this period (Docs/design/cluster.md,
/// "Balance"). Pure: the nodes and who holds what in, a step out.
public enum Balance {
    /// A node as the others see it.
    public struct Node: Sendable, Equatable {
        public var id: String
        /// Its heartbeat is within the lease timeout.
        public var live: Bool
        /// Asked to hand its cameras over (`gridwatchctl node drain`).
        public var draining: Bool

        public init(id: String, live: Bool = true, draining: Bool = false) {
            self.id = id
            self.live = live
            self.draining = draining
        }
    }

    /// A lease let go for another node (`to`), which alone may claim it until the offer
    /// runs out; nil: for anyone.
    public struct Handover: Sendable, Equatable {
        public var id: String
        public var to: String?

        public init(id: String, to: String?) {
            self.id = id
            self.to = to
        }
    }

    /// What to do: claim up to `claim` of the free leases this node may take, let go of
    /// `release`.
    public struct Step: Sendable, Equatable {
        public var claim: Int
        public var release: [Handover]

        public init(claim: Int = 0, release: [Handover] = []) {
            self.claim = claim
            self.release = release
        }
    }

    /// A fair share: ⌈resources / nodes taking work⌉ (0 with no such node).
    public static func share(resources: Int, nodes: Int) -> Int {
        nodes > 0 ? (resources + nodes - 1) / nodes : 0
    }

    /// The free resources `me` may claim: those offered to nobody, to it, or to a node
    /// that no longer takes work.
    public static func claimable(by me: String, nodes: [Node], holders: [String: String?], offers: [String: String]) -> [String] {
        let taking = Set(nodes.filter { $0.live && !$0.draining }.map(\.id))
        return holders.filter { $0.value == nil }.map(\.key).filter { id in
            guard let to = offers[id] else { return true }
            return to == me || !taking.contains(to)
        }.sorted()
    }

    /// The step for node `me`, given every node, every resource's current holder (nil:
    /// free or expired) and the standing offers of free resources.
    ///
    /// - A node under its share claims free resources it may take, up to its share (the
    ///   first claims take the ceiling, so one hand-over may follow a start).
    /// - A node lets go of one resource a period (its highest id), offered to the least
    ///   loaded node taking work (its load counting what is offered to it already), only
    ///   when nothing is free for anyone and it holds at least two more than that node: a node that comes back gets its share one resource a period
    ///   from each of the others and nothing else moves (no storm, no ping-pong).
    /// - A draining node (or one that is not live) claims nothing and lets go of one
    ///   resource a period, offered to the least loaded node, until it holds none.
    public static func plan(me: String, nodes: [Node], holders: [String: String?], offers: [String: String] = [:]) -> Step {
        let mine = holders.filter { $0.value == me }.map(\.key).sorted()
        let taking = nodes.filter { $0.live && !$0.draining }
        var held: [String: Int] = Dictionary(uniqueKeysWithValues: taking.map { ($0.id, 0) })
        for case let holder? in holders.values where held[holder] != nil { held[holder]! += 1 }
        // What is offered to a node counts as its load already: offered twice, taken once.
        for (id, to) in offers where holders[id] == .some(nil) && held[to] != nil { held[to]! += 1 }
        // The least loaded other node taking work (the lowest id among equals).
        let least = taking.filter { $0.id != me }.min { (held[$0.id] ?? 0, $0.id) < (held[$1.id] ?? 0, $1.id) }
        guard let self_ = nodes.first(where: { $0.id == me }), self_.live, !self_.draining else {
            return Step(release: mine.last.map { [Handover(id: $0, to: least?.id)] } ?? [])
        }
        let fair = share(resources: holders.count, nodes: taking.count)
        let unoffered = holders.filter { $0.value == nil && offers[$0.key] == nil }.count
        let mayTake = claimable(by: me, nodes: nodes, holders: holders, offers: offers).count
        if mine.count < fair && mayTake > 0 {
            return Step(claim: min(fair - mine.count, mayTake))
        }
        if unoffered == 0, let least, mine.count >= (held[least.id] ?? 0) + 2, let last = mine.last {
            return Step(release: [Handover(id: last, to: least.id)])
        }
        return Step()
    }
}
