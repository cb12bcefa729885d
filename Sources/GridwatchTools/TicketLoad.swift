import Catalog
import Analysis
import Foundation
import Notify
import Storage
import Tickets

/// A load generator for the ticket store's own write path (the kill -9 test and the
/// benchmark): raises `count` distinct tickets as fast as the store takes them, each with
/// `evidenceBytes` of evidence, and reports each one after its transaction committed.
public enum TicketLoad {
    public struct Result: Sendable {
        public var created: Int
        public var seconds: Double
    }

    /// `report` is called with each ticket's id once the store has it.
    /// `notify`: destinations whose outbox each ticket goes into (every change, as a
    /// destination without filters takes them).
    public static func run(directory: URL, location: StoreLocation = .sqlite, count: Int, evidenceBytes: Int, spreadDays: Double = 0,
                           notify: [String] = [], cameraPrefix: String = "load-cam", report: (Int64) -> Void) throws -> Result {
        let store = try TicketStore(directory: directory, location: location)
        store.notifyRoutes = notify.map { NotifyRoute(destination: $0) }
        try store.syncTopology(
            grids: [GridRecord(id: "load-town", name: "负载镇 Load town", parentId: nil, level: "town"),
                    GridRecord(id: "load-village", name: "负载村 Load village", parentId: "load-town", level: "village")],
            cameras: (0..<8).map { CameraRecord(id: "\(cameraPrefix)\($0)", name: "负载 \($0)", gridId: "load-village", sourceRedacted: "file:load") },
            zones: [])
        // A JPEG-sized payload (not a picture: the store never looks inside).
        let evidence = evidenceBytes > 0 ? [UInt8](repeating: 0xA5, count: evidenceBytes) : nil
        let categories: [TicketCategory] = [.intrusion, .hazard, .intrusion, .corrections]
        let start = Date()
        let base = start.addingTimeInterval(-spreadDays * 86_400)
        for i in 0..<count {
            let at = spreadDays > 0 ? base.addingTimeInterval(Double(i) / Double(count) * spreadDays * 86_400) : Date()
            // Each alert its own rule, so none merges into another.
            let alert = Alert(
                cameraID: "\(cameraPrefix)\(i % 8)", zoneID: nil, kind: "load-\(i)", trackID: i,
                trajectory: [TrajectoryPoint(x: 0.5, y: 0.5, t: Double(i))], gridID: "load-village",
                category: categories[i % categories.count], severity: .medium,
                title: .plain("负载测试 Load test #\(i)"), occurredAt: at, snapshotJPEG: evidence)
            let ticket = try store.raise(alert, at: at).ticket
            report(ticket.id!)
        }
        return Result(created: count, seconds: Date().timeIntervalSince(start))
    }
}
