import Catalog
import Foundation
import GRDB
import Notify
import Tickets

extension TicketStore {
    // MARK: Alerts

    /// Raise a ticket from an alert, or, while a ticket of the same camera, rule and zone
    /// is still being handled, add the alert to it as another occurrence. Evidence first.
    /// Returns the ticket and whether it is new.
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

    func insertAlert(_ alert: Alert, snapshotPath: String?, at now: Date, actor: String) throws -> (ticket: TicketRecord, created: Bool) {
        let trajectory = alert.trajectory.isEmpty ? nil : String(decoding: try JSONEncoder().encode(alert.trajectory), as: UTF8.self)
        let policy = self.policy
        let deadline = policy.deadlines.deadline(category: alert.category, severity: alert.severity)
        return try writer.write { db in
            // Raised after its lease's guaranteed time (the database away): written only if
            // no other node has been granted the camera since.
            if let stamp = alert.lease, !stamp.confirmed, db.dialect == .postgres {
                try db.execute(sql: "SELECT cluster_check_stamp('camera', ?, ?, ?)", arguments: [alert.cameraID, stamp.node, stamp.epoch])
            }
            if var open = try Self.mergeRequest(alert).fetchOne(db) {
                var occurrence = OccurrenceRecord(
                    id: nil, ticketId: open.id!, at: alert.occurredAt, trackId: alert.trackID.map(Int64.init),
                    trajectory: trajectory, snapshotPath: snapshotPath, evidenceBytes: Int64(alert.snapshotJPEG?.count ?? 0))
                (occurrence.nodeId, occurrence.leaseEpoch) = (alert.lease?.node, alert.lease?.epoch)
                if let clip = alert.clipName {
                    // Within the ticket's clips: its own and its occurrences'.
                    let clips = (open.clipName != nil ? 1 : 0) + (try Int.fetchOne(db, sql: """
                        SELECT COUNT(*) FROM ticket_occurrences WHERE ticket_id = ? AND clip_name IS NOT NULL
                        """, arguments: [open.id!]) ?? 0)
                    if clips < policy.clipsPerTicket { occurrence.clipName = clip }
                }
                try occurrence.insert(db)
                open.occurrences += 1
                open.evidenceBytes += occurrence.evidenceBytes
                if open.snapshotPath == nil, let snapshotPath {
                    // Raised without a picture (closed and raised again between a camera's
                    // decision and this write), or reopened after retention took its evidence:
                    // the first one that comes is the ticket's, and retention counts it again.
                    open.snapshotPath = snapshotPath
                    open.evidencePurged = false
                }
                open.lastSeenAt = max(open.lastSeenAt ?? open.occurredAt, alert.occurredAt)
                open.updatedAt = max(open.updatedAt, now)
                try open.update(db)
                try self.enqueueNotification(open.id!, type: .occurred, historyKind: "occurrence", actor: actor, from: nil, to: nil,
                                             note: nil, noteText: nil, ticket: open, at: now, db)
                return (open, false)
            }
            var ticket = TicketRecord(
                id: nil, cameraId: alert.cameraID, zoneId: alert.zoneID, tripwireId: alert.tripwireID, kind: alert.kind,
                trackId: alert.trackID.map(Int64.init), trajectory: trajectory, gridId: alert.gridID,
                category: alert.category, severity: alert.severity, state: .new, title: alert.title,
                occurredAt: alert.occurredAt, createdAt: now, updatedAt: now, snapshotPath: snapshotPath)
            ticket.titleText = TicketRecord.encode(alert.titleText)
            ticket.clipName = alert.clipName
            (ticket.nodeId, ticket.leaseEpoch) = (alert.lease?.node, alert.lease?.epoch)
            ticket.ackDueAt = now.addingTimeInterval(deadline.acknowledge)
            ticket.closeDueAt = now.addingTimeInterval(deadline.close)
            ticket.lastSeenAt = alert.occurredAt
            ticket.evidenceBytes = Int64(alert.snapshotJPEG?.count ?? 0)
            var said: TicketText?
            // A hazard ticket is one person's: another person at the same water is not the
            // problem raised again.
            if MergeKey(alert).trackID == nil, let earlier = try Self.repeated(alert, period: policy.repeatPeriod, at: now, db), let earlierID = earlier.id {
                ticket.repeatOf = earlierID
                said = .repeatOf(ticket: earlierID)
            }
            try self.insertNew(&ticket, actor: actor, text: said, at: now, db)
            return (ticket, true)
        }
    }

    /// A clip the camera finished writing (`Alert.clipName`): the ticket or occurrence that
    /// named it now points at the file, its history says so, and retention counts its bytes.
    /// Nil when no row waits for it (over the ticket's clips, or its alert never written):
    /// the file is deleted.
    public func attachClip(name: String, path: String, seconds: Double, bytes: Int, eventOffset: Double, end: ClipEnd,
                           at now: Date) throws -> TicketRecord? {
        let ticket = try attachClipRow(name: name, path: path, seconds: seconds, bytes: bytes, eventOffset: eventOffset, end: end, at: now)
        if ticket == nil { try? FileManager.default.removeItem(at: directory.appendingPathComponent(path)) }
        return ticket
    }

    private func attachClipRow(name: String, path: String, seconds: Double, bytes: Int, eventOffset: Double, end: ClipEnd,
                               at now: Date) throws -> TicketRecord? {
        try writer.write { db in
            let text = TicketText.clipKept(seconds: Int(seconds.rounded()), end: end.rawValue)
            // The same five columns on a ticket and on an occurrence.
            func fill(_ clipPath: inout String?, _ clipSeconds: inout Double?, _ clipBytes: inout Int64, _ clipOffset: inout Double?, _ clipEnd: inout String?) {
                (clipPath, clipSeconds, clipBytes, clipOffset, clipEnd) = (path, seconds, Int64(bytes), eventOffset, end.rawValue)
            }
            if var ticket = try TicketRecord.filter(Column("clip_name") == name && Column("clip_path") == nil).fetchOne(db) {
                fill(&ticket.clipPath, &ticket.clipSeconds, &ticket.clipBytes, &ticket.clipEventOffset, &ticket.clipEnd)
                ticket.evidenceBytes += Int64(bytes)
                ticket.evidencePurged = false
                try self.appendEvent(to: &ticket, kind: "clip", text: text, at: now, db)
                return ticket
            }
            guard var occurrence = try OccurrenceRecord.filter(Column("clip_name") == name && Column("clip_path") == nil).fetchOne(db),
                  var ticket = try TicketRecord.fetchOne(db, key: occurrence.ticketId) else { return nil }
            fill(&occurrence.clipPath, &occurrence.clipSeconds, &occurrence.clipBytes, &occurrence.clipEventOffset, &occurrence.clipEnd)
            occurrence.evidenceBytes += Int64(bytes)
            try occurrence.update(db)
            ticket.evidenceBytes += Int64(bytes)
            ticket.evidencePurged = false
            try self.appendEvent(to: &ticket, kind: "clip", text: text, at: now, db)
            return ticket
        }
    }

    /// The ticket whose row (its own or an occurrence's) names clip `name`; nil if none.
    public func ticketID(clipName name: String) throws -> Int64? {
        try writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT id FROM tickets WHERE clip_name = ? AND clip_path IS NULL", arguments: [name])
                ?? Int64.fetchOne(db, sql: "SELECT ticket_id FROM ticket_occurrences WHERE clip_name = ? AND clip_path IS NULL", arguments: [name])
        }
    }

    /// Where a clip goes: `snapshots/<day>/<name>` under the data folder, beside the pictures
    /// (retention and the orphan sweep treat both alike).
    public static func clipPath(name: String, at time: Date) -> String {
        "snapshots/\(dayFolder(time))/\(name)"
    }

    /// The day folder of evidence written at `time`: `2026/12/03`, in UTC (a day's folder
    /// does not move when the zone or daylight saving does).
    static func dayFolder(_ time: Date) -> String {
        LocalTime.format(time, "%Y/%m/%d", utc: true)
    }

    /// The open ticket an alert of this camera, rule and zone merges into.
    /// Hazard alerts merge only with their own track's ticket (`MergeKey.trackID`), seen in the
    /// last 5 minutes: track ids start again at 1 when a camera reconnects or the daemon
    /// restarts, and a new person's track 1 is not the old one's.
    static func mergeRequest(_ alert: Alert) -> QueryInterfaceRequest<TicketRecord> {
        var request = sameRule(alert).filter(Workflow.mergeStates.map(\.rawValue).contains(Column("state")))
        if let track = MergeKey(alert).trackID {
            request = request.filter(Column("track_id") == Int64(track))
                .filter(SQL(sql: "COALESCE(last_seen_at, occurred_at) >= ?", arguments: [alert.occurredAt.addingTimeInterval(-300).timeIntervalSince1970]))
        }
        return request.order(Column("id").desc)
    }

    /// Tickets of the alert's camera, kind and rule.
    static func sameRule(_ alert: Alert) -> QueryInterfaceRequest<TicketRecord> {
        TicketRecord
            .filter(Column("camera_id") == alert.cameraID && Column("kind") == alert.kind)
            .filter(alert.zoneID.map { Column("zone_id") == $0 } ?? (Column("zone_id") == nil))
            .filter(alert.tripwireID.map { Column("tripwire_id") == $0 } ?? (Column("tripwire_id") == nil))
    }

    /// The ticket whose problem an alert raises again (重复工单): the newest of its camera and
    /// rule handled (resolved, verified or closed; not a false alarm) within the repeat period.
    static func repeated(_ alert: Alert, period: Double, at now: Date, _ db: StoreDB) throws -> TicketRecord? {
        try sameRule(alert)
            .filter(Workflow.handledStates.map(\.rawValue).contains(Column("state")))
            .filter(SQL(sql: "COALESCE(closed_at, resolved_at, updated_at) >= ?", arguments: [now.addingTimeInterval(-period).timeIntervalSince1970]))
            .order(Column("id").desc)
            .fetchOne(db)
    }

    /// Insert a new ticket and its `created` event, in the caller's transaction.
    func insertNew(_ ticket: inout TicketRecord, actor: String, text: TicketText? = nil, at now: Date, _ db: StoreDB) throws {
        try ticket.insert(db)
        try self.record(ticket.id!, kind: "created", actor: actor, from: nil, to: .new, note: nil, text: text, ticket: ticket, at: now, db)
    }

    /// A history line: `note` is what a person wrote, `text` what the daemon says.
    /// `ticket`: the row as written, when the caller has it (saves reading it back for the outbox).
    func record(_ ticketID: Int64, kind: String, actor: String, from: TicketState?, to: TicketState?, note: String?, text: TicketText? = nil,
                ticket: TicketRecord? = nil, at now: Date, _ db: StoreDB) throws {
        var event = TicketEventRecord(id: nil, ticketId: ticketID, at: now, actor: actor, kind: kind, fromState: from, toState: to, note: note,
                                      noteText: TicketRecord.encode(text))
        try event.insert(db)
        try self.enqueueNotification(ticketID, type: NotifyEventType.forHistory(kind: kind), historyKind: kind, actor: actor, from: from, to: to,
                                     note: note, noteText: event.noteText, ticket: ticket, at: now, db)
    }

    /// Add a daemon event (no state change) to a ticket's history and mark the ticket updated.
    /// The row first: the outbox takes the ticket as it is after the change.
    func appendEvent(to ticket: inout TicketRecord, kind: String, text: TicketText, at now: Date, _ db: StoreDB) throws {
        ticket.updatedAt = max(ticket.updatedAt, now)
        try ticket.update(db)
        try self.record(ticket.id!, kind: kind, actor: "gridwatchd", from: nil, to: nil, note: nil, text: text, ticket: ticket, at: now, db)
    }

    /// The newest open camera-offline ticket of a camera.
    static func openOfflineRequest(_ cameraID: String) -> QueryInterfaceRequest<TicketRecord> {
        TicketRecord
            // Open tickets are never archived; saying so lets the camera index serve this.
            .filter(Column("archived") == 0 && Column("camera_id") == cameraID && Column("category") == TicketCategory.cameraOffline.rawValue)
            .filter(isOpen())
            .order(Column("id").desc)
    }

    /// Raise the camera-offline ticket, or, if one is still open (the camera went
    /// down again before anyone closed it), add an event to it instead.
    /// Returns the ticket and whether it is new.
    public func reportCameraOffline(cameraID: String, gridID: String, title: TicketText, since: Date, fault: StreamText? = nil,
                                    at now: Date) throws -> (TicketRecord, created: Bool) {
        let deadline = policy.deadlines.deadline(category: .cameraOffline, severity: .medium)
        return try writer.write { db in
            let open = try Self.openOfflineRequest(cameraID).fetchOne(db)
            if var ticket = open {
                ticket.occurrences += 1
                ticket.lastSeenAt = since
                // In the daemon's zone (daemon.timezone), as people read it.
                let local = LocalTime.text(since)
                try self.appendEvent(to: &ticket, kind: "offline_again", text: .offlineAgain(since: local, fault: fault), at: now, db)
                return (ticket, false)
            }
            var ticket = TicketRecord(
                id: nil, cameraId: cameraID, zoneId: nil, tripwireId: nil, kind: "camera_offline", trackId: nil, trajectory: nil,
                gridId: gridID, category: .cameraOffline, severity: .medium,
                state: .new, title: title.text(.bilingual), occurredAt: since, createdAt: now, updatedAt: now, snapshotPath: nil)
            ticket.titleText = TicketRecord.encode(title)
            ticket.ackDueAt = now.addingTimeInterval(deadline.acknowledge)
            ticket.closeDueAt = now.addingTimeInterval(deadline.close)
            ticket.lastSeenAt = since
            try self.insertNew(&ticket, actor: "gridwatchd", text: fault.map(TicketText.streamFault), at: now, db)
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
            try self.appendEvent(to: &ticket, kind: "recovered", text: .recovered(seconds: seconds), at: now, db)
            return ticket
        }
    }

    /// Note on the camera's open tamper ticket of `kind` that its picture is normal again.
    /// Not closed: an operator checks the camera. Returns the ticket, if one was open.
    @discardableResult
    public func reportTamperCleared(cameraID: String, kind: String, at now: Date) throws -> TicketRecord? {
        try writer.write { db in
            guard var ticket = try TicketRecord
                .filter(Column("archived") == 0 && Column("camera_id") == cameraID && Column("kind") == kind)
                .filter(Column("category") == TicketCategory.cameraTamper.rawValue)
                .filter(Self.isOpen())
                .order(Column("id").desc)
                .fetchOne(db) else { return nil }
            try self.appendEvent(to: &ticket, kind: "cleared", text: .tamperCleared, at: now, db)
            return ticket
        }
    }

    // MARK: Evidence

    /// Write an evidence file durably; returns its path relative to the data directory.
    /// Written to a temporary name, flushed, then renamed: a failed write (a full disk)
    /// removes the temporary file, so nothing half-written or empty is left behind.
    func writeEvidence(_ bytes: [UInt8], at now: Date, kind: String, suffix: String) throws -> String {
        let relative = "snapshots/\(Self.dayFolder(now))/\(kind)-\(UUID().uuidString.lowercased()).\(suffix)"
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
}
