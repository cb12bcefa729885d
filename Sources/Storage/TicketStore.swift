import Foundation
import GRDB
import Tickets

/// Errors of the store, with the path or id they concern.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case cannotCreateDirectory(String, String)
    case cannotWriteEvidence(String, String)

    public var description: String {
        switch self {
        case let .cannotCreateDirectory(path, why): "cannot create directory \(path): \(why)"
        case let .cannotWriteEvidence(path, why): "cannot write evidence file \(path): \(why)"
        }
    }
}

/// Filters for listing tickets, newest first.
public struct TicketQuery: Sendable, Equatable {
    public var state: TicketState?
    public var cameraID: String?
    public var zoneID: String?
    public var limit: Int = 100
    public var offset: Int = 0
    public init(state: TicketState? = nil, cameraID: String? = nil, zoneID: String? = nil, limit: Int = 100, offset: Int = 0) {
        self.state = state
        self.cameraID = cameraID
        self.zoneID = zoneID
        self.limit = limit
        self.offset = offset
    }
}

/// The ticket store: one SQLite database in WAL mode plus an evidence folder, both
/// under the data directory. Writes are named after what they mean.
///
/// Evidence files are written (and flushed) before the row that names them, so a
/// crash leaves at most an orphan file, never a row pointing at nothing.
public final class TicketStore: Sendable {
    public let directory: URL
    public let databasePath: String
    private let writer: DatabasePool

    public init(directory: URL) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("snapshots"), withIntermediateDirectories: true)
        } catch {
            throw StoreError.cannotCreateDirectory(directory.path, "\(error.localizedDescription)")
        }
        databasePath = directory.appendingPathComponent("gridwatch.sqlite").path
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        writer = try DatabasePool(path: databasePath, configuration: config)
        try Migrations.migrator.migrate(writer)
    }

    // MARK: Topology

    /// Make grids, cameras and zones from the configuration known to the database.
    /// Rows are inserted or updated, never deleted: old tickets keep pointing at them.
    public func syncTopology(grids: [GridRecord], cameras: [CameraRecord], zones: [ZoneRecord], tripwires: [TripwireRecord] = []) throws {
        try writer.write { db in
            // Grids may name parents listed after them: check foreign keys at commit.
            try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
            for grid in grids { try grid.upsert(db) }
            for camera in cameras { try camera.upsert(db) }
            for zone in zones { try zone.upsert(db) }
            for line in tripwires { try line.upsert(db) }
        }
    }

    // MARK: Writes

    /// Raise a new ticket from an alert: evidence first, then the ticket and its first event.
    public func openTicket(_ alert: Alert, at now: Date, actor: String = "gridwatchd") throws -> TicketRecord {
        var snapshotPath: String?
        if let jpeg = alert.snapshotJPEG {
            snapshotPath = try writeEvidence(jpeg, at: now, kind: "snapshot", suffix: "jpg")
        }
        return try writer.write { db in
            let trajectory = alert.trajectory.isEmpty ? nil : String(decoding: try JSONEncoder().encode(alert.trajectory), as: UTF8.self)
            var ticket = TicketRecord(
                id: nil, cameraId: alert.cameraID, zoneId: alert.zoneID, tripwireId: alert.tripwireID, kind: alert.kind,
                trackId: alert.trackID.map(Int64.init), trajectory: trajectory, gridId: alert.gridID,
                category: alert.category, severity: alert.severity, state: .new, title: alert.title,
                occurredAt: alert.occurredAt, createdAt: now, updatedAt: now, snapshotPath: snapshotPath)
            try Self.insertNew(&ticket, actor: actor, at: now, db)
            return ticket
        }
    }

    /// States in which a ticket is still being worked on.
    public static let openStates: [TicketState] = [.new, .acknowledged, .dispatched, .inProgress, .resolved, .verified, .reopened]

    /// Insert a new ticket and its `created` event, in the caller's transaction.
    private static func insertNew(_ ticket: inout TicketRecord, actor: String, at now: Date, _ db: Database) throws {
        try ticket.insert(db)
        var event = TicketEventRecord(id: nil, ticketId: ticket.id!, at: now, actor: actor, kind: "created", fromState: nil, toState: .new, note: nil)
        try event.insert(db)
    }

    /// Add a daemon event (no state change) to a ticket's history and mark the ticket updated.
    private static func appendEvent(to ticket: inout TicketRecord, kind: String, note: String, at now: Date, _ db: Database) throws {
        var event = TicketEventRecord(id: nil, ticketId: ticket.id!, at: now, actor: "gridwatchd", kind: kind, fromState: nil, toState: nil, note: note)
        try event.insert(db)
        ticket.updatedAt = max(ticket.updatedAt, now)
        try ticket.update(db)
    }

    /// The newest open camera-offline ticket of a camera.
    private static func openOfflineRequest(_ cameraID: String) -> QueryInterfaceRequest<TicketRecord> {
        TicketRecord
            .filter(Column("camera_id") == cameraID && Column("category") == TicketCategory.cameraOffline.rawValue)
            .filter(openStates.map(\.rawValue).contains(Column("state")))
            .order(Column("id").desc)
    }

    /// Raise the camera-offline ticket, or, if one is still open (the camera went
    /// down again before anyone closed it), add an event to it instead.
    /// Returns the ticket and whether it is new.
    public func reportCameraOffline(cameraID: String, gridID: String, title: String, since: Date, at now: Date) throws -> (TicketRecord, created: Bool) {
        try writer.write { db in
            let open = try Self.openOfflineRequest(cameraID).fetchOne(db)
            if var ticket = open {
                try Self.appendEvent(to: &ticket, kind: "offline_again", note: "offline again since \(since.formatted(.iso8601)) / 再次离线", at: now, db)
                return (ticket, false)
            }
            var ticket = TicketRecord(
                id: nil, cameraId: cameraID, zoneId: nil, tripwireId: nil, kind: "camera_offline", trackId: nil, trajectory: nil,
                gridId: gridID, category: .cameraOffline, severity: .medium,
                state: .new, title: title, occurredAt: since, createdAt: now, updatedAt: now, snapshotPath: nil)
            try Self.insertNew(&ticket, actor: "gridwatchd", at: now, db)
            return (ticket, true)
        }
    }

    /// Note on the camera's open offline ticket that it is back. The ticket is not
    /// closed: an operator verifies. Returns the ticket, if one was open.
    @discardableResult
    public func reportCameraRecovered(cameraID: String, downFor: Double, at now: Date) throws -> TicketRecord? {
        try writer.write { db in
            guard var ticket = try Self.openOfflineRequest(cameraID).fetchOne(db) else { return nil }
            let seconds = Int(downFor.rounded())
            try Self.appendEvent(to: &ticket, kind: "recovered", note: "recovered after \(seconds) s / 离线 \(seconds) 秒后恢复", at: now, db)
            return ticket
        }
    }

    /// Write an evidence file durably; returns its path relative to the data directory.
    private func writeEvidence(_ bytes: [UInt8], at now: Date, kind: String, suffix: String) throws -> String {
        let day = Self.dayFormatter.string(from: now)
        let relative = "snapshots/\(day)/\(kind)-\(UUID().uuidString.lowercased()).\(suffix)"
        let url = directory.appendingPathComponent(relative)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let tmp = url.appendingPathExtension("tmp")
            guard FileManager.default.createFile(atPath: tmp.path, contents: nil) else {
                throw StoreError.cannotWriteEvidence(relative, "create failed")
            }
            let handle = try FileHandle(forWritingTo: tmp)
            defer { try? handle.close() }
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
            try FileManager.default.moveItem(at: tmp, to: url)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.cannotWriteEvidence(relative, "\(error.localizedDescription)")
        }
        return relative
    }

    private static let dayFormatter: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy/MM/dd"
        return f
    }()

    // MARK: Reads

    private func request(for query: TicketQuery) -> QueryInterfaceRequest<TicketRecord> {
        var request = TicketRecord.all()
        if let state = query.state { request = request.filter(Column("state") == state.rawValue) }
        if let camera = query.cameraID { request = request.filter(Column("camera_id") == camera) }
        if let zone = query.zoneID { request = request.filter(Column("zone_id") == zone) }
        return request
    }

    /// One page of the tickets matching `query`, newest first.
    public func tickets(_ query: TicketQuery = TicketQuery()) throws -> [TicketRecord] {
        try writer.read { db in
            try request(for: query)
                .order(Column("occurred_at").desc, Column("id").desc)
                .limit(max(0, query.limit), offset: max(0, query.offset))
                .fetchAll(db)
        }
    }

    /// How many tickets match `query`, ignoring its page.
    public func ticketCount(matching query: TicketQuery = TicketQuery()) throws -> Int {
        try writer.read { db in try request(for: query).fetchCount(db) }
    }

    public func ticket(id: Int64) throws -> TicketRecord? {
        try writer.read { db in try TicketRecord.fetchOne(db, key: id) }
    }

    public func events(ticketID: Int64) throws -> [TicketEventRecord] {
        try writer.read { db in
            try TicketEventRecord.filter(Column("ticket_id") == ticketID).order(Column("id")).fetchAll(db)
        }
    }

    /// Absolute location of a ticket's snapshot, if it has one.
    public func snapshotURL(of ticket: TicketRecord) -> URL? {
        ticket.snapshotPath.map { directory.appendingPathComponent($0) }
    }

    /// `PRAGMA integrity_check`'s verdict ("ok" when healthy).
    public func integrityCheck() throws -> String {
        try writer.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no answer" }
    }

    public func journalMode() throws -> String {
        try writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }
}
