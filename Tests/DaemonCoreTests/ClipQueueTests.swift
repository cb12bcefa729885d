@testable import DaemonCore
import Foundation
import Logging
import MediaIO
import Synchronization
import Testing
import TestSupport
import Tickets

/// The clip writer on real H.264 packets and real files: clips written in parts, shed
/// midway, and left open when the daemon stops.
@Suite struct ClipQueueTests {
    /// 6 s of a test pattern, 10 fps, a keyframe a second, as the record stream gives it.
    static func stream(_ dir: TemporaryDirectory) throws -> (StreamParameters, [RecordedPacket]) {
        try Clips.testPattern(dir.path("source.mkv"), seconds: 6, size: "160x120", fps: 10)
        let reader = try PacketReader(url: dir.path("source.mkv"), options: .init(), stallTimeout: 5, interrupt: InterruptState())
        var packets: [RecordedPacket] = []
        while let p = try reader.next() { packets.append(p) }
        return (reader.parameters, packets)
    }

    static func place(_ parameters: StreamParameters, _ name: String) -> ClipQueue.Place {
        ClipQueue.Place(parameters: parameters, cameraID: "gate", eventDate: Date(timeIntervalSince1970: 1_764_000_000),
                        path: "snapshots/2025/11/24/\(name)")
    }

    static func part(_ name: String, _ packets: ArraySlice<RecordedPacket>, first: Bool) -> ClipPart {
        ClipPart(request: ClipRequest(name: name), packets: Array(packets), eventTime: 1, isFirst: first)
    }

    static func end(_ name: String, _ packets: ArraySlice<RecordedPacket>, followsParts: Bool) -> FinishedClip {
        FinishedClip(request: ClipRequest(name: name), packets: Array(packets), eventTime: 1, end: .complete, followsParts: followsParts)
    }

    /// Every file under the data folder.
    static func files(_ dir: TemporaryDirectory) -> [String] {
        ((try? FileManager.default.subpathsOfDirectory(atPath: dir.path("data"))) ?? []).filter { $0.contains(".mp4") }.sorted()
    }

    @Test func aClipSentInPartsIsWrittenWholeAndReportedOnce() throws {
        let dir = try TemporaryDirectory("gw-clipqueue")
        defer { dir.remove() }
        let (parameters, packets) = try Self.stream(dir)
        #expect(packets.count == 60)
        let commands = Mutex<[TicketCommand]>([])
        let queue = ClipQueue(directory: URL(fileURLWithPath: dir.path("data")), logger: Logger(label: "test")) { c in commands.withLock { $0.append(c) } }
        queue.start()
        let place = Self.place(parameters, "a.mp4")
        let taken = [
            queue.enqueue(ClipQueue.Part(clip: Self.part("a.mp4", packets[0..<20], first: true), place: place)),
            queue.enqueue(ClipQueue.Part(clip: Self.part("a.mp4", packets[20..<41], first: false), place: place)),
            queue.enqueue(ClipQueue.Job(clip: Self.end("a.mp4", packets[41...], followsParts: true), place: place)),
        ]
        #expect(taken == [true, true, true])
        #expect(queue.finish(timeout: 30))
        let written = commands.withLock { $0 }
        #expect(written.count == 1)
        guard case let .clipWritten(name, path, seconds, bytes, _, end)? = written.first else {
            Issue.record("no clip written: \(written)")
            return
        }
        #expect(name == "a.mp4" && path == place.path && end == .complete)
        #expect(abs(seconds - 6) < 0.15, "\(seconds)")
        #expect(Self.files(dir) == ["snapshots/2025/11/24/a.mp4"])
        #expect(bytes == (try FileManager.default.attributesOfItem(atPath: dir.path("data/" + path))[.size] as? Int))
        #expect(try Clips.decodeErrors(dir.path("data/" + path)).isEmpty)
    }

    /// The writer is held up on one clip (its ticket lookup waits) while another's parts
    /// pile up past the capacity: that clip is shed whole (the part taken and the file it
    /// opened removed, its end refused, nothing reported); the clips before and after it
    /// are written.
    @Test func aClipShedMidwayLeavesNoFileAndIsNotReported() throws {
        let dir = try TemporaryDirectory("gw-clipqueue")
        defer { dir.remove() }
        let (parameters, packets) = try Self.stream(dir)
        let bytes = { (p: ArraySlice<RecordedPacket>) in p.reduce(0) { $0 + $1.data.count } }
        // Room for the shed clip's first part and a one-picture clip, not for its second part.
        #expect(bytes(packets[20..<40]) > bytes(packets[0..<1]))
        let commands = Mutex<[TicketCommand]>([])
        let held = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), after = DispatchSemaphore(value: 0)
        let queue = ClipQueue(directory: URL(fileURLWithPath: dir.path("data")), capacity: bytes(packets[0..<20]) + bytes(packets[0..<1]),
                              logger: Logger(label: "test"),
                              ticketOf: { name in
                                  if name == "held.mp4" { held.signal(); release.wait() }
                                  return nil
                              }) { c in
            commands.withLock { $0.append(c) }
            if case let .clipWritten(name, _, _, _, _, _) = c, name == "after.mp4" { after.signal() }
        }
        queue.start()
        let shed = Self.place(parameters, "shed.mp4")
        let heldTaken = queue.enqueue(ClipQueue.Job(clip: Self.end("held.mp4", packets[0...], followsParts: false), place: Self.place(parameters, "held.mp4")))
        #expect(heldTaken)
        #expect(held.wait(timeout: .now() + 30) == .success)
        // The writer waits in "held.mp4": the queue is empty, so one part is taken...
        let first = queue.enqueue(ClipQueue.Part(clip: Self.part("shed.mp4", packets[0..<20], first: true), place: shed))
        // ...and the next is over the capacity: the clip goes, and its end with it.
        let second = queue.enqueue(ClipQueue.Part(clip: Self.part("shed.mp4", packets[20..<40], first: false), place: shed))
        let end = queue.enqueue(ClipQueue.Job(clip: Self.end("shed.mp4", packets[40...], followsParts: true), place: shed))
        let afterTaken = queue.enqueue(ClipQueue.Job(clip: Self.end("after.mp4", packets[0..<1], followsParts: false), place: Self.place(parameters, "after.mp4")))
        #expect(first && !second && !end && afterTaken)
        release.signal()
        // "after.mp4" is written once the writer has passed the shed clip's part and note.
        #expect(after.wait(timeout: .now() + 30) == .success)
        #expect(Self.files(dir) == ["snapshots/2025/11/24/after.mp4", "snapshots/2025/11/24/held.mp4"])
        #expect(queue.finish(timeout: 30))
        let names = commands.withLock { $0 }.compactMap { c -> String? in
            if case let .clipWritten(name, _, _, _, _, _) = c { return name }
            return nil
        }
        #expect(names == ["held.mp4", "after.mp4"])
    }

    /// A clip still collecting when the queue closes (its end never came) leaves no file.
    @Test func aClipLeftOpenWhenTheQueueClosesLeavesNothing() throws {
        let dir = try TemporaryDirectory("gw-clipqueue")
        defer { dir.remove() }
        let (parameters, packets) = try Self.stream(dir)
        let commands = Mutex<[TicketCommand]>([])
        let queue = ClipQueue(directory: URL(fileURLWithPath: dir.path("data")), logger: Logger(label: "test")) { c in commands.withLock { $0.append(c) } }
        queue.start()
        let place = Self.place(parameters, "open.mp4")
        let taken = queue.enqueue(ClipQueue.Part(clip: Self.part("open.mp4", packets[0..<30], first: true), place: place))
        #expect(taken)
        #expect(queue.finish(timeout: 30))
        // After the close, parts and ends are refused.
        let late = queue.enqueue(ClipQueue.Job(clip: Self.end("open.mp4", packets[30...], followsParts: true), place: place))
        #expect(!late)
        #expect(commands.withLock { $0 }.isEmpty)
        #expect(Self.files(dir).isEmpty)
    }
}
