import Foundation
import Testing
import Tickets

@Suite struct EvidencePolicyTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    func open(last: Double, pictures: [Double], track: Int?) -> EvidencePolicy.Open {
        .init(lastAlertAt: t0.addingTimeInterval(last), pictures: pictures.map { t0.addingTimeInterval($0) }, lastPictureTrack: track)
    }

    @Test(arguments: [
        // (last alert, pictures, last picture's track, this track, at, keeps)
        (nil as Double?, [] as [Double], nil as Int?, 1 as Int?, 0.0, true),        // raises a new ticket
        (0, [], nil, 1, 5, true),                                                   // open ticket without a picture
        (0, [0], 1, 1, 100, false),                                                 // the same track again
        (0, [0], 1, 2, 5, false),                                                   // another track, no quiet gap
        (0, [0], 1, 2, 30, true),                                                   // another track after 30 s of quiet
        (590, [0], 1, 2, 600, true),                                                // busy, but 10 min since the last picture
        (590, [0], 1, 2, 599, false),                                               // busy, 10 min not yet
        (0, [0], 1, nil, 30, true),                                                 // no track: counts as new
    ])
    func keepsOnlyWhatAddsSomething(last: Double?, pictures: [Double], lastTrack: Int?, track: Int?, at: Double, keeps: Bool) {
        let state = last.map { open(last: $0, pictures: pictures, track: lastTrack) }
        #expect(EvidencePolicy().keepsPicture(open: state, track: track, at: t0.addingTimeInterval(at)) == keeps)
    }

    @Test func boundedPerHourAndPerTicket() {
        let policy = EvidencePolicy()
        // Six pictures in the last hour: the seventh waits until the oldest is an hour old.
        let hour = open(last: 3000, pictures: [0, 600, 1200, 1800, 2400, 3000], track: 1)
        #expect(!policy.keepsPicture(open: hour, track: 2, at: t0.addingTimeInterval(3599)))
        #expect(policy.keepsPicture(open: hour, track: 2, at: t0.addingTimeInterval(3600)))
        let full = open(last: 0, pictures: (0..<policy.perTicket).map { Double($0) * -4000 }.reversed(), track: 1)
        #expect(!policy.keepsPicture(open: full, track: 2, at: t0.addingTimeInterval(100_000)))
    }
}

@Suite struct EvidenceLedgerTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let key = MergeKey(cameraID: "c", kind: "zone_enter", zoneID: "z", tripwireID: nil)

    @Test func aBusyRuleKeepsItsFirstPictureAndThenOnlyAfterQuiet() {
        let ledger = EvidenceLedger()
        var kept: [Double] = []
        // One alert every 5 s for 10 minutes, each from a new track, then quiet, then one more.
        for i in 0...120 {
            let at = Double(i) * 5
            if ledger.decide(key, track: i, at: t0.addingTimeInterval(at)) { kept.append(at) }
            if i == 0 { ledger.written(key, ticketID: 7, created: true, withPicture: true) }
        }
        if ledger.decide(key, track: 500, at: t0.addingTimeInterval(655)) { kept.append(655) }
        #expect(kept == [0, 600, 655])
    }

    @Test func secondAlertDecidedBeforeTheFirstIsWrittenSeesIt() {
        let ledger = EvidenceLedger()
        #expect(ledger.decide(key, track: 1, at: t0))
        #expect(!ledger.decide(key, track: 2, at: t0.addingTimeInterval(1)))
    }

    @Test func aClosedTicketsNextAlertRaisesOneWithAPicture() {
        let ledger = EvidenceLedger()
        #expect(ledger.decide(key, track: 1, at: t0))
        ledger.written(key, ticketID: 7, created: true, withPicture: true)
        #expect(!ledger.decide(key, track: 2, at: t0.addingTimeInterval(2)))
        ledger.closed(ticketID: 7)
        #expect(ledger.decide(key, track: 3, at: t0.addingTimeInterval(4)))
        // Another ticket's closing does not touch this key.
        ledger.written(key, ticketID: 8, created: true, withPicture: true)
        ledger.closed(ticketID: 7)
        #expect(!ledger.decide(key, track: 4, at: t0.addingTimeInterval(6)))
    }

    @Test func aTicketRaisedWithoutAPictureGetsTheNextAlertsPicture() {
        let ledger = EvidenceLedger()
        #expect(ledger.decide(key, track: 1, at: t0))
        ledger.written(key, ticketID: 7, created: true, withPicture: true)
        #expect(!ledger.decide(key, track: 2, at: t0.addingTimeInterval(2)))
        // Closed between that decision and its write: the store raised ticket 8 without a picture.
        ledger.closed(ticketID: 7)
        ledger.written(key, ticketID: 8, created: true, withPicture: false)
        #expect(ledger.decide(key, track: 2, at: t0.addingTimeInterval(3)))
    }

    @Test func keysAreSeparate() {
        let ledger = EvidenceLedger()
        let other = MergeKey(cameraID: "c", kind: "crossing", zoneID: nil, tripwireID: "l")
        #expect(ledger.decide(key, track: 1, at: t0))
        #expect(ledger.decide(other, track: 1, at: t0))
    }
}
