import GRDB
import Tickets

/// The schema, as numbered migrations. A migration that has shipped is never edited:
/// changes go into a new one.
enum Migrations {
    static func quoted<T: RawRepresentable>(_ values: [T]) -> String where T.RawValue == String {
        values.map { "'\($0.rawValue)'" }.joined(separator: ", ")
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE grids (
                    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) > 0),
                    name TEXT NOT NULL,
                    parent_id TEXT REFERENCES grids(id),
                    level TEXT NOT NULL CHECK (level IN ('village', 'town', 'county'))
                );
                CREATE TABLE cameras (
                    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) > 0),
                    name TEXT NOT NULL,
                    grid_id TEXT NOT NULL REFERENCES grids(id),
                    source_redacted TEXT NOT NULL
                );
                CREATE TABLE zones (
                    camera_id TEXT NOT NULL REFERENCES cameras(id),
                    id TEXT NOT NULL CHECK (length(id) > 0),
                    name TEXT NOT NULL,
                    grid_id TEXT REFERENCES grids(id),
                    polygon TEXT NOT NULL,
                    PRIMARY KEY (camera_id, id)
                );
                CREATE TABLE tripwires (
                    camera_id TEXT NOT NULL REFERENCES cameras(id),
                    id TEXT NOT NULL CHECK (length(id) > 0),
                    name TEXT NOT NULL,
                    grid_id TEXT REFERENCES grids(id),
                    line TEXT NOT NULL,
                    direction TEXT NOT NULL CHECK (direction IN ('a_to_b', 'b_to_a', 'both')),
                    PRIMARY KEY (camera_id, id)
                );
                CREATE TABLE tickets (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    camera_id TEXT NOT NULL REFERENCES cameras(id),
                    zone_id TEXT,
                    tripwire_id TEXT,
                    kind TEXT NOT NULL,
                    track_id INTEGER,
                    trajectory TEXT,
                    grid_id TEXT NOT NULL REFERENCES grids(id),
                    category TEXT NOT NULL CHECK (category IN (\(quoted(TicketCategory.allCases)))),
                    severity TEXT NOT NULL CHECK (severity IN (\(quoted(Severity.allCases)))),
                    state TEXT NOT NULL CHECK (state IN (\(quoted(TicketState.allCases)))),
                    title TEXT NOT NULL,
                    occurred_at REAL NOT NULL,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL CHECK (updated_at >= created_at),
                    snapshot_path TEXT,
                    FOREIGN KEY (camera_id, zone_id) REFERENCES zones(camera_id, id),
                    FOREIGN KEY (camera_id, tripwire_id) REFERENCES tripwires(camera_id, id),
                    CHECK (zone_id IS NULL OR tripwire_id IS NULL)
                );
                CREATE INDEX tickets_by_time ON tickets(occurred_at);
                CREATE INDEX tickets_by_state ON tickets(state, occurred_at);
                CREATE INDEX tickets_by_camera ON tickets(camera_id, occurred_at);
                CREATE INDEX tickets_by_grid ON tickets(grid_id, occurred_at);
                CREATE TABLE ticket_events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
                    at REAL NOT NULL,
                    actor TEXT NOT NULL CHECK (length(actor) > 0),
                    kind TEXT NOT NULL,
                    from_state TEXT,
                    to_state TEXT,
                    note TEXT
                );
                CREATE INDEX ticket_events_by_ticket ON ticket_events(ticket_id, id);
                -- The audit trail is append-only.
                CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
                    BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;
                CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
                    BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;
                """)
        }
        migrator.registerMigration("v2-closed-loop") { db in
            // Workflow, deadlines, escalation, repeat merging, retention. Times are Unix
            // seconds; flags are 0/1 and checked so no writer can store anything else.
            // v1 wrote times as UTC text ("2026-11-23 20:28:17.474"); from v2 on they are Unix
            // seconds, which deadlines and statistics compare and subtract.
            for (table, columns) in [("tickets", ["occurred_at", "created_at", "updated_at"]), ("ticket_events", ["at"])] {
                let assignments = columns.map { "\($0) = (julianday(\($0)) - 2440587.5) * 86400.0" }.joined(separator: ", ")
                let textual = columns.map { "typeof(\($0)) = 'text'" }.joined(separator: " OR ")
                try db.execute(sql: "DROP TRIGGER IF EXISTS ticket_events_no_update")
                try db.execute(sql: "UPDATE \(table) SET \(assignments) WHERE \(textual)")
            }
            try db.execute(sql: """
                CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
                    BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;
                ALTER TABLE tickets ADD COLUMN assignee TEXT;
                ALTER TABLE tickets ADD COLUMN acknowledged_at REAL;
                ALTER TABLE tickets ADD COLUMN resolved_at REAL;
                ALTER TABLE tickets ADD COLUMN closed_at REAL;
                ALTER TABLE tickets ADD COLUMN ack_due_at REAL;
                ALTER TABLE tickets ADD COLUMN close_due_at REAL;
                ALTER TABLE tickets ADD COLUMN overdue INTEGER NOT NULL DEFAULT 0 CHECK (overdue BETWEEN 0 AND 3);
                ALTER TABLE tickets ADD COLUMN escalations INTEGER NOT NULL DEFAULT 0 CHECK (escalations >= 0);
                ALTER TABLE tickets ADD COLUMN occurrences INTEGER NOT NULL DEFAULT 1 CHECK (occurrences >= 1);
                ALTER TABLE tickets ADD COLUMN last_seen_at REAL;
                ALTER TABLE tickets ADD COLUMN reopen_count INTEGER NOT NULL DEFAULT 0 CHECK (reopen_count >= 0);
                ALTER TABLE tickets ADD COLUMN repeat_problem INTEGER NOT NULL DEFAULT 0 CHECK (repeat_problem IN (0, 1));
                ALTER TABLE tickets ADD COLUMN evidence_purged INTEGER NOT NULL DEFAULT 0 CHECK (evidence_purged IN (0, 1));
                ALTER TABLE tickets ADD COLUMN archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1));
                ALTER TABLE tickets ADD COLUMN evidence_bytes INTEGER NOT NULL DEFAULT 0 CHECK (evidence_bytes >= 0);
                UPDATE tickets SET last_seen_at = occurred_at;
                -- Lists leave archived tickets out by default: every list index starts with
                -- `archived`, so both the page and its total count come from the index alone.
                DROP INDEX tickets_by_state;
                DROP INDEX tickets_by_camera;
                DROP INDEX tickets_by_grid;
                CREATE INDEX tickets_list_time ON tickets(archived, occurred_at);
                CREATE INDEX tickets_list_state ON tickets(archived, state, occurred_at);
                CREATE INDEX tickets_list_camera ON tickets(archived, camera_id, occurred_at);
                CREATE INDEX tickets_list_grid ON tickets(archived, grid_id, occurred_at);
                CREATE INDEX tickets_list_category ON tickets(archived, category, occurred_at);
                CREATE INDEX tickets_overdue ON tickets(archived, occurred_at) WHERE overdue != 0;
                CREATE INDEX tickets_merge ON tickets(camera_id, kind, zone_id, tripwire_id, state);
                -- Only tickets not yet escalated for a deadline: the supervision check reads
                -- these and nothing else, however many tickets the store holds.
                CREATE INDEX tickets_ack_watch ON tickets(ack_due_at)
                    WHERE acknowledged_at IS NULL AND overdue & 1 = 0 AND state NOT IN ('closed', 'false_alarm');
                CREATE INDEX tickets_close_watch ON tickets(close_due_at)
                    WHERE overdue & 2 = 0 AND state NOT IN ('closed', 'false_alarm');
                CREATE INDEX tickets_by_closed ON tickets(closed_at) WHERE closed_at IS NOT NULL;
                CREATE INDEX tickets_with_evidence ON tickets(created_at) WHERE evidence_purged = 0 AND evidence_bytes > 0;
                CREATE TABLE ticket_occurrences (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
                    at REAL NOT NULL,
                    track_id INTEGER,
                    trajectory TEXT,
                    snapshot_path TEXT,
                    evidence_bytes INTEGER NOT NULL DEFAULT 0 CHECK (evidence_bytes >= 0)
                );
                CREATE INDEX ticket_occurrences_by_ticket ON ticket_occurrences(ticket_id, id);
                CREATE TABLE people (
                    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) > 0),
                    name TEXT NOT NULL,
                    grid_id TEXT NOT NULL REFERENCES grids(id),
                    role TEXT NOT NULL CHECK (role IN ('leader', 'worker')),
                    phone TEXT
                );
                """)
        }
        migrator.registerMigration("v3-camera-switch") { db in
            // Cameras an administrator switched off: kept across restarts and reloads, with
            // who did it, when and why. A camera missing here is on. Not a foreign key: a
            // camera removed from the configuration keeps its row, harmlessly.
            try db.execute(sql: """
                CREATE TABLE camera_switches (
                    camera_id TEXT PRIMARY KEY NOT NULL CHECK (length(camera_id) > 0),
                    disabled_by TEXT NOT NULL,
                    disabled_at REAL NOT NULL,
                    reason TEXT
                );
                """)
        }
        migrator.registerMigration("v4-repeat-of") { db in
            // A repeat ticket (重复工单): raised for a camera and rule whose previous ticket
            // was handled within the repeat period; names that ticket.
            try db.execute(sql: "ALTER TABLE tickets ADD COLUMN repeat_of INTEGER")
        }
        migrator.registerMigration("v5-catalogue-texts") { db in
            // Titles and the daemon's history notes as catalogue entries (JSON), rendered in
            // each reader's language; rows from before keep their bilingual text.
            try db.execute(sql: "ALTER TABLE tickets ADD COLUMN title_text TEXT")
            try db.execute(sql: "ALTER TABLE ticket_events ADD COLUMN note_text TEXT")
        }
        migrator.registerMigration("v6-categories") { db in
            try widenCategories(db)
        }
        migrator.registerMigration("v7-categories-fire-smoke") { db in
            try widenCategories(db)
        }
        migrator.registerMigration("v8-clips") { db in
            // Evidence clips: the name the camera gave the clip it is recording (set with
            // the alert), then the file once written, its length, size and how it ended.
            // A name without a path is a clip still recording, or one never written.
            for table in ["tickets", "ticket_occurrences"] {
                try db.execute(sql: """
                    ALTER TABLE \(table) ADD COLUMN clip_name TEXT;
                    ALTER TABLE \(table) ADD COLUMN clip_path TEXT;
                    ALTER TABLE \(table) ADD COLUMN clip_seconds REAL;
                    ALTER TABLE \(table) ADD COLUMN clip_bytes INTEGER NOT NULL DEFAULT 0 CHECK (clip_bytes >= 0);
                    ALTER TABLE \(table) ADD COLUMN clip_event_offset REAL;
                    ALTER TABLE \(table) ADD COLUMN clip_end TEXT;
                    CREATE INDEX \(table)_clip_pending ON \(table)(clip_name) WHERE clip_name IS NOT NULL AND clip_path IS NULL;
                    """)
            }
        }
        migrator.registerMigration("v9-notify") { db in
            // The outbox (Docs/design/notify-outbox.md): each change to a ticket that some
            // destination wants is one `notify_events` row (its stable id, the ticket's
            // sequence number, the ticket as it was after the change) and one delivery row per
            // destination that wants it, written in the change's own transaction.
            try db.execute(sql: """
                ALTER TABLE tickets ADD COLUMN notify_sequence INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE tickets ADD COLUMN case_number TEXT;
                ALTER TABLE tickets ADD COLUMN case_platform TEXT;
                CREATE TABLE notify_events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    message_id TEXT NOT NULL UNIQUE CHECK (length(message_id) > 0),
                    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
                    sequence INTEGER NOT NULL CHECK (sequence > 0),
                    type TEXT NOT NULL,
                    at REAL NOT NULL,
                    actor TEXT NOT NULL,
                    from_state TEXT,
                    to_state TEXT,
                    note TEXT,
                    note_text TEXT,
                    ticket TEXT NOT NULL,
                    UNIQUE (ticket_id, sequence)
                );
                CREATE TABLE notify_deliveries (
                    event_id INTEGER NOT NULL REFERENCES notify_events(id) ON DELETE CASCADE,
                    destination TEXT NOT NULL CHECK (length(destination) > 0),
                    ticket_id INTEGER NOT NULL,
                    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead', 'dropped')),
                    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                    first_attempt_at REAL,
                    next_at REAL NOT NULL,
                    last_error TEXT,
                    done_at REAL,
                    PRIMARY KEY (destination, event_id)
                ) WITHOUT ROWID;
                CREATE INDEX notify_due ON notify_deliveries(destination, next_at) WHERE state = 'pending';
                CREATE INDEX notify_ticket_order ON notify_deliveries(destination, ticket_id, event_id) WHERE state = 'pending';
                CREATE INDEX notify_done ON notify_deliveries(done_at) WHERE state IN ('delivered', 'dropped');
                CREATE INDEX notify_deliveries_event ON notify_deliveries(event_id);
                CREATE TABLE notify_destinations (
                    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) > 0),
                    disabled_at REAL,
                    disabled_reason TEXT,
                    paused_until REAL,
                    last_success_at REAL,
                    last_error TEXT,
                    last_error_at REAL
                );
                CREATE TABLE inbound_messages (
                    destination TEXT NOT NULL,
                    message_id TEXT NOT NULL,
                    at REAL NOT NULL,
                    PRIMARY KEY (destination, message_id)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v10-console") { db in
            // The web console's accounts (Docs/design/console.md): a slow salted hash per user,
            // sessions by the SHA-256 of their cookie (a copy of the database logs nobody in),
            // and failed logins by the name tried, known or not, for the lock-out.
            try db.execute(sql: """
                CREATE TABLE console_users (
                    name TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
                    role TEXT NOT NULL CHECK (role IN (\(quoted(Role.allCases)))),
                    grids TEXT NOT NULL DEFAULT '',
                    password_hash TEXT NOT NULL CHECK (password_hash LIKE 'pbkdf2-sha256$%'),
                    language TEXT NOT NULL DEFAULT 'zh' CHECK (language IN ('zh', 'en')),
                    disabled_at REAL,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    last_login_at REAL
                );
                CREATE TABLE console_sessions (
                    token_hash TEXT PRIMARY KEY NOT NULL,
                    user TEXT NOT NULL REFERENCES console_users(name) ON DELETE CASCADE,
                    csrf TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    last_seen REAL NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX console_sessions_user ON console_sessions(user);
                CREATE TABLE console_login_failures (
                    name TEXT NOT NULL,
                    at REAL NOT NULL
                );
                CREATE INDEX console_login_failures_name ON console_login_failures(name, at);
                """)
        }
        migrator.registerMigration("v11-lease-stamps") { db in
            // With a shared store (Docs/design/cluster.md): the node that raised an alert's
            // ticket or occurrence and the camera lease's epoch it held; NULL on a single box.
            for table in ["tickets", "ticket_occurrences"] {
                try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN node_id TEXT")
                try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN lease_epoch INTEGER")
            }
        }
        return migrator
    }
}

extension Migrations {
    /// v1's CHECK lists the ticket categories of the day the database was made: a database
    /// made before `camera_tamper` would refuse its tickets (and every alert queued behind
    /// them). Rebuilt the way SQLite documents (new table, copy, drop, rename, indexes and
    /// triggers again) with today's list; a database that already has it is left alone.
    /// A category added later needs this migration registered again under a new name.
    static func widenCategories(_ db: Database) throws {
        // The CHECK's list: "category IN (" up to the first ")" (a plain search: a regular
        // expression would load ICU's regex engine into every daemon that starts on a new
        // database).
        guard let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'tickets'"),
              let open = sql.range(of: "category IN ("),
              let close = sql[open.upperBound...].firstIndex(of: ")") else { return }
        let range = open.lowerBound..<sql.index(after: close)
        let wanted = "category IN (\(quoted(TicketCategory.allCases)))"
        if sql[range] == wanted { return }
        guard let head = sql.range(of: "CREATE TABLE tickets") else { return }
        let rebuilt = sql.replacingCharacters(in: range, with: wanted).replacingCharacters(in: head, with: "CREATE TABLE tickets_rebuilt")
        let dependents = try String.fetchAll(db, sql: """
            SELECT sql FROM sqlite_master WHERE tbl_name = 'tickets' AND type IN ('index', 'trigger') AND sql IS NOT NULL
            """)
        try db.execute(sql: rebuilt)
        try db.execute(sql: "INSERT INTO tickets_rebuilt SELECT * FROM tickets")
        try db.execute(sql: "DROP TABLE tickets")
        try db.execute(sql: "ALTER TABLE tickets_rebuilt RENAME TO tickets")
        for statement in dependents { try db.execute(sql: statement) }
    }
}

/// SQL texts built from the workflow's own definitions, so the partial indexes, the queries
/// that must match them word for word, and `Workflow` cannot drift apart.
public enum TicketSQL {
    /// `('closed', 'false_alarm')`: the finished states as an SQL list.
    public static let finished = list(Workflow.finishedStates)
    /// The states a handled problem is in (`Workflow.handledStates`).
    public static let handled = list(Workflow.handledStates)

    static func list(_ states: [TicketState]) -> String {
        "(" + states.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
    }
}
