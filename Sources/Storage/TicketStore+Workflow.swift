import Foundation
import GRDB
import Tickets

extension TicketStore {
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
            try self.persist(change, to: &ticket, at: now, db)
            if !Workflow.mergeStates.contains(ticket.state) { ledger.closed(ticketID: ticketID) }
            return ticket
        }
    }

    /// What `action` needs to know beyond the ticket: the assignee among the grid's people,
    /// the parent grid, the earlier reopenings.
    static func facts(for action: TicketAction, ticket: TicketRecord, assignee: String?, policy: StorePolicy, at now: Date, _ db: StoreDB) throws -> WorkflowFacts {
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
    func persist(_ change: WorkflowChange, to ticket: inout TicketRecord, at now: Date, _ db: StoreDB) throws {
        ticket.flow = change.ticket
        try ticket.update(db)
        for e in change.events {
            try self.record(ticket.id!, kind: e.kind, actor: e.actor, from: e.from, to: e.to, note: e.note, text: e.text, ticket: ticket, at: now, db)
        }
    }

    /// Add a note to a ticket's history without changing its state.
    public func addNote(ticketID: Int64, actor: String, note: String, at now: Date) throws -> TicketRecord {
        guard let text = note.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty else { throw TicketActionError.emptyNote }
        return try writer.write { db in
            guard var ticket = try TicketRecord.fetchOne(db, key: ticketID) else { throw TicketActionError.noSuchTicket(ticketID) }
            ticket.updatedAt = max(ticket.updatedAt, now)
            try ticket.update(db)
            try self.record(ticketID, kind: "note", actor: actor, from: nil, to: nil, note: text, ticket: ticket, at: now, db)
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
                    SELECT id FROM tickets \(db.dialect.indexedBy("tickets_ack_watch"))
                    WHERE acknowledged_at IS NULL AND overdue & 1 = 0 AND state NOT IN \(TicketSQL.finished) AND ack_due_at < ?
                    UNION
                    SELECT id FROM tickets \(db.dialect.indexedBy("tickets_close_watch"))
                    WHERE overdue & 2 = 0 AND state NOT IN \(TicketSQL.finished) AND close_due_at < ?)
                ORDER BY id
                """, arguments: [t, t])
            var escalated: [TicketRecord] = []
            for var ticket in candidates {
                guard let change = Supervision.escalate(ticket.flow, at: now) else { continue }
                try self.persist(change, to: &ticket, at: now, db)
                escalated.append(ticket)
            }
            return escalated
        }
    }
}
