import Cluster
import Foundation
import Testing

/// The balancing rule over simulated periods: every node plans on the same picture in
/// turn, releases go free at once and claims take the lowest free ids (as the database's
/// `SKIP LOCKED` claim would hand them out).
struct Simulation {
    var nodes: [Balance.Node]
    var holders: [String: String?]
    var offers: [String: String] = [:]
    var handOvers = 0

    init(nodes: [String], cameras: Int) {
        self.nodes = nodes.map { Balance.Node(id: $0) }
        holders = Dictionary(uniqueKeysWithValues: (0..<cameras).map { (String(format: "cam%03d", $0), String?.none) })
    }

    func held(by id: String) -> Int { holders.values.filter { $0 == id }.count }
    var loads: [Int] { nodes.filter { $0.live && !$0.draining }.map { held(by: $0.id) } }

    /// One period; returns how many resources each node let go of in it.
    @discardableResult
    mutating func period() -> [String: Int] {
        var released: [String: Int] = [:]
        for node in nodes where node.live || node.draining {
            let step = Balance.plan(me: node.id, nodes: nodes, holders: holders, offers: offers)
            for handover in step.release {
                #expect(holders[handover.id] == .some(node.id), "\(node.id) released \(handover.id) it did not hold")
                holders[handover.id] = .some(nil)
                offers[handover.id] = handover.to
                released[node.id, default: 0] += 1
            }
            let free = Balance.claimable(by: node.id, nodes: nodes, holders: holders, offers: offers).prefix(step.claim)
            for id in free {
                holders[id] = .some(node.id)
                offers[id] = nil
                handOvers += 1
            }
        }
        return released
    }

    /// A node stops: its leases expire and go free.
    mutating func kill(_ id: String) {
        nodes = nodes.map { $0.id == id ? Balance.Node(id: id, live: false) : $0 }
        for (camera, holder) in holders where holder == id { holders[camera] = .some(nil) }
    }

    mutating func revive(_ id: String) {
        nodes = nodes.map { $0.id == id ? Balance.Node(id: id) : $0 }
    }
}

@Suite struct BalanceTests {
    @Test func theShareIsTheCeiling() {
        #expect(Balance.share(resources: 10, nodes: 3) == 4)
        #expect(Balance.share(resources: 9, nodes: 3) == 3)
        #expect(Balance.share(resources: 0, nodes: 3) == 0)
        #expect(Balance.share(resources: 5, nodes: 0) == 0)
    }

    @Test func threeNodesShareTenCamerasWithinOneOfEachOther() {
        var sim = Simulation(nodes: ["a", "b", "c"], cameras: 10)
        for _ in 0..<5 { sim.period() }
        #expect(sim.holders.values.allSatisfy { $0 != nil })
        #expect(sim.loads.max()! - sim.loads.min()! <= 1, "\(sim.loads)")
        // The first claims take the ceiling (4, 4, 2): one camera moves after.
        #expect(sim.handOvers <= 11)
    }

    @Test func theCamerasOfANodeThatDiesAreTakenInOnePeriod() {
        var sim = Simulation(nodes: ["a", "b", "c"], cameras: 100)
        for _ in 0..<3 { sim.period() }
        sim.kill("b")
        sim.period()
        #expect(sim.holders.values.allSatisfy { $0 != nil })
        #expect(sim.held(by: "a") == 50 && sim.held(by: "c") == 50)
    }

    @Test func aNodeThatComesBackGetsItsShareWithoutAStorm() {
        var sim = Simulation(nodes: ["a", "b", "c"], cameras: 100)
        for _ in 0..<3 { sim.period() }
        sim.kill("b")
        sim.period()
        let before = sim.handOvers
        sim.revive("b")
        var periods = 0
        while sim.loads.max()! - sim.loads.min()! > 1 {
            let released = sim.period()
            // No node lets go of more than one camera a period.
            #expect(released.values.allSatisfy { $0 == 1 }, "\(released)")
            periods += 1
            if periods > 100 { break }
        }
        #expect(sim.loads.max()! - sim.loads.min()! <= 1, "\(sim.loads)")
        // Only the cameras the returning node needed moved: 33 of them.
        #expect(sim.handOvers - before == sim.held(by: "b"))
        #expect(sim.held(by: "b") == 33 || sim.held(by: "b") == 34)
        // And once balanced, nothing moves again.
        let settled = sim.handOvers
        for _ in 0..<10 { sim.period() }
        #expect(sim.handOvers == settled)
    }

    @Test func aDrainingNodeHandsItsCamerasOverOneAPeriod() {
        var sim = Simulation(nodes: ["a", "b", "c"], cameras: 9)
        for _ in 0..<3 { sim.period() }
        #expect(sim.held(by: "c") == 3)
        sim.nodes[2].draining = true
        for expected in [2, 1, 0] {
            sim.period()
            #expect(sim.held(by: "c") == expected)
            // Only the camera just let go waits, until the next period's claims.
            #expect(sim.holders.values.filter { $0 == nil }.count <= 1, "cameras left unwatched")
        }
        sim.period()
        #expect(sim.held(by: "a") + sim.held(by: "b") == 9)
        #expect(abs(sim.held(by: "a") - sim.held(by: "b")) <= 1)
    }

    @Test func aNodeDoesNotClaimWhatIsHeldOrWhenAtItsShare() {
        let nodes = [Balance.Node(id: "a"), Balance.Node(id: "b")]
        #expect(Balance.plan(me: "a", nodes: nodes, holders: ["x": "a", "y": "b", "z": nil]) == Balance.Step(claim: 1))
        #expect(Balance.plan(me: "a", nodes: nodes, holders: ["x": "a", "w": "a", "y": "b", "z": nil]) == Balance.Step())
        // Loads two apart with nothing free: the fuller lets go of its highest id, for the other.
        #expect(Balance.plan(me: "a", nodes: nodes, holders: ["p": "a", "q": "a", "r": "a", "s": "b"])
            == Balance.Step(release: [Balance.Handover(id: "r", to: "b")]))
        // Once offered, it counts as b's: a lets nothing more go, and only b may claim it.
        let offered: [String: String?] = ["p": "a", "q": "a", "r": nil, "s": "b"]
        #expect(Balance.plan(me: "a", nodes: nodes, holders: offered, offers: ["r": "b"]) == Balance.Step())
        #expect(Balance.plan(me: "b", nodes: nodes, holders: offered, offers: ["r": "b"]) == Balance.Step(claim: 1))
        #expect(Balance.claimable(by: "a", nodes: nodes, holders: offered, offers: ["r": "b"]).isEmpty)
        // Offered to a node that stopped taking work: anyone's.
        #expect(Balance.claimable(by: "a", nodes: [nodes[0], Balance.Node(id: "b", draining: true)], holders: offered, offers: ["r": "b"]) == ["r"])
        // A node nobody knows of as live (its own heartbeat lost) only lets go.
        #expect(Balance.plan(me: "c", nodes: nodes, holders: ["p": "c", "q": nil])
            == Balance.Step(release: [Balance.Handover(id: "p", to: "a")]))
    }
}
