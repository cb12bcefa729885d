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
        return migrator
    }
}
