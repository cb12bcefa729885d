import Foundation
import GRDB
import Tickets

extension TicketStore {
    // MARK: Topology

    /// Make grids, people, cameras and zones from the configuration known to the database.
    /// Rows are inserted or updated, never deleted: old tickets keep pointing at them.
    public func syncTopology(grids: [GridRecord], cameras: [CameraRecord], zones: [ZoneRecord], tripwires: [TripwireRecord] = [], people: [PersonRecord] = []) throws {
        try writer.write { db in
            // Grids may name parents listed after them: check foreign keys at commit.
            try db.deferForeignKeys()
            for grid in grids { try grid.upsert(db) }
            for person in people { try person.upsert(db) }
            // People no longer in the configuration can no longer be dispatched to (tickets
            // keep the assignee's id as text).
            _ = try (people.isEmpty ? PersonRecord.all() : PersonRecord.filter(!people.map(\.id).contains(Column("id")))).deleteAll(db)
            for camera in cameras { try camera.upsert(db) }
            for zone in zones { try zone.upsert(db) }
            for line in tripwires { try line.upsert(db) }
        }
    }

    // MARK: Camera switches

    /// Cameras switched off, by camera id.
    public func disabledCameras() throws -> [String: CameraSwitchRecord] {
        try writer.read { db in
            Dictionary(uniqueKeysWithValues: try CameraSwitchRecord.fetchAll(db).map { ($0.cameraId, $0) })
        }
    }

    /// Switch a camera off (a record) or on (nil).
    public func setCameraDisabled(_ cameraID: String, _ record: CameraSwitchRecord?) throws {
        try writer.write { db in
            if let record {
                try record.upsert(db)
            } else {
                _ = try CameraSwitchRecord.deleteOne(db, key: ["camera_id": cameraID])
            }
        }
    }

    // MARK: Backup

    /// A consistent copy of the database at `path`, made with SQLite's online backup from
    /// one read snapshot while tickets go on being written. Returns its size in bytes.
    @discardableResult
    public func backup(to path: String) throws -> Int64 {
        guard case let .sqlite(pool) = writer.engine else { throw PostgresStoreError.unsupported("backup (use pg_dump)") }
        try? FileManager.default.removeItem(atPath: path)
        var configuration = Configuration()
        configuration.journalMode = .default
        let copy = try DatabaseQueue(path: path, configuration: configuration)
        try pool.backup(to: copy)
        try copy.close()
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        return size
    }

    // MARK: Metrics

    public struct CategoryState: Hashable, Sendable {
        public var category: String
        public var state: String
    }

    /// Open tickets by category and state (few, whatever the store's size: the list index
    /// on archived and state finds them).
    public func openTicketCounts() throws -> [CategoryState: Int] {
        let open = TicketSQL.list(TicketState.allCases.filter { Workflow.isOpen($0) })
        return try writer.read { db in
            var out: [CategoryState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT category, state, count(*) AS n FROM tickets WHERE archived = 0 AND state IN \(open) GROUP BY category, state") {
                out[CategoryState(category: row["category"], state: row["state"])] = row["n"]
            }
            return out
        }
    }
}
