import Foundation
import GRDB
import Synchronization
import Tickets

/// Errors of the store, with the path or id they concern.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case cannotCreateDirectory(String, String)
    case cannotWriteEvidence(String, String)
    /// A write failed for want of space (`ENOSPC`, `EDQUOT`): see `DiskFull`.
    case noSpace(String)

    public var description: String {
        switch self {
        case let .cannotCreateDirectory(path, why): "cannot create directory \(path): \(why)"
        case let .cannotWriteEvidence(path, why): "cannot write evidence file \(path): \(why)"
        case let .noSpace(path): "no space left on the device for \(path)"
        }
    }
}

/// Filters for listing tickets, newest first.
public struct TicketQuery: Sendable, Equatable {
    public var state: TicketState?
    /// Only open tickets (neither closed nor false alarms).
    public var openOnly = false
    public var cameraID: String?
    public var zoneID: String?
    public var gridID: String?
    public var category: TicketCategory?
    /// Only tickets past a deadline (the supervision list when combined with `openOnly`).
    public var overdueOnly = false
    public var repeatProblemOnly = false
    /// Occurred at or after / before.
    public var since: Date?
    public var until: Date?
    /// Words in the title (case-insensitive substring).
    public var text: String?
    /// Archived tickets (closed long ago) are left out unless asked for.
    public var includeArchived = false
    /// The categories the caller may see; nil for all (see `Access.visibleCategories`).
    public var visibleCategories: Set<TicketCategory>?
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

extension TicketQuery {
    /// The supervision list (督办): open tickets past a deadline.
    public static func supervision(visibleCategories: Set<TicketCategory>?) -> TicketQuery {
        var query = TicketQuery()
        query.openOnly = true
        query.overdueOnly = true
        query.visibleCategories = visibleCategories
        return query
    }
}

/// Why a person's request on a ticket was refused.
public enum TicketActionError: Error, Equatable, CustomStringConvertible {
    case noSuchTicket(Int64)
    case workflow(WorkflowError)
    case unknownAssignee(String, grid: String)
    case emptyNote

    public var description: String {
        switch self {
        case let .noSuchTicket(id): "no ticket \(id) / 没有工单 \(id)"
        case let .workflow(error): error.description
        case let .unknownAssignee(who, grid): "'\(who)' is not a leader or worker of grid '\(grid)' / 不是该网格的人员"
        case .emptyNote: "a note needs some text / 备注不能为空"
        }
    }
}

/// The ticket store: one SQLite database in WAL mode plus an evidence folder, both
/// under the data directory. Writes are named after what they mean; every change to a
/// ticket writes its row and its history event in one transaction.
///
/// Evidence files are written (and flushed) before the row that names them, so a
/// crash leaves at most an orphan file (removed by `removeOrphanEvidence`), never a row
/// pointing at nothing.
public final class TicketStore: Sendable {
    public let directory: URL
    public let databasePath: String
    private let currentPolicy: Mutex<StorePolicy>
    /// Deadlines and repeat rules; replaced by a reload, applied to tickets raised after it.
    public var policy: StorePolicy {
        get { currentPolicy.withLock { $0 } }
        set { currentPolicy.withLock { $0 = newValue } }
    }
    let writer: DatabasePool
    /// Told of every ticket raised or merged into and of every ticket that stops taking
    /// alerts, so cameras can decide whether a repeat alert's picture is worth encoding.
    public let ledger: EvidenceLedger

    public init(directory: URL, policy: StorePolicy = StorePolicy(), ledger: EvidenceLedger = EvidenceLedger()) throws {
        self.directory = directory
        self.ledger = ledger
        currentPolicy = Mutex(policy)
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

    /// Make grids, people, cameras and zones from the configuration known to the database.
    /// Rows are inserted or updated, never deleted: old tickets keep pointing at them.
    public func syncTopology(grids: [GridRecord], cameras: [CameraRecord], zones: [ZoneRecord], tripwires: [TripwireRecord] = [], people: [PersonRecord] = []) throws {
        try writer.write { db in
            // Grids may name parents listed after them: check foreign keys at commit.
            try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
            for grid in grids { try grid.upsert(db) }
            for person in people { try person.upsert(db) }
            // People no longer in the configuration can no longer be dispatched to (tickets
            // keep the assignee's id as text).
            _ = try PersonRecord.filter(!people.map(\.id).contains(Column("id"))).deleteAll(db)
            for camera in cameras { try camera.upsert(db) }
            for zone in zones { try zone.upsert(db) }
            for line in tripwires { try line.upsert(db) }
        }
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

    // MARK: Backup

    /// A consistent copy of the database at `path`, made with SQLite's online backup from
    /// one read snapshot while tickets go on being written. Returns its size in bytes.
    @discardableResult
    public func backup(to path: String) throws -> Int64 {
        try? FileManager.default.removeItem(atPath: path)
        var configuration = Configuration()
        configuration.journalMode = .default
        let copy = try DatabaseQueue(path: path, configuration: configuration)
        try writer.backup(to: copy)
        try copy.close()
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        return size
    }

    // MARK: Liveness

    /// A trivial statement through the writer: returns unless the writer is stuck.
    public func probe() throws {
        _ = try writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    #if DEBUG
    /// Test hook, in debug builds only: hold the writer for ever, as a deadlock would.
    public func wedgeForTesting() {
        let writer = self.writer
        Thread.detachNewThread {
            writer.writeWithoutTransaction { _ in
                while true { sleep(3600) }
            }
        }
    }
    #endif

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

    // MARK: Alerts

    /// Raise a ticket from an alert, or, while a ticket of the same camera, rule and zone
    /// is still being handled, add the alert to it as another occurrence. Evidence first.
    /// Returns the ticket and whether it is new.
    public func openTicket(_ alert: Alert, at now: Date, actor: String = "gridwatchd") throws -> TicketRecord {
        try raise(alert, at: now, actor: actor).ticket
    }

    public func raise(_ alert: Alert, at now: Date, actor: String = "gridwatchd") throws -> (ticket: TicketRecord, created: Bool) {
        var snapshotPath: String?
        if let jpeg = alert.snapshotJPEG {
            snapshotPath = try writeEvidence(jpeg, at: now, kind: "snapshot", suffix: "jpg")
        }
        do {
            let result = try insertAlert(alert, snapshotPath: snapshotPath, at: now, actor: actor)
            if let id = result.ticket.id {
                ledger.written(MergeKey(alert), ticketID: id, created: result.created, withPicture: snapshotPath != nil)
            }
            return result
        } catch {
            // No row names the file: remove it now rather than at the next start (it takes
            // the space the disk is short of).
            if let snapshotPath { try? FileManager.default.removeItem(at: directory.appendingPathComponent(snapshotPath)) }
            throw error
        }
    }

    private func insertAlert(_ alert: Alert, snapshotPath: String?, at now: Date, actor: String) throws -> (ticket: TicketRecord, created: Bool) {
        let trajectory = alert.trajectory.isEmpty ? nil : String(decoding: try JSONEncoder().encode(alert.trajectory), as: UTF8.self)
        let policy = self.policy
        let deadline = policy.deadlines.deadline(category: alert.category, severity: alert.severity)
        return try writer.write { db in
            if var open = try Self.mergeRequest(alert).fetchOne(db) {
                var occurrence = OccurrenceRecord(
                    id: nil, ticketId: open.id!, at: alert.occurredAt, trackId: alert.trackID.map(Int64.init),
                    trajectory: trajectory, snapshotPath: snapshotPath, evidenceBytes: Int64(alert.snapshotJPEG?.count ?? 0))
                try occurrence.insert(db)
                open.occurrences += 1
                open.evidenceBytes += occurrence.evidenceBytes
                if open.snapshotPath == nil && !open.evidencePurged, let snapshotPath {
                    // Raised without a picture (closed and raised again between a camera's
                    // decision and this write): the first one that comes is the ticket's.
                    open.snapshotPath = snapshotPath
                }
                open.lastSeenAt = max(open.lastSeenAt ?? open.occurredAt, alert.occurredAt)
                open.updatedAt = max(open.updatedAt, now)
                try open.update(db)
                return (open, false)
            }
            var ticket = TicketRecord(
                id: nil, cameraId: alert.cameraID, zoneId: alert.zoneID, tripwireId: alert.tripwireID, kind: alert.kind,
                trackId: alert.trackID.map(Int64.init), trajectory: trajectory, gridId: alert.gridID,
                category: alert.category, severity: alert.severity, state: .new, title: alert.title,
                occurredAt: alert.occurredAt, createdAt: now, updatedAt: now, snapshotPath: snapshotPath)
            ticket.ackDueAt = now.addingTimeInterval(deadline.acknowledge)
            ticket.closeDueAt = now.addingTimeInterval(deadline.close)
            ticket.lastSeenAt = alert.occurredAt
            ticket.evidenceBytes = Int64(alert.snapshotJPEG?.count ?? 0)
            var note: String?
            if let earlier = try Self.repeated(alert, period: policy.repeatPeriod, at: now, db), let earlierID = earlier.id {
                ticket.repeatOf = earlierID
                note = "raised again after ticket \(earlierID) was handled: repeat ticket / 工单 \(earlierID) 处理后同一问题再次出现：重复工单"
            }
            try Self.insertNew(&ticket, actor: actor, note: note, at: now, db)
            return (ticket, true)
        }
    }

    /// The open ticket an alert of this camera, rule and zone merges into.
    private static func mergeRequest(_ alert: Alert) -> QueryInterfaceRequest<TicketRecord> {
        sameRule(alert)
            .filter(Workflow.mergeStates.map(\.rawValue).contains(Column("state")))
            .order(Column("id").desc)
    }

    /// Tickets of the alert's camera, kind and rule.
    private static func sameRule(_ alert: Alert) -> QueryInterfaceRequest<TicketRecord> {
        TicketRecord
            .filter(Column("camera_id") == alert.cameraID && Column("kind") == alert.kind)
            .filter(alert.zoneID.map { Column("zone_id") == $0 } ?? (Column("zone_id") == nil))
            .filter(alert.tripwireID.map { Column("tripwire_id") == $0 } ?? (Column("tripwire_id") == nil))
    }

    /// The ticket whose problem an alert raises again (重复工单): the newest of its camera and
    /// rule handled (resolved, verified or closed; not a false alarm) within the repeat period.
    private static func repeated(_ alert: Alert, period: Double, at now: Date, _ db: Database) throws -> TicketRecord? {
        try sameRule(alert)
            .filter(Workflow.handledStates.map(\.rawValue).contains(Column("state")))
            .filter(SQL(sql: "COALESCE(closed_at, resolved_at, updated_at) >= ?", arguments: [now.addingTimeInterval(-period).timeIntervalSince1970]))
            .order(Column("id").desc)
            .fetchOne(db)
    }

    /// Insert a new ticket and its `created` event, in the caller's transaction.
    private static func insertNew(_ ticket: inout TicketRecord, actor: String, note: String? = nil, at now: Date, _ db: Database) throws {
        try ticket.insert(db)
        try record(ticket.id!, kind: "created", actor: actor, from: nil, to: .new, note: note, at: now, db)
    }

    private static func record(_ ticketID: Int64, kind: String, actor: String, from: TicketState?, to: TicketState?, note: String?, at now: Date, _ db: Database) throws {
        var event = TicketEventRecord(id: nil, ticketId: ticketID, at: now, actor: actor, kind: kind, fromState: from, toState: to, note: note)
        try event.insert(db)
    }

    /// Add a daemon event (no state change) to a ticket's history and mark the ticket updated.
    private static func appendEvent(to ticket: inout TicketRecord, kind: String, note: String, at now: Date, _ db: Database) throws {
        try record(ticket.id!, kind: kind, actor: "gridwatchd", from: nil, to: nil, note: note, at: now, db)
        ticket.updatedAt = max(ticket.updatedAt, now)
        try ticket.update(db)
    }

    /// The newest open camera-offline ticket of a camera.
    private static func openOfflineRequest(_ cameraID: String) -> QueryInterfaceRequest<TicketRecord> {
        TicketRecord
            // Open tickets are never archived; saying so lets the camera index serve this.
            .filter(Column("archived") == 0 && Column("camera_id") == cameraID && Column("category") == TicketCategory.cameraOffline.rawValue)
            .filter(isOpen())
            .order(Column("id").desc)
    }

    /// Raise the camera-offline ticket, or, if one is still open (the camera went
    /// down again before anyone closed it), add an event to it instead.
    /// Returns the ticket and whether it is new.
    public func reportCameraOffline(cameraID: String, gridID: String, title: String, since: Date, reason: String? = nil, at now: Date) throws -> (TicketRecord, created: Bool) {
        let deadline = policy.deadlines.deadline(category: .cameraOffline, severity: .medium)
        return try writer.write { db in
            let open = try Self.openOfflineRequest(cameraID).fetchOne(db)
            if var ticket = open {
                ticket.occurrences += 1
                ticket.lastSeenAt = since
                let why = reason.map { " (\($0))" } ?? ""
                try Self.appendEvent(to: &ticket, kind: "offline_again", note: "offline again since \(since.formatted(.iso8601)) / 再次离线\(why)", at: now, db)
                return (ticket, false)
            }
            var ticket = TicketRecord(
                id: nil, cameraId: cameraID, zoneId: nil, tripwireId: nil, kind: "camera_offline", trackId: nil, trajectory: nil,
                gridId: gridID, category: .cameraOffline, severity: .medium,
                state: .new, title: title, occurredAt: since, createdAt: now, updatedAt: now, snapshotPath: nil)
            ticket.ackDueAt = now.addingTimeInterval(deadline.acknowledge)
            ticket.closeDueAt = now.addingTimeInterval(deadline.close)
            ticket.lastSeenAt = since
            try Self.insertNew(&ticket, actor: "gridwatchd", note: reason, at: now, db)
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

    // MARK: People's actions

    /// Apply a person's action to a ticket: checked against the workflow, recorded in its
    /// history with the actor, the states before and after, and the note.
    public func perform(_ action: TicketAction, ticketID: Int64, actor: String, note: String? = nil, assignee: String? = nil, at now: Date) throws -> TicketRecord {
        let policy = self.policy
        return try writer.write { db in
            guard var ticket = try TicketRecord.fetchOne(db, key: ticketID) else { throw TicketActionError.noSuchTicket(ticketID) }
            let facts = try Self.facts(for: action, ticket: ticket, assignee: assignee, policy: policy, at: now, db)
            let change: WorkflowChange
            do throws(WorkflowError) {
                change = try Workflow.apply(action, to: ticket.flow, by: actor, note: note, assignee: assignee, facts: facts, at: now)
            } catch {
                if case let .unknownAssignee(who, grid) = error { throw TicketActionError.unknownAssignee(who, grid: grid) }
                throw TicketActionError.workflow(error)
            }
            try Self.persist(change, to: &ticket, at: now, db)
            if !Workflow.mergeStates.contains(ticket.state) { ledger.closed(ticketID: ticketID) }
            return ticket
        }
    }

    /// What `action` needs to know beyond the ticket: the assignee among the grid's people,
    /// the parent grid, the earlier reopenings.
    private static func facts(for action: TicketAction, ticket: TicketRecord, assignee: String?, policy: StorePolicy, at now: Date, _ db: Database) throws -> WorkflowFacts {
        var facts = WorkflowFacts(policy: policy)
        switch action {
        case .dispatch:
            if let who = assignee?.trimmingCharacters(in: .whitespaces).nilIfEmpty,
               let person = try PersonRecord.filter(Column("grid_id") == ticket.gridId && Column("id") == who).fetchOne(db) {
                facts.assignee = .init(id: person.id, name: person.name)
            }
        case .escalate:
            if let parent = try GridRecord.fetchOne(db, key: ticket.gridId)?.parentId {
                facts.parentGrid = .init(id: parent, name: try GridRecord.fetchOne(db, key: parent)?.name ?? parent)
            }
        case .reopen:
            facts.earlierReopens = try TicketEventRecord
                .filter(Column("ticket_id") == ticket.id! && Column("kind") == TicketAction.reopen.rawValue)
                .filter(Column("at") >= now.addingTimeInterval(-policy.repeatPeriod).timeIntervalSince1970)
                .fetchCount(db)
        default:
            break
        }
        return facts
    }

    /// Write what the workflow decided: the ticket's row and its history lines, in the
    /// caller's transaction.
    private static func persist(_ change: WorkflowChange, to ticket: inout TicketRecord, at now: Date, _ db: Database) throws {
        ticket.flow = change.ticket
        try ticket.update(db)
        for e in change.events {
            try record(ticket.id!, kind: e.kind, actor: e.actor, from: e.from, to: e.to, note: e.note, at: now, db)
        }
    }

    /// Add a note to a ticket's history without changing its state.
    public func addNote(ticketID: Int64, actor: String, note: String, at now: Date) throws -> TicketRecord {
        guard let text = note.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty else { throw TicketActionError.emptyNote }
        return try writer.write { db in
            guard var ticket = try TicketRecord.fetchOne(db, key: ticketID) else { throw TicketActionError.noSuchTicket(ticketID) }
            try Self.record(ticketID, kind: "note", actor: actor, from: nil, to: nil, note: text, at: now, db)
            ticket.updatedAt = max(ticket.updatedAt, now)
            try ticket.update(db)
            return ticket
        }
    }

    // MARK: Supervision

    /// Mark every open ticket past a deadline at `now` overdue, raise its severity one step
    /// and record an escalation event. Works from stored times only, so it catches up after
    /// a restart. Returns the tickets escalated.
    @discardableResult
    public func escalateOverdue(at now: Date) throws -> [TicketRecord] {
        let t = now.timeIntervalSince1970
        return try writer.write { db in
            // Each half matches its partial index's condition word for word.
            let candidates = try TicketRecord.fetchAll(db, sql: """
                SELECT * FROM tickets WHERE id IN (
                    SELECT id FROM tickets INDEXED BY tickets_ack_watch
                    WHERE acknowledged_at IS NULL AND overdue & 1 = 0 AND state NOT IN \(TicketSQL.finished) AND ack_due_at < ?
                    UNION
                    SELECT id FROM tickets INDEXED BY tickets_close_watch
                    WHERE overdue & 2 = 0 AND state NOT IN \(TicketSQL.finished) AND close_due_at < ?)
                ORDER BY id
                """, arguments: [t, t])
            var escalated: [TicketRecord] = []
            for var ticket in candidates {
                guard let change = Supervision.escalate(ticket.flow, at: now) else { continue }
                try Self.persist(change, to: &ticket, at: now, db)
                escalated.append(ticket)
            }
            return escalated
        }
    }

    // MARK: Retention

    /// Delete the evidence of finished tickets created before `olderThan`, then of the oldest
    /// finished tickets until all evidence fits in `maxBytes`. Open tickets keep theirs. Rows
    /// and history stay, marked "evidence purged". The rows change first, then the files go:
    /// a crash in between leaves orphan files, which `removeOrphanEvidence` deletes.
    /// Returns how many tickets lost their evidence.
    @discardableResult
    public func purgeEvidence(olderThan: Date, maxBytes: Int64, at now: Date) throws -> Int {
        var purged = 0
        purged += try purgeBatch(at: now, note: "evidence older than the retention period deleted / 证据超过保存期限已删除") { db in
            try TicketRecord.fetchAll(db, sql: """
                SELECT * FROM tickets WHERE evidence_purged = 0 AND evidence_bytes > 0 AND created_at < ?
                  AND state IN \(TicketSQL.finished) ORDER BY created_at LIMIT 500
                """, arguments: [olderThan.timeIntervalSince1970])
        }
        while true {
            let total = try writer.read { db in
                // The partial index's own condition: only tickets still holding evidence are read.
                try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(evidence_bytes), 0) FROM tickets WHERE evidence_purged = 0 AND evidence_bytes > 0") ?? 0
            }
            if total <= maxBytes { break }
            let n = try purgeBatch(at: now, note: "evidence deleted to stay within the disk budget / 超出存储预算，证据已删除") { db in
                try TicketRecord.fetchAll(db, sql: """
                    SELECT * FROM tickets WHERE evidence_purged = 0 AND evidence_bytes > 0
                      AND state IN \(TicketSQL.finished) ORDER BY created_at LIMIT 50
                    """)
            }
            if n == 0 { break } // what is left belongs to open tickets
            purged += n
        }
        return purged
    }

    private func purgeBatch(at now: Date, note: String, select: (Database) throws -> [TicketRecord]) throws -> Int {
        var count = 0
        while true {
            let files: [String] = try writer.write { db in
                var files: [String] = []
                for var ticket in try select(db) {
                    let occurrences = try OccurrenceRecord.filter(Column("ticket_id") == ticket.id!).fetchAll(db)
                    files += [ticket.snapshotPath].compactMap { $0 } + occurrences.compactMap(\.snapshotPath)
                    try db.execute(sql: "UPDATE ticket_occurrences SET snapshot_path = NULL WHERE ticket_id = ?", arguments: [ticket.id!])
                    ticket.snapshotPath = nil
                    ticket.evidencePurged = true
                    try Self.appendEvent(to: &ticket, kind: "evidence_purged", note: note, at: now, db)
                    count += 1
                }
                return files
            }
            if files.isEmpty { return count }
            for file in files { try? FileManager.default.removeItem(at: directory.appendingPathComponent(file)) }
        }
    }

    /// Archive finished tickets closed before `before`: kept with their history, left out
    /// of default lists. Returns how many.
    @discardableResult
    public func archiveClosed(before: Date, at now: Date) throws -> Int {
        try writer.write { db in
            let ids = try Int64.fetchAll(db, sql: """
                SELECT id FROM tickets WHERE archived = 0 AND state IN \(TicketSQL.finished) AND closed_at < ?
                """, arguments: [before.timeIntervalSince1970])
            for id in ids {
                try db.execute(sql: "UPDATE tickets SET archived = 1, updated_at = MAX(updated_at, ?) WHERE id = ?", arguments: [now.timeIntervalSince1970, id])
                try Self.record(id, kind: "archived", actor: "gridwatchd", from: nil, to: nil, note: "archived / 已归档", at: now, db)
            }
            return ids.count
        }
    }

    /// Delete evidence files no row names (left by a crash between file and row, or by a
    /// purge) and unfinished temporary files. Returns how many were removed.
    @discardableResult
    public func removeOrphanEvidence() throws -> Int {
        let known: Set<String> = try writer.read { db in
            Set(try String.fetchAll(db, sql: """
                SELECT snapshot_path FROM tickets WHERE snapshot_path IS NOT NULL
                UNION ALL SELECT snapshot_path FROM ticket_occurrences WHERE snapshot_path IS NOT NULL
                """))
        }
        let root = directory.appendingPathComponent("snapshots")
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return 0 }
        var removed = 0
        let prefix = directory.standardizedFileURL.path + "/"
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let path = url.standardizedFileURL.path
            let relative = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
            if !known.contains(relative) {
                try? FileManager.default.removeItem(at: url)
                removed += 1
            }
        }
        return removed
    }

    // MARK: Evidence

    /// Write an evidence file durably; returns its path relative to the data directory.
    /// Written to a temporary name, flushed, then renamed: a failed write (a full disk)
    /// removes the temporary file, so nothing half-written or empty is left behind.
    private func writeEvidence(_ bytes: [UInt8], at now: Date, kind: String, suffix: String) throws -> String {
        let day = Self.dayFormatter.string(from: now)
        let relative = "snapshots/\(day)/\(kind)-\(UUID().uuidString.lowercased()).\(suffix)"
        let url = directory.appendingPathComponent(relative)
        let tmp = url.path + ".tmp"
        func failure(_ code: Int32, _ what: String) -> StoreError {
            code == ENOSPC || code == EDQUOT ? .noSpace(relative) : .cannotWriteEvidence(relative, "\(what): \(String(cString: strerror(code)))")
        }
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw DiskFull.matches(error) ? StoreError.noSpace(relative) : StoreError.cannotWriteEvidence(relative, "\(error.localizedDescription)")
        }
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(errno, "create") }
        var written = 0
        var code: Int32 = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                code = n < 0 ? errno : ENOSPC
                break
            }
            written += n
        }
        if code == 0 && fsync(fd) != 0 { code = errno }
        if close(fd) != 0 && code == 0 { code = errno }
        if code == 0 && rename(tmp, url.path) != 0 { code = errno }
        if code != 0 {
            unlink(tmp)
            throw failure(code, "write")
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

    /// Tickets neither closed nor false alarms (see `Workflow.isOpen`).
    static func isOpen() -> SQLExpression {
        !TicketState.allCases.filter { !Workflow.isOpen($0) }.map(\.rawValue).contains(Column("state"))
    }

    func request(for query: TicketQuery) -> QueryInterfaceRequest<TicketRecord> {
        var request = TicketRecord.all()
        if !query.includeArchived { request = request.filter(Column("archived") == 0) }
        if let state = query.state { request = request.filter(Column("state") == state.rawValue) }
        if query.openOnly { request = request.filter(Self.isOpen()) }
        if let camera = query.cameraID { request = request.filter(Column("camera_id") == camera) }
        if let zone = query.zoneID { request = request.filter(Column("zone_id") == zone) }
        if let grid = query.gridID { request = request.filter(Column("grid_id") == grid) }
        if let category = query.category { request = request.filter(Column("category") == category.rawValue) }
        if let visible = query.visibleCategories, visible.count < TicketCategory.allCases.count {
            request = request.filter(visible.map(\.rawValue).sorted().contains(Column("category")))
        }
        if query.overdueOnly { request = request.filter(Column("overdue") != 0) }
        if query.repeatProblemOnly { request = request.filter(Column("repeat_problem") == 1) }
        if let since = query.since { request = request.filter(Column("occurred_at") >= since.timeIntervalSince1970) }
        if let until = query.until { request = request.filter(Column("occurred_at") < until.timeIntervalSince1970) }
        if let text = query.text?.nilIfEmpty { request = request.filter(Column("title").like("%\(text)%")) }
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

    /// Every ticket matching `query` (its page ignored), newest first, at most `limit`,
    /// read with one cursor rather than page by page.
    public func eachTicket(matching query: TicketQuery, limit: Int, _ body: (TicketRecord) throws -> Void) throws {
        try writer.read { db in
            let cursor = try request(for: query).order(Column("occurred_at").desc, Column("id").desc).limit(limit).fetchCursor(db)
            while let ticket = try cursor.next() { try body(ticket) }
        }
    }

    /// How many tickets match `query`, ignoring its page.
    public func ticketCount(matching query: TicketQuery = TicketQuery()) throws -> Int {
        try writer.read { db in try request(for: query).fetchCount(db) }
    }

    /// SQLite's plan for listing `query` (for the benchmark and the docs).
    public func queryPlan(for query: TicketQuery) throws -> [String] {
        try writer.read { db in
            let statement = try request(for: query)
                .order(Column("occurred_at").desc, Column("id").desc)
                .limit(max(0, query.limit), offset: max(0, query.offset))
                .makePreparedRequest(db).statement
            return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + statement.sql, arguments: statement.arguments)
                .map { $0["detail"] as String? ?? "" }
        }
    }

    public func ticket(id: Int64) throws -> TicketRecord? {
        try writer.read { db in try TicketRecord.fetchOne(db, key: id) }
    }

    public func events(ticketID: Int64) throws -> [TicketEventRecord] {
        try writer.read { db in
            try TicketEventRecord.filter(Column("ticket_id") == ticketID).order(Column("id")).fetchAll(db)
        }
    }

    public func occurrences(ticketID: Int64) throws -> [OccurrenceRecord] {
        try writer.read { db in
            try OccurrenceRecord.filter(Column("ticket_id") == ticketID).order(Column("id")).fetchAll(db)
        }
    }

    public func people(gridID: String? = nil) throws -> [PersonRecord] {
        try writer.read { db in
            var request = PersonRecord.all()
            if let gridID { request = request.filter(Column("grid_id") == gridID) }
            return try request.order(Column("grid_id"), Column("role"), Column("id")).fetchAll(db)
        }
    }

    /// Absolute location of a ticket's snapshot, if it has one.
    public func snapshotURL(of ticket: TicketRecord) -> URL? {
        ticket.snapshotPath.map { directory.appendingPathComponent($0) }
    }

    public func evidenceURL(_ relative: String) -> URL {
        directory.appendingPathComponent(relative)
    }

    /// `PRAGMA integrity_check`'s verdict ("ok" when healthy).
    public func integrityCheck() throws -> String {
        try writer.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no answer" }
    }

    public func journalMode() throws -> String {
        try writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

// MARK: Statistics

extension TicketStore {
    /// The towns' figures for tickets that occurred in `since..<until`, grouped by `grouping`
    /// (local time for hour, day, week and month).
    public func statistics(since: Date, until: Date, grouping: StatsGrouping, visibleCategories: Set<TicketCategory>? = nil) throws -> (groups: [TicketStats], total: TicketStats) {
        // The same filter as lists (period, visibility), archived tickets included: they count.
        var query = TicketQuery()
        query.since = since
        query.until = until
        query.visibleCategories = visibleCategories
        query.includeArchived = true
        let key: String = switch grouping {
        case .grid: "grid_id"
        case .camera: "camera_id"
        case .category: "category"
        case .rule: "camera_id || '/' || COALESCE(zone_id, tripwire_id, '-') || '/' || kind"
        case .hour: "strftime('%H', occurred_at, 'unixepoch', 'localtime')"
        case .day: "strftime('%Y-%m-%d', occurred_at, 'unixepoch', 'localtime')"
        case .week: "strftime('%Y-W%W', occurred_at, 'unixepoch', 'localtime')"
        case .month: "strftime('%Y-%m', occurred_at, 'unixepoch', 'localtime')"
        }
        let facts = try writer.read { db in
            try request(for: query)
                .select(SQL(sql: """
                    \(key) AS key, state, created_at, acknowledged_at, ack_due_at, closed_at, close_due_at,
                    occurrences, repeat_problem, overdue, reopen_count, repeat_of
                    """), as: Row.self)
                .fetchAll(db).map { row in
                TicketFacts(
                    key: row["key"] ?? "-", state: TicketState(rawValue: row["state"]) ?? .new,
                    createdAt: row["created_at"], acknowledgedAt: row["acknowledged_at"], ackDueAt: row["ack_due_at"],
                    closedAt: row["closed_at"], closeDueAt: row["close_due_at"], occurrences: row["occurrences"],
                    repeatProblem: row["repeat_problem"], overdue: row["overdue"], reopenCount: row["reopen_count"], repeatOf: row["repeat_of"])
            }
        }
        return StatisticsMath.summarise(facts, grouping: grouping)
    }
}
