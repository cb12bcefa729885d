import Foundation
import Testing
import Tickets

@Suite struct CameraOfflineTrackerTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    func at(_ s: Double) -> Date { t0.addingTimeInterval(s) }

    @Test func raisesOnceAfterOfflineAfterAndReportsTheRecovery() {
        var tracker = CameraOfflineTracker(offlineAfter: 120, stableAfter: 10)
        tracker.streaming(at: at(0))
        #expect(tracker.tick(at: at(5)) == nil)
        // Down from t = 10 s.
        var actions: [CameraOfflineTracker.Action] = []
        for s in stride(from: 10.0, through: 300, by: 1) {
            tracker.down(at: at(s))
            if let a = tracker.tick(at: at(s)) { actions.append(a) }
        }
        #expect(actions == [.raiseOffline(since: at(10))])
        // Back at t = 301 s, steady.
        for s in stride(from: 301.0, through: 320, by: 1) {
            tracker.streaming(at: at(s))
            if let a = tracker.tick(at: at(s)) { actions.append(a) }
        }
        #expect(actions == [.raiseOffline(since: at(10)), .recovered(downFor: 291)])
    }

    @Test func aShortDropRaisesNothing() {
        var tracker = CameraOfflineTracker(offlineAfter: 120, stableAfter: 10)
        var actions: [CameraOfflineTracker.Action] = []
        for s in stride(from: 0.0, to: 60, by: 1) {
            tracker.down(at: at(s))
            if let a = tracker.tick(at: at(s)) { actions.append(a) }
        }
        for s in stride(from: 60.0, to: 200, by: 1) {
            tracker.streaming(at: at(s))
            if let a = tracker.tick(at: at(s)) { actions.append(a) }
        }
        #expect(actions.isEmpty)
        #expect(tracker.downSince == nil)
    }

    @Test func aFlappingCameraRaisesOneTicketNotOnePerFlap() {
        // Up 3 s, down 27 s, over and over: never steady for 10 s.
        var tracker = CameraOfflineTracker(offlineAfter: 120, stableAfter: 10)
        var raised = 0
        for s in 0..<3600 {
            if s % 30 < 3 { tracker.streaming(at: at(Double(s))) } else { tracker.down(at: at(Double(s))) }
            if case .raiseOffline? = tracker.tick(at: at(Double(s))) { raised += 1 }
        }
        #expect(raised == 1)
    }
}

@Suite struct AccessTests {
    @Test func eachRoleGetsWhatTheControlIssueSays() {
        let viewer = Access(roles: [.viewer]), op = Access(roles: [.operator]), corr = Access(roles: [.corrections])
        let admin = Access(roles: [.admin]), nobody = Access(roles: [])
        #expect(viewer.allows(.readTickets) && !viewer.allows(.actOnTickets) && !viewer.allows(.manage))
        #expect(op.allows(.actOnTickets) && op.mayAct(on: .hazard) && !op.mayAct(on: .corrections))
        #expect(!op.sees(.corrections) && !viewer.sees(.corrections) && op.sees(.cameraOffline))
        #expect(corr.sees(.corrections) && !corr.sees(.intrusion) && corr.mayAct(on: .corrections) && !corr.mayAct(on: .hazard))
        #expect(admin.allows(.manage) && admin.sees(.corrections) && admin.mayAct(on: .corrections) && admin.visibleCategories == nil)
        #expect(!nobody.allows(.readCameras) && !nobody.allows(.readTickets) && nobody.visibleCategories == [])
        // Two groups: the union of both.
        let both = Access(roles: [.operator, .corrections])
        #expect(both.sees(.corrections) && both.sees(.intrusion) && both.mayAct(on: .corrections) && both.mayAct(on: .intrusion))
    }
}
