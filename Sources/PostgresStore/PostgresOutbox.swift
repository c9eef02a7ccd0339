import JSON
import Scaling
import StoreContract
import SystemIO

/// The outbox of a database that several instances share (`EventOutbox`), in `capacityd_events`: the statement
/// that writes a change inserts its events (`PostgresStore.batchStatement`), so they commit or roll back with it.
///
/// - **Claims across instances.** A claim locks the rows it takes with `FOR UPDATE SKIP LOCKED` and stamps each
///   with its lease end (`claimed_until`), in one statement: two instances never take the same event while its
///   lease runs, and an instance killed mid-delivery leaves rows whose lease lapses, which any instance then
///   takes. The lease is judged by the claiming instance's clock, so the instances' clocks must agree to well
///   within a lease (the dispatcher's are half a minute or more).
/// - **Only this instance's receivers.** Claims take the events of the receivers this instance was opened with:
///   during a rolling deployment that adds a receiver, the instances that do not know it yet leave its events to
///   those that do, instead of dropping them.
/// - **Its own connection.** Delivery threads wait for receivers, not for the API: their statements go through one
///   connection of their own, one at a time, never through the pool that serves requests. A broken connection is
///   dropped and made again by the next call.
/// - **Figures from the last claim.** `/metrics` must not wait for the database, so each claim also counts the
///   table, at most every `figuresMaxAgeMicroseconds`, and `outboxFigures` answers from that count, under a lock
///   of its own that no statement holds.
final class PostgresOutbox: EventOutbox, @unchecked Sendable {
    private let settings: DatabaseSettings
    /// The receivers as the statements take them: a JSON array of their URLs.
    let receiversJSON: String
    private let writeFault: (@Sendable () -> String?)?

    /// Held for a statement, or a connection being made: by delivery threads and commands, never an event loop.
    private let lock = ConditionLock()
    // Guarded by `lock`:
    private var connection: DatabaseConnection?
    private var closed = false

    /// The last count, and when it was taken (`Clock.monotonicMicroseconds()`).
    private let counted = Locked<(figures: OutboxFigures, oldestMadeAt: Int64?, at: Int64)?>(nil)

    /// How old the figures `/metrics` shows may be: claims are made at least every second while deliveries run.
    /// A count reads every row, so not at every claim.
    static let figuresMaxAgeMicroseconds: Int64 = 5_000_000

    init(settings: DatabaseSettings, receivers: [String], writeFault: (@Sendable () -> String?)?) {
        self.settings = settings
        self.writeFault = writeFault
        var json: [UInt8] = [UInt8(ascii: "[")]
        for (index, receiver) in receivers.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(receiver, to: &json)
        }
        json.append(UInt8(ascii: "]"))
        receiversJSON = String(decoding: json, as: UTF8.self)
    }

    func close() {
        lock.withLock {
            closed = true
            connection = nil
        }
    }

    // MARK: EventOutbox

    func claimDue(now: Int64, limit: Int, leaseMilliseconds: Int64) -> Result<[OutboxEntry], StoreError> {
        run { connection throws(DatabaseError) in
            let rows = try connection.execute(Self.claimStatement,
                                              [String(now), String(limit), String(leaseMilliseconds), receiversJSON])
            let entries = try rows.map { row throws(DatabaseError) in
                var entry = try Self.entry(row)
                entry.claimedUntil = now + leaseMilliseconds
                return entry
            }
            // The claims are made: a count that fails leaves the last one in place rather than losing them.
            try? countIfStale(on: connection)
            return entries.sorted { $0.dueAt < $1.dueAt }
        }
    }

    func settle(_ settlements: [Settlement]) -> Result<Void, StoreError> {
        guard !settlements.isEmpty else { return .success(()) }
        var json: [UInt8] = [UInt8(ascii: "[")]
        for (index, settlement) in settlements.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            Self.appendKey(settlement.key, to: &json)
            json += Array(",\"claimed_until\":".utf8)
            JSONWriter.appendInteger(Int(settlement.claimedUntil), to: &json)
            json += Array(",\"outcome\":".utf8)
            switch settlement.outcome {
            case .delivered: json += Array("\"delivered\"".utf8)
            case .dropped: json += Array("\"dropped\"".utf8)
            case .retry(let at):
                json += Array("\"retry\",\"due_at\":".utf8)
                JSONWriter.appendInteger(Int(at), to: &json)
            }
            json.append(UInt8(ascii: "}"))
        }
        json.append(UInt8(ascii: "]"))
        return write { connection throws(DatabaseError) in
            _ = try connection.execute(Self.settleStatement, [String(decoding: json, as: UTF8.self)])
        }
    }

    func outboxEntries() -> Result<[OutboxEntry], StoreError> {
        run { connection throws(DatabaseError) in
            try connection.execute(Self.entriesStatement).map(Self.entry).sorted(by: OutboxEntry.listedBefore)
        }
    }

    func resend(_ key: EventKey, now: Int64) -> Result<Bool, StoreError> {
        write { connection throws(DatabaseError) in
            !(try connection.execute(Self.resendStatement,
                                     [key.id.value, String(key.revision), key.receiver, String(now)]).isEmpty)
        }
    }

    func outboxFigures(now: Int64) -> OutboxFigures {
        guard let counted = counted.withLock({ $0 }) else { return OutboxFigures() }
        var figures = counted.figures
        figures.oldestPendingAgeMilliseconds = counted.oldestMadeAt.map { max(0, now - $0) } ?? 0
        return figures
    }

    // MARK: The connection

    /// `body` on the outbox's connection, made first if there is none; one call at a time.
    private func run<Value>(_ body: (DatabaseConnection) throws(DatabaseError) -> Value) -> Result<Value, StoreError> {
        lock.withLock {
            guard !closed else { return .failure(.unavailable(cause: "the store is closing")) }
            do throws(DatabaseError) {
                if connection == nil { connection = try DatabaseConnection(settings, applicationName: "capacityd-webhooks") }
                return .success(try body(connection!))
            } catch {
                // Kept only after a refusal: a statement that got no answer leaves libpq waiting for it, and every
                // later one would fail on that connection.
                if !(error.isRefusal && connection?.isUsable == true) { connection = nil }
                return .failure(.unavailable(cause: error.description))
            }
        }
    }

    /// `run` for a statement that writes: the test seam may fail it first, as a failed write would.
    private func write<Value>(_ body: (DatabaseConnection) throws(DatabaseError) -> Value) -> Result<Value, StoreError> {
        if let fault = writeFault?() { return .failure(.unavailable(cause: "could not write the outbox: \(fault)")) }
        return run(body)
    }

    /// Counts the table for `outboxFigures` unless the last count is recent. Called under `lock`.
    private func countIfStale(on connection: DatabaseConnection) throws(DatabaseError) {
        let now = Clock.monotonicMicroseconds()
        if let last = counted.withLock({ $0 }), now - last.at < Self.figuresMaxAgeMicroseconds { return }
        let row = try connection.execute(Self.countStatement).first ?? []
        var figures = OutboxFigures()
        figures.pending = row.first.flatMap { $0.flatMap { Int($0) } } ?? 0
        figures.dropped = row.count > 1 ? row[1].flatMap { Int($0) } ?? 0 : 0
        let oldest = row.count > 2 ? row[2].flatMap { Int64($0) } : nil
        counted.withLock { $0 = (figures, oldest, now) }
    }

    // MARK: Statements

    /// The columns `entry` reads, of an events row `e`.
    private static let entryColumns = """
        e.id, e.revision, e.receiver, e.made_at, e.attempts, e.due_at, e.dropped, \
        \(PostgresStore.stateColumns(in: "e.dimension")), \(PostgresStore.stateColumns(in: "e.previous"))
        """

    /// `$1` now, `$2` the limit, `$3` the lease, `$4` the receivers. Rows due and unclaimed, oldest due first
    /// (`capacityd_events_due`), each only if no earlier revision of its id is pending for its receiver (the
    /// primary key answers that), are locked, skipping any another instance is claiming now, and stamped. Every
    /// condition sits on the row itself, so PostgreSQL checks them again on its newest version once it has the
    /// lock: a row another instance claimed or settled in the meantime is not taken.
    static let claimStatement = """
        WITH due AS (
            SELECT e.id, e.receiver, e.revision FROM \(Schema.eventsTable) e
            WHERE NOT e.dropped AND e.due_at <= $1::bigint AND e.claimed_until <= $1::bigint
              AND e.receiver IN (SELECT jsonb_array_elements_text($4::jsonb))
              AND NOT EXISTS (SELECT 1 FROM \(Schema.eventsTable) p
                              WHERE p.id = e.id AND p.receiver = e.receiver AND p.revision < e.revision AND NOT p.dropped)
            ORDER BY e.due_at LIMIT $2::int
            FOR UPDATE OF e SKIP LOCKED
        )
        UPDATE \(Schema.eventsTable) e SET claimed_until = $1::bigint + $3::bigint
        FROM due WHERE e.id = due.id AND e.receiver = due.receiver AND e.revision = due.revision
        RETURNING \(entryColumns)
        """

    /// `$1` a JSON array of settlements (`settle`): a delivered event is deleted, any other outcome counts an
    /// attempt and ends the claim, if it is still the claim the attempt was made under. A settlement of an event no
    /// longer there (settled already) matches nothing.
    static let settleStatement = """
        WITH s AS (
            SELECT * FROM jsonb_to_recordset($1::jsonb)
                AS s(id text, revision bigint, receiver text, claimed_until bigint, outcome text, due_at bigint)
        ), delivered AS (
            DELETE FROM \(Schema.eventsTable) e USING s
            WHERE s.outcome = 'delivered' AND e.id = s.id AND e.revision = s.revision AND e.receiver = s.receiver
        )
        UPDATE \(Schema.eventsTable) e SET attempts = e.attempts + 1, due_at = coalesce(s.due_at, e.due_at),
            dropped = s.outcome = 'dropped', claimed_until = 0
        FROM s WHERE s.outcome <> 'delivered' AND e.id = s.id AND e.revision = s.revision AND e.receiver = s.receiver
          AND e.claimed_until = s.claimed_until
        """

    static let entriesStatement = "SELECT \(entryColumns) FROM \(Schema.eventsTable) e"

    /// `$1` the id, `$2` the revision, `$3` the receiver, `$4` now.
    static let resendStatement = """
        UPDATE \(Schema.eventsTable) SET dropped = false, attempts = 0, due_at = $4::bigint, claimed_until = 0
        WHERE id = $1 AND revision = $2::bigint AND receiver = $3 AND dropped RETURNING 1
        """

    static let countStatement = """
        SELECT count(*) FILTER (WHERE NOT dropped), count(*) FILTER (WHERE dropped),
               min(made_at) FILTER (WHERE NOT dropped)
        FROM \(Schema.eventsTable)
        """

    /// An event's key as the members of a JSON object, left open.
    private static func appendKey(_ key: EventKey, to json: inout [UInt8]) {
        json.append(UInt8(ascii: "{"))
        JSONWriter.appendName("id", to: &json)
        JSONWriter.appendString(key.id.value, to: &json)
        json.append(UInt8(ascii: ","))
        JSONWriter.appendName("revision", to: &json)
        JSONWriter.appendInteger(Int(key.revision), to: &json)
        json.append(UInt8(ascii: ","))
        JSONWriter.appendName("receiver", to: &json)
        JSONWriter.appendString(key.receiver, to: &json)
    }

    /// An events row as `entryColumns` reads it.
    private static func entry(_ row: [String?]) throws(DatabaseError) -> OutboxEntry {
        let unreadable = DatabaseError.refused(sqlstate: "-----", message: "a row of \(Schema.eventsTable) is not a valid event")
        guard row.count == 23, let id = row[0].flatMap({ try? DimensionID($0) }),
              let revision = row[1].flatMap({ UInt64($0) }), let receiver = row[2],
              let madeAt = row[3].flatMap({ Int64($0) }), let attempts = row[4].flatMap({ Int($0) }),
              let dueAt = row[5].flatMap({ Int64($0) }), let dropped = row[6],
              let dimension = PostgresStore.state(in: row, from: 7, id: id)?.dimension, dimension.revision == revision,
              let previous = PostgresStore.state(in: row, from: 15, id: id) else { throw unreadable }
        return OutboxEntry(event: DimensionEvent(dimension: dimension, previous: previous.dimension,
                                                 epochMilliseconds: madeAt, receiver: receiver),
                           attempts: attempts, dueAt: dueAt, dropped: dropped == "t")
    }
}
