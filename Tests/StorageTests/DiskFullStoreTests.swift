import Analysis
import Foundation
import Storage
import Testing
import TestSupport
import Tickets

/// The store on a small tmpfs filled by a big file: every failure says "disk full" (`DiskFull`)
/// and leaves nothing behind.
@Suite(.serialized, .enabled(if: TmpfsMount.permitted, "needs root and mount(2): the store is on a small tmpfs filled up"))
struct DiskFullStoreTests {
    static func alert(_ n: Int) -> Alert {
        Alert(cameraID: "cam", zoneID: "z1", gridID: "g", category: .hazard, severity: .high, title: .plain("河堤"),
              occurredAt: Date(timeIntervalSince1970: 1_700_000_000 + Double(n)), snapshotJPEG: [UInt8](repeating: 0xD8, count: 30_000))
    }

    /// Files under snapshots/ that are temporary or empty.
    static func leftovers(_ root: URL) -> [String] {
        let walker = FileManager.default.enumerator(at: root.appendingPathComponent("snapshots"), includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey])
        var out: [String] = []
        while let url = walker?.nextObject() as? URL {
            let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
            guard values?.isRegularFile == true else { continue }
            if url.pathExtension == "tmp" || values?.fileSize == 0 { out.append(url.lastPathComponent) }
        }
        return out
    }

    @Test func failedWritesSayDiskFullAndLeaveNoFiles() throws {
        let dir = try TemporaryDirectory("gw-store-full")
        defer { dir.remove() }
        let disk = try TmpfsMount(at: dir.path("data"), size: "4m")
        defer { disk.unmount() }
        let store = try TicketStore(directory: dir.url.appendingPathComponent("data"))
        try store.syncTopology(
            grids: [GridRecord(id: "g", name: "东村", parentId: nil, level: "village")],
            cameras: [CameraRecord(id: "cam", name: "东门", gridId: "g", sourceRedacted: "x")],
            zones: [ZoneRecord(cameraId: "cam", id: "z1", name: "河堤", gridId: nil, polygon: "[[0,0],[1,0],[1,1]]")])
        let id = try #require(try store.raise(Self.alert(0), at: Date()).ticket.id)
        disk.fill()

        // Evidence first: it cannot be written, and its temporary file is gone.
        for n in 1...20 {
            do {
                _ = try store.raise(Self.alert(n), at: Date())
                Issue.record("alert \(n) written on a full disk")
            } catch {
                #expect(DiskFull.matches(error), "\(error)")
            }
        }
        #expect(Self.leftovers(dir.url.appendingPathComponent("data")).isEmpty, "\(Self.leftovers(dir.url.appendingPathComponent("data")))")
        #expect(try store.ticket(id: id)?.occurrences == 1)

        // A person's action: the database cannot grow (its log's free pages may take a few).
        var failure: (any Error)?
        for i in 0..<3000 where failure == nil {
            do { _ = try store.addNote(ticketID: id, actor: "test", note: "note \(i)", at: Date()) } catch { failure = error }
        }
        let error = try #require(failure)
        #expect(DiskFull.matches(error), "\(error)")

        // Backup into the full folder.
        do {
            try store.backup(to: dir.path("data/backup.sqlite"))
            Issue.record("backup on a full disk succeeded")
        } catch {
            #expect(DiskFull.matches(error), "\(error)")
        }
        #expect(DiskFull.reason().contains("磁盘已满") && DiskFull.reason().contains("disk full"))
    }
}
