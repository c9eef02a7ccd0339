import StoreContract
import Scaling

extension PostgresStore {
    /// Serves one update that lost its optimistic rounds: in a transaction that locks the row (`FOR UPDATE`),
    /// computes from it, writes, commits. Other writers of the id wait for the lock, so this one cannot lose
    /// again; a deadlock or lock timeout rolls it back and it tries again, at most three times. Returns whether
    /// the connection can still be used.
    func serveLocked(_ work: inout Work, on connection: DatabaseConnection) -> Bool {
        guard case .update(let id, let transition, let completion) = work.operation else { return true }
        work.done = true
        for _ in 1...3 {
            var committing = false
            do throws(DatabaseError) {
                _ = try connection.execute("BEGIN")
                let rows = try connection.execute(
                    "SELECT revision, \(Self.columns) FROM \(Schema.dimensionsTable) WHERE id = $1 FOR UPDATE", [id.value])
                guard let current = rows.isEmpty ? Known(revision: 0, dimension: nil) : Self.state(in: rows[0], from: 0, id: id) else {
                    throw .refused(sqlstate: "-----", message: "the row of \(id.value) is not a valid dimension")
                }
                let after: Dimension
                do throws(ScalingError) {
                    after = try transition.next(current.dimension, id: id)
                } catch {
                    _ = try connection.execute("ROLLBACK")
                    remember(id, current)
                    completion(.failure(error))
                    return true
                }
                if let unchanged = current.dimension, after == unchanged {
                    _ = try connection.execute("COMMIT")
                    remember(id, current)
                    completion(.success(numbered(DimensionChange(before: unchanged, after: unchanged), id: id)))
                    return true
                }
                if let fault = options.writeFault?() {
                    _ = try connection.execute("ROLLBACK")
                    recordFailedWrite(fault)
                    completion(.failure(.store(.unavailable(cause: "could not write the state: \(fault)"))))
                    return true
                }
                let proposed = Self.proposed(after, before: current.dimension)
                let written = try connection.execute(current.dimension == nil ? Self.insertStatement : Self.updateStatement,
                                                     [id.value, Self.stateJSON(proposed)])
                guard let revision = written.first?.first.flatMap({ $0.flatMap { Int64($0) } }) else {
                    // Created by another instance since the SELECT found nothing: lock that row next time.
                    _ = try connection.execute("ROLLBACK")
                    continue
                }
                if !options.eventReceivers.isEmpty {
                    var written = proposed
                    written.revision = UInt64(clamping: revision)
                    _ = try connection.execute(Self.eventsStatement, [id.value, String(revision), Self.stateJSON(written),
                                                                      current.dimension.map(Self.stateJSON)] + eventParameters())
                }
                committing = true
                _ = try connection.execute("COMMIT")
                let stored = Self.stored(proposed, at: revision)
                remember(id, stored, written: true)
                completion(.success(numbered(DimensionChange(before: current.dimension, after: stored.dimension!), id: id)))
                observers.tell([.changed(id, revision: stored.dimension!.revision)])
                return true
            } catch {
                if case .refused(let sqlstate, _) = error, Self.retryable.contains(sqlstate), !committing {
                    if connection.isUsable { _ = try? connection.execute("ROLLBACK") }
                    lock.withLock { counters.errors += 1 }
                    continue
                }
                let cause = committing ? "\(error.description); whether the change was made is unknown" : error.description
                // Decided after the ROLLBACK, which may find the connection broken: a connection the thread drops
                // must count as lost here too, or its reconnect would leave the store unready.
                let usable = connection.isUsable && error.isRefusal && (try? connection.execute("ROLLBACK")) != nil
                recordFailedWrite(cause, connectionLost: !usable)
                completion(.failure(.store(.unavailable(cause: cause))))
                return usable
            }
        }
        completion(.failure(.store(.unavailable(cause: "\(id.value) is being written by other instances too often; try again"))))
        return true
    }

    private func remember(_ id: DimensionID, _ state: Known, written: Bool = false) {
        lock.withLock {
            known[id] = state
            counters.statements += 1
            counters.operations += 1
            if written {
                counters.records += 1
                lastWriteFailure = nil
            }
        }
    }

    /// `$1` the id, `$2` the state (`stateJSON`).
    static let updateStatement = """
        UPDATE \(Schema.dimensionsTable) d SET revision = greatest(nextval('capacityd_revisions'), s.revision), version = s.version,
            resource_name = s.resource_name, dimension_name = s.dimension_name, actual_capacity = s.actual_capacity,
            desired_capacity = s.desired_capacity, scaling_status = s.scaling_status, failure_reason = s.failure_reason,
            updated_at = now()
        FROM jsonb_to_record($2::jsonb) AS s(\(stateColumns))
        WHERE d.id = $1 RETURNING d.revision, \(ChangeNotification.sent(revision: "d.revision", id: "d.id"))
        """

    /// The events of a change written in the transaction: `$1` the id, `$2` its revision, `$3` and `$4` the states
    /// after and before (`stateJSON`; NULL when created), `$5` and `$6` as `eventParameters`.
    static let eventsStatement = """
        INSERT INTO \(Schema.eventsTable) (id, revision, receiver, dimension, previous, made_at, due_at)
        SELECT $1, $2::bigint, r.receiver, $3::jsonb, $4::jsonb, $5::bigint, $5::bigint
        FROM jsonb_array_elements_text($6::jsonb) AS r(receiver)
        """

    /// `$1` the id, `$2` the state (`stateJSON`).
    static let insertStatement = """
        INSERT INTO \(Schema.dimensionsTable) (id, revision, \(columns))
        SELECT $1, greatest(nextval('capacityd_revisions'), s.revision), \(columns) FROM jsonb_to_record($2::jsonb) AS s(\(stateColumns))
        ON CONFLICT (id) DO NOTHING RETURNING revision, \(ChangeNotification.sent(revision: "revision", id: "id"))
        """
}
