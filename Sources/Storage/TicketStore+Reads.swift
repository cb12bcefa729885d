import Foundation
import GRDB
import Tickets

extension TicketStore {
    // MARK: Reads

    /// Tickets neither closed nor false alarms (see `Workflow.isOpen`).
    static func isOpen() -> SQLExpression {
        !TicketState.allCases.filter { !Workflow.isOpen($0) }.map(\.rawValue).contains(Column("state"))
    }

    /// `column IN (values)`; with no values, false (an empty list is not SQL both engines take).
    static func among(_ values: [String], _ column: String) -> SQLExpression {
        values.isEmpty ? SQL(sql: "1 = 0").sqlExpression : values.sorted().contains(Column(column))
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
            request = request.filter(Self.among(visible.map(\.rawValue), "category"))
        }
        if let grids = query.visibleGrids { request = request.filter(Self.among(Array(grids), "grid_id")) }
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
            let ordered = request(for: query).order(Column("occurred_at").desc, Column("id").desc)
            switch db.backend {
            case let .sqlite(sqlite):
                let cursor = try ordered.limit(limit).fetchCursor(sqlite)
                while let ticket = try cursor.next() { try body(ticket) }
            case .postgres:
                // Pages of one snapshot (the read is one repeatable-read transaction).
                var offset = 0
                while offset < limit {
                    let page = try ordered.limit(min(1000, limit - offset), offset: offset).fetchAll(db)
                    for ticket in page { try body(ticket) }
                    if page.count < 1000 { break }
                    offset += page.count
                }
            }
        }
    }

    /// How many tickets match `query`, ignoring its page.
    public func ticketCount(matching query: TicketQuery = TicketQuery()) throws -> Int {
        try writer.read { db in try request(for: query).fetchCount(db) }
    }

    /// SQLite's plan for listing `query` (for the benchmark and the docs).
    public func queryPlan(for query: TicketQuery) throws -> [String] {
        try writer.read { db in
            guard case let .sqlite(db) = db.backend else { return ["(PostgreSQL: use EXPLAIN in psql)"] }
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
        try writer.read { db in
            db.dialect == .sqlite ? try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no answer" : "ok"
        }
    }

    public func journalMode() throws -> String {
        try writer.read { db in db.dialect == .sqlite ? try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" : "postgresql" }
    }
}
