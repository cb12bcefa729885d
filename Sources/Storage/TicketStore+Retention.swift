import Catalog
import Foundation
import GRDB
import Tickets

extension TicketStore {
    // MARK: Retention

    /// Delete the evidence of finished tickets created before `olderThan`, then of the oldest
    /// finished tickets until all evidence fits in `maxBytes`. Open tickets keep theirs. Rows
    /// and history stay, marked "evidence purged". The rows change first, then the files go:
    /// a crash in between leaves orphan files, which `removeOrphanEvidence` deletes.
    /// Returns how many tickets lost their evidence.
    @discardableResult
    public func purgeEvidence(olderThan: Date, maxBytes: Int64, at now: Date) throws -> Int {
        var purged = 0
        purged += try purgeBatch(at: now, text: .evidenceExpired) { db in
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
            let n = try purgeBatch(at: now, text: .evidenceOverBudget) { db in
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

    func purgeBatch(at now: Date, text: TicketText, select: (StoreDB) throws -> [TicketRecord]) throws -> Int {
        var count = 0
        while true {
            let files: [String] = try writer.write { db in
                var files: [String] = []
                for var ticket in try select(db) {
                    let occurrences = try OccurrenceRecord.filter(Column("ticket_id") == ticket.id!).fetchAll(db)
                    files += [ticket.snapshotPath, ticket.clipPath].compactMap { $0 }
                        + occurrences.compactMap(\.snapshotPath) + occurrences.compactMap(\.clipPath)
                    try db.execute(sql: "UPDATE ticket_occurrences SET snapshot_path = NULL, clip_path = NULL WHERE ticket_id = ?", arguments: [ticket.id!])
                    ticket.snapshotPath = nil
                    ticket.clipPath = nil
                    ticket.evidencePurged = true
                    try self.appendEvent(to: &ticket, kind: "evidence_purged", text: text, at: now, db)
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
                try db.execute(sql: "UPDATE tickets SET archived = 1, updated_at = \(db.dialect.greatest("updated_at", "?")) WHERE id = ?", arguments: [now.timeIntervalSince1970, id])
                try self.record(id, kind: "archived", actor: "gridwatchd", from: nil, to: nil, note: nil, text: .archived, at: now, db)
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
                UNION ALL SELECT clip_path FROM tickets WHERE clip_path IS NOT NULL
                UNION ALL SELECT clip_path FROM ticket_occurrences WHERE clip_path IS NOT NULL
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
}
