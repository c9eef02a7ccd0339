/// The tables capacityd keeps in PostgreSQL, versioned. `capacityd db migrate` brings a database to `current`;
/// `serve` and the other commands only check it, and refuse an older schema (run the migration) or a newer one
/// (a newer capacityd made it: this one would guess at its meaning).
public enum Schema {
    /// The version this capacityd reads and writes.
    public static let current = 2

    /// One row: the version the database is at.
    static let versionTable = "capacityd_schema"
    /// The dimensions, one row each. Every write names the `revision` it was computed from and applies only if the
    /// row is still at it (optimistic compare-and-set, see PostgresStore); each write takes a new revision from
    /// one sequence, so a revision never comes back for an id, not even after a deletion and a new row.
    static let dimensionsTable = "capacityd_dimensions"
    /// The webhook outbox (`PostgresOutbox`): one row per change and receiver, inserted by the statement that
    /// writes the change, so in its transaction; deleted once delivered. `dimension` and `previous` are the states
    /// after and before as JSON objects of the dimension's columns (`PostgresStore.stateObject`); times are epoch
    /// milliseconds; `claimed_until` is the lease of the instance delivering it (0: none).
    static let eventsTable = "capacityd_events"

    /// The statements that take version N-1 to N, at index N-1. Append only: a released step never changes.
    static let migrations: [[String]] = [
        [
            "CREATE SEQUENCE capacityd_revisions",
            """
            CREATE TABLE capacityd_dimensions (
                id text PRIMARY KEY,
                revision bigint NOT NULL CHECK (revision > 0),
                version text NOT NULL,
                resource_name text NOT NULL,
                dimension_name text NOT NULL,
                actual_capacity double precision NOT NULL CHECK (actual_capacity >= 0),
                desired_capacity double precision NOT NULL CHECK (desired_capacity >= 0),
                scaling_status text NOT NULL CHECK (scaling_status IN ('Pending', 'InProgress', 'Successful', 'Failed')),
                failure_reason text,
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
        ],
        [
            """
            CREATE TABLE capacityd_events (
                id text NOT NULL,
                revision bigint NOT NULL,
                receiver text NOT NULL,
                dimension jsonb NOT NULL,
                previous jsonb,
                made_at bigint NOT NULL,
                attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                due_at bigint NOT NULL,
                dropped boolean NOT NULL DEFAULT false,
                claimed_until bigint NOT NULL DEFAULT 0,
                PRIMARY KEY (id, receiver, revision)
            )
            """,
            "CREATE INDEX capacityd_events_due ON capacityd_events (due_at) WHERE NOT dropped",
        ],
    ]

    /// Serializes migrations across every process on the database (`pg_advisory_xact_lock`): "capa" in ASCII.
    static let migrationLock = "1667330145"

    /// The version the database is at: 0 for an empty database.
    static func installedVersion(_ connection: DatabaseConnection) throws(DatabaseError) -> Int {
        let rows: [[String?]]
        do {
            rows = try connection.execute("SELECT version FROM \(versionTable)")
        } catch .refused(sqlstate: "42P01", _) {
            return 0  // undefined_table: nothing was ever migrated here
        }
        guard let text = rows.first?.first ?? nil, let version = Int(text) else { return 0 }
        return version
    }

    /// Why this capacityd cannot use the database as it is, or nil.
    static func problem(installed: Int) -> String? {
        if installed < current {
            return "the database schema is at version \(installed), this capacityd needs \(current): run `capacityd db migrate` first"
        }
        if installed > current {
            return "the database schema is at version \(installed), newer than this capacityd knows (\(current)): upgrade capacityd"
        }
        return nil
    }

    /// Brings the database to `current` in one transaction, under an advisory lock so that every task of a
    /// deployment may run it at once: the first migrates, the others then find nothing to do. Returns the version
    /// before and after; refuses a newer schema.
    static func migrate(_ connection: DatabaseConnection) throws(DatabaseError) -> (from: Int, to: Int) {
        _ = try connection.execute("BEGIN")
        do throws(DatabaseError) {
            _ = try connection.execute("SELECT pg_advisory_xact_lock(\(migrationLock))")
            _ = try connection.execute("""
                CREATE TABLE IF NOT EXISTS \(versionTable) (
                    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
                    version integer NOT NULL
                )
                """)
            let installed = try installedVersion(connection)
            guard installed <= current else {
                throw DatabaseError.refused(sqlstate: "-----", message: problem(installed: installed)!)
            }
            for steps in migrations[installed..<current] {
                for statement in steps { _ = try connection.execute(statement) }
            }
            _ = try connection.execute("""
                INSERT INTO \(versionTable) (version) VALUES ($1)
                ON CONFLICT (only_row) DO UPDATE SET version = excluded.version
                """, [String(current)])
            _ = try connection.execute("COMMIT")
            return (installed, current)
        } catch {
            if connection.isUsable { _ = try? connection.execute("ROLLBACK") }
            throw error
        }
    }
}
