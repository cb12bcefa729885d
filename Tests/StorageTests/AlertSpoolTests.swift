import Analysis
import Foundation
@testable import Storage
import Testing
import TestSupport
import Tickets

@Suite struct AlertSpoolTests {
    static func alert(_ n: Int, picture: Int = 0) -> TicketCommand {
        .alert(Alert(
            cameraID: "cam", zoneID: "z\(n)", kind: "zone_enter", trackID: n, trajectory: [TrajectoryPoint(x: 0.5, y: 0.25, t: Double(n))],
            gridID: "g", category: .hazard, severity: .high, title: .plain("河堤 \(n)"), occurredAt: Date(timeIntervalSince1970: 1_700_000_000 + Double(n)),
            snapshotJPEG: picture > 0 ? [UInt8](repeating: UInt8(n & 0xFF), count: picture) : nil))
    }

    static func zone(_ command: TicketCommand) -> String? {
        if case let .alert(a) = command { return a.zoneID }
        return nil
    }

    @Test func keepsCommandsWithTheirPicturesAcrossAReopen() throws {
        let dir = try TemporaryDirectory("gw-spool")
        defer { dir.remove() }
        let path = dir.path("s.spool")
        do {
            let spool = try AlertSpool(path: path, capacity: 1 << 20)
            #expect(spool.recovered.isEmpty)
            #expect(spool.append(Self.alert(1, picture: 5000)) == .kept(sequence: 1, withPicture: true))
            #expect(spool.append(.cameraOffline(cameraID: "c2", gridID: "g", title: "离线", since: Date(timeIntervalSince1970: 5), reason: nil)) == .kept(sequence: 2, withPicture: false))
            #expect(spool.append(.cameraRecovered(cameraID: "c2", downFor: 12.5)) == .kept(sequence: 3, withPicture: false))
        }
        // Allocated up front: writing into it needs no new blocks.
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) == 1 << 20)
        let again = try AlertSpool(path: path, capacity: 1 << 20)
        #expect(again.recovered.map(\.sequence) == [1, 2, 3])
        guard case let .alert(a) = again.recovered[0].command else { Issue.record("not an alert"); return }
        #expect(a.snapshotJPEG == [UInt8](repeating: 1, count: 5000) && a.title == "河堤 1" && a.trajectory.count == 1)
        #expect(a.occurredAt == Date(timeIntervalSince1970: 1_700_000_001))
        guard case let .cameraRecovered(camera, downFor) = again.recovered[2].command else { Issue.record("not a recovery"); return }
        #expect(camera == "c2" && downFor == 12.5)
        // New records follow the old ones.
        #expect(again.append(Self.alert(4)) == .kept(sequence: 4, withPicture: false))
    }

    @Test func acknowledgedAndClearedRecordsAreNotReadAgain() throws {
        let dir = try TemporaryDirectory("gw-spool")
        defer { dir.remove() }
        let path = dir.path("s.spool")
        do {
            let spool = try AlertSpool(path: path, capacity: 1 << 20)
            for n in 1...5 { _ = spool.append(Self.alert(n)) }
            spool.acknowledge(through: 3)
        }
        do {
            let spool = try AlertSpool(path: path, capacity: 1 << 20)
            #expect(spool.recovered.map(\.sequence) == [4, 5])
            spool.clear()
            _ = spool.append(Self.alert(6))
        }
        let spool = try AlertSpool(path: path, capacity: 1 << 20)
        #expect(spool.recovered.map { Self.zone($0.command) } == ["z6"])
    }

    /// A write cut short (a crash, a torn sector) loses that record only.
    @Test func aTornRecordLosesOnlyItself() throws {
        let dir = try TemporaryDirectory("gw-spool")
        defer { dir.remove() }
        let path = dir.path("s.spool")
        do {
            let spool = try AlertSpool(path: path, capacity: 1 << 20)
            for n in 1...3 { _ = spool.append(Self.alert(n, picture: 1000)) }
        }
        // Damage a byte inside the third record's picture.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let end = AlertSpool.parse(bytes).end
        bytes[end - 10] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let spool = try AlertSpool(path: path, capacity: 1 << 20)
        #expect(spool.recovered.map(\.sequence) == [1, 2])
        // Appending goes on after the last good record.
        #expect(spool.append(Self.alert(9)) == .kept(sequence: 3, withPicture: false))
        #expect(try AlertSpool(path: path, capacity: 1 << 20).recovered.map { Self.zone($0.command) } == ["z1", "z2", "z9"])
    }

    /// Pictures give way first; when even the text does not fit, the command is not kept.
    @Test func aFullSpoolDropsPicturesThenSaysNotKept() throws {
        let dir = try TemporaryDirectory("gw-spool")
        defer { dir.remove() }
        let spool = try AlertSpool(path: dir.path("s.spool"), capacity: 256 * 1024)
        var results: [AlertSpool.Appended] = []
        for n in 1...2000 {
            let r = spool.append(Self.alert(n, picture: 20_000))
            results.append(r)
            if r == .notKept { break }
        }
        let withPicture = results.filter { if case .kept(_, true) = $0 { true } else { false } }.count
        let without = results.filter { if case .kept(_, false) = $0 { true } else { false } }.count
        #expect(withPicture >= 5 && without >= 100, "with \(withPicture) without \(without)")
        #expect(results.last == .notKept)
        // Acknowledgements still fit.
        spool.acknowledge(through: 2)
        #expect(try AlertSpool(path: dir.path("s.spool"), capacity: 256 * 1024).recovered.first?.sequence == 3)
    }
}
