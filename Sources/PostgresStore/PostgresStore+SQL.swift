import JSON
import Scaling

/// A dimension as PostgreSQL holds it: one row of `capacityd_dimensions`, written through the one encoder
/// (`appendState`) and read through the one decoder (`state(in:from:id:)`). How this format differs from the
/// API's JSON (`DimensionJSON`) and the file store's records (`RecordJSON`):
///
/// - **Names**: the columns are snake_case (`resource_name`, `actual_capacity`, `failure_reason`); the id is the
///   `id` key column, beside the `revision` the optimistic writes compare. A write sends the least revision it
///   may take (`RevisionCounter.lowestRevision`) as the state's `revision` member, and the row takes that or the
///   sequence's next, whichever is higher.
/// - **Nulls**: a dimension without a failure reason has `failure_reason` NULL (the member is left out of the
///   JSON the statements read, which `jsonb_to_record` turns into NULL); every other column is NOT NULL.
/// - **Numbers**: capacities are `double precision`, sent as JSON numbers (`JSONWriter`) that PostgreSQL rounds
///   to the same double, and read back from PostgreSQL's shortest exact text; the `CHECK`s refuse a negative one.
/// - **Versioning**: the schema carries its version (`Schema.current`) and changes only by a migration;
///   `scaling_status` is checked against the four statuses by the table itself.
extension PostgresStore {
    /// A dimension's columns, in the order `state(in:from:id:)` reads them after the revision, and as the state's
    /// JSON members are named.
    static let columns = columnNames.joined(separator: ", ")
    static let columnNames = ["version", "resource_name", "dimension_name", "actual_capacity", "desired_capacity",
                              "scaling_status", "failure_reason"]

    /// The state's columns with their types, as `jsonb_to_record(set)` reads them from `appendState`'s members.
    static let stateColumns = """
        revision bigint, version text, resource_name text, dimension_name text, actual_capacity double precision, \
        desired_capacity double precision, scaling_status text, failure_reason text
        """

    /// The whole batch in one statement, so one round trip and one commit. `$1` is a JSON array of entries
    /// (`encode`): each reads its row (`expected` -1), checks it is still at `expected` (no state given), or
    /// writes a state if the row is at `expected` (0: if there is no row). Rows to be written are locked first,
    /// in id order, so two instances writing overlapping batches never deadlock; each row written sends its
    /// `ChangeNotification`. Each entry gets one answer row:
    /// its slot, the new revision if it was written, and otherwise the row as it is (the locked, newest version
    /// for a write that lost; the statement's snapshot for a read or a check).
    ///
    /// `keepingEvents`: each row written also makes one outbox event per receiver (`$3`, a JSON array of their
    /// URLs) made at `$2` (epoch milliseconds), in the same statement and so the same commit as the change.
    static func batchStatement(keepingEvents: Bool) -> String {
        // The state each written row's events carry, only where there are events: building it costs.
        let state = keepingEvents ? ", \(stateObject(of: "d")) AS state" : ""
        let events = !keepingEvents ? "" : """
            , events AS (
                INSERT INTO \(Schema.eventsTable) (id, revision, receiver, dimension, previous, made_at, due_at)
                SELECT c.id, c.revision, r.receiver, c.state, c.previous, $2::bigint, $2::bigint
                FROM (SELECT u.id, u.revision, u.state, \(stateObject(of: "lk")) AS previous
                      FROM updated u JOIN locked lk ON lk.id = u.id
                      UNION ALL SELECT n.id, n.revision, n.state, NULL FROM inserted n) c
                CROSS JOIN jsonb_array_elements_text($3::jsonb) AS r(receiver)
            )
            """
        return """
            WITH input AS (
                SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(
                    slot int, id text, expected bigint, write boolean, \(stateColumns))
            ), locked AS MATERIALIZED (
                SELECT d.* FROM \(Schema.dimensionsTable) d
                WHERE d.id IN (SELECT id FROM input WHERE write AND expected > 0)
                ORDER BY d.id FOR UPDATE
            ), updated AS (
                UPDATE \(Schema.dimensionsTable) d SET
                    revision = greatest(nextval('capacityd_revisions'), i.revision), version = i.version, resource_name = i.resource_name,
                    dimension_name = i.dimension_name, actual_capacity = i.actual_capacity,
                    desired_capacity = i.desired_capacity, scaling_status = i.scaling_status,
                    failure_reason = i.failure_reason, updated_at = now()
                FROM input i
                WHERE i.write AND i.expected > 0 AND d.id = i.id AND d.revision = i.expected
                  AND d.id IN (SELECT id FROM locked)
                RETURNING d.id, d.revision\(state), \(ChangeNotification.sent(revision: "d.revision", id: "d.id"))
            ), inserted AS (
                INSERT INTO \(Schema.dimensionsTable) AS d
                    (id, revision, version, resource_name, dimension_name, actual_capacity, desired_capacity,
                     scaling_status, failure_reason)
                SELECT i.id, greatest(nextval('capacityd_revisions'), i.revision), i.version, i.resource_name, i.dimension_name,
                       i.actual_capacity, i.desired_capacity, i.scaling_status, i.failure_reason
                FROM input i WHERE i.write AND i.expected = 0 ORDER BY i.id
                ON CONFLICT (id) DO NOTHING
                RETURNING d.id, d.revision\(state), \(ChangeNotification.sent(revision: "d.revision", id: "d.id"))
            )\(events)
            SELECT i.slot, coalesce(u.revision, n.revision),
                   coalesce(lk.revision, c.revision), coalesce(lk.version, c.version),
                   coalesce(lk.resource_name, c.resource_name), coalesce(lk.dimension_name, c.dimension_name),
                   coalesce(lk.actual_capacity, c.actual_capacity), coalesce(lk.desired_capacity, c.desired_capacity),
                   coalesce(lk.scaling_status, c.scaling_status),
                   CASE WHEN lk.id IS NULL THEN c.failure_reason ELSE lk.failure_reason END
            FROM input i
            LEFT JOIN updated u ON u.id = i.id
            LEFT JOIN inserted n ON n.id = i.id
            LEFT JOIN locked lk ON lk.id = i.id AND u.id IS NULL
            LEFT JOIN \(Schema.dimensionsTable) c ON c.id = i.id AND u.id IS NULL AND n.id IS NULL AND lk.id IS NULL
            """
    }

    /// The SQL expression of a row's state (alias `row`) as one JSON object with the same members as
    /// `appendState`, which is how the outbox keeps an event's states.
    static func stateObject(of row: String) -> String {
        "jsonb_build_object(" + (["revision"] + columnNames).map { "'\($0)', \(row).\($0)" }.joined(separator: ", ") + ")"
    }

    /// The columns `state(in:from:id:)` reads, taken from a JSON object made by `stateObject` or `stateJSON`
    /// (the SQL expression `object`): all NULL when it is NULL, which reads as no state.
    static func stateColumns(in object: String) -> String {
        (["revision"] + columnNames).map { "\(object)->>'\($0)'" }.joined(separator: ", ")
    }

    /// The entries as the JSON array `batchStatement` takes.
    static func encode(_ entries: [Entry]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(entries.count * 220)
        for (slot, entry) in entries.enumerated() {
            if slot > 0 { out.append(UInt8(ascii: ",")) }
            var first = true
            func member(_ name: String, _ value: (inout [UInt8]) -> Void) {
                out.append(UInt8(ascii: first ? "{" : ","))
                first = false
                JSONWriter.appendName(name, to: &out)
                value(&out)
            }
            member("slot") { JSONWriter.appendInteger(slot, to: &$0) }
            member("id") { JSONWriter.appendString(entry.id.value, to: &$0) }
            member("expected") { JSONWriter.appendInteger(Int(entry.expected), to: &$0) }
            member("write") { $0.append(contentsOf: (entry.write == nil ? "false" : "true").utf8) }
            if let state = entry.write {
                out.append(UInt8(ascii: ","))
                appendState(state, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// A dimension's state as one JSON object, the parameter of `updateStatement` and `insertStatement`.
    static func stateJSON(_ dimension: Dimension) -> String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        appendState(dimension, to: &out)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// The one encoder: the state's columns (`stateColumns`) as JSON object members, comma-separated,
    /// `failure_reason` left out when there is none. `revision` is the least the row may take.
    static func appendState(_ dimension: Dimension, to out: inout [UInt8]) {
        var first = true
        func member(_ name: String, _ value: (inout [UInt8]) -> Void) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONWriter.appendName(name, to: &out)
            value(&out)
        }
        member("revision") { JSONWriter.appendInteger(Int(dimension.revision), to: &$0) }
        member("version") { JSONWriter.appendString(dimension.version, to: &$0) }
        member("resource_name") { JSONWriter.appendString(dimension.resourceName, to: &$0) }
        member("dimension_name") { JSONWriter.appendString(dimension.dimensionName, to: &$0) }
        member("actual_capacity") { JSONWriter.appendNumber(dimension.actualCapacity, to: &$0) }
        member("desired_capacity") { JSONWriter.appendNumber(dimension.desiredCapacity, to: &$0) }
        member("scaling_status") { JSONWriter.appendString(dimension.scalingStatus.rawValue, to: &$0) }
        if let reason = dimension.failureReason {
            member("failure_reason") { JSONWriter.appendString(reason, to: &$0) }
        }
    }

    /// The one decoder: the row's revision at `offset` and the dimension's columns after it; a NULL revision is
    /// "no such row" (revision 0). nil if the columns do not make a valid dimension.
    static func state(in row: [String?], from offset: Int, id: DimensionID) -> Known? {
        guard row.count >= offset + 8 else { return nil }
        guard let revisionText = row[offset] else { return Known(revision: 0, dimension: nil) }
        guard let revision = Int64(revisionText),
              let version = row[offset + 1], let resourceName = row[offset + 2], let dimensionName = row[offset + 3],
              let actual = row[offset + 4].flatMap({ Double($0) }), let desired = row[offset + 5].flatMap({ Double($0) }),
              let status = row[offset + 6].flatMap({ ScalingStatus(rawValue: $0) }) else { return nil }
        return Known(revision: revision, dimension: Dimension(
            id: id, version: version, resourceName: resourceName, dimensionName: dimensionName, actualCapacity: actual,
            desiredCapacity: desired, scalingStatus: status, failureReason: row[offset + 7],
            revision: UInt64(clamping: revision)))
    }
}
