import StoreContract
import JSON
import Scaling
import SystemIO

extension PostgresStore {
    /// One operation of a batch across its rounds.
    struct Work {
        let operation: Operation
        /// The state the next round computes from; nil: unknown, so the next round reads it.
        var base: Known?
        /// The base came from this batch's own reads, not from what the instance saw earlier (which another
        /// instance may have changed since): only a fresh base may answer a refusal without asking the row.
        var fresh = false
        var rounds = 0
        /// Statements rolled back by a retryable error (serialization, deadlock, lock timeout) so far.
        var retries = 0
        /// Lost too many rounds to other instances: served under a row lock instead (`serveLocked`).
        var locking = false
        var done = false
    }

    /// What one round sends for one operation.
    struct Entry {
        let work: Int
        let id: DimensionID
        /// -1: only read the row; 0: the row must not exist; otherwise the revision it must be at.
        let expected: Int64
        /// The state to write; nil checks `expected` without writing (a read, or an unchanged result).
        let write: Dimension?
    }

    /// SQLSTATEs after which the statement certainly took no effect and may simply be sent again:
    /// serialization_failure, deadlock_detected, lock_not_available (lock_timeout).
    static let retryable: Set<String> = ["40001", "40P01", "55P03"]
    /// Retryable errors one operation may meet before it is answered 503: a table locked for minutes (an
    /// `ALTER TABLE`, a `VACUUM FULL`) must not hold requests for as long.
    static let maxRetries = 3

    /// Serves a batch: a list or deletions each in a statement of their own, reads and updates together in
    /// rounds. Returns whether the connection can still be used.
    func serve(_ batch: [Operation], on connection: DatabaseConnection) -> Bool {
        var works: [Work] = []
        var others: [Operation] = []
        let bases = lock.withLock { batch.map { $0.id.flatMap { known[$0] } } }
        for (operation, base) in zip(batch, bases) {
            switch operation {
            case .read, .update: works.append(Work(operation: operation, base: base))
            case .delete, .list: others.append(operation)
            }
        }
        for (index, operation) in others.enumerated() {
            let usable = switch operation {
            case .list(let completion): serveList(completion, on: connection)
            case .delete(let id, let completion): serveDelete(id, completion, on: connection)
            case .read, .update: true
            }
            guard usable else {
                let lost = StoreError.unavailable(cause: "the database connection was lost")
                for later in others[(index + 1)...] { later.fail(lost) }
                fail(works, lost)
                return false
            }
        }
        while works.contains(where: { !$0.done && !$0.locking }) {
            guard round(&works, on: connection) else {
                // The round answered its own entries; the ones waiting for the locked path are answered here.
                fail(works, .unavailable(cause: "the database connection was lost"))
                return false
            }
        }
        for index in works.indices where works[index].locking && !works[index].done {
            guard serveLocked(&works[index], on: connection) else {
                fail(works, .unavailable(cause: "the database connection was lost"))
                return false
            }
        }
        return true
    }

    /// One statement for every operation not done yet: computes each update from its base, sends them all, and
    /// settles what the answer settles. Returns whether the connection can still be used.
    private func round(_ works: inout [Work], on connection: DatabaseConnection) -> Bool {
        var entries: [Entry] = []
        for index in works.indices where !works[index].done {
            let work = works[index]
            switch work.operation {
            case .read(let id, _):
                entries.append(Entry(work: index, id: id, expected: -1, write: nil))
            case .update(let id, let transition, let completion):
                guard let base = work.base else {
                    entries.append(Entry(work: index, id: id, expected: -1, write: nil))
                    continue
                }
                guard work.rounds < Self.optimisticRounds else {
                    works[index].locking = true
                    continue
                }
                works[index].rounds += 1
                switch Result(catching: { () throws(ScalingError) -> Dimension in try transition.next(base.dimension, id: id) }) {
                case .failure where !work.fresh:
                    // Refused on what this instance saw earlier: another instance may have created, changed or
                    // deleted the id since, so the refusal stands only once it is computed from the row.
                    works[index].rounds -= 1
                    works[index].base = nil
                    entries.append(Entry(work: index, id: id, expected: -1, write: nil))
                case .failure(let error):
                    // A refusal computed from the row as this batch read it; nothing to write.
                    works[index].done = true
                    completion(.failure(error))
                case .success(let after):
                    let unchanged = after == base.dimension
                    entries.append(Entry(work: index, id: id, expected: base.revision,
                                         write: unchanged ? nil : Self.proposed(after, before: base.dimension)))
                }
            case .delete, .list:
                preconditionFailure("served apart")
            }
        }
        guard !entries.isEmpty else { return true }
        let writes = entries.contains { $0.write != nil }
        if writes, let fault = options.writeFault?() {
            recordFailedWrite(fault)
            fail(entries.map { works[$0.work] }, .unavailable(cause: "could not write the state: \(fault)"))
            for entry in entries { works[entry.work].done = true }
            return true
        }

        let started = Clock.monotonicMicroseconds()
        let rows: [[String?]]
        do {
            rows = try connection.execute(batchStatement, [String(decoding: Self.encode(entries), as: UTF8.self)] + eventParameters())
        } catch {
            let usable: Bool
            let cause: String
            switch error {
            case .refused(let sqlstate, _) where Self.retryable.contains(sqlstate):
                // Rolled back as a whole: compute again from what the next round reads.
                lock.withLock {
                    counters.conflicts += UInt64(entries.count)
                    counters.errors += 1
                }
                for entry in entries {
                    works[entry.work].base = nil
                    works[entry.work].retries += 1
                }
                let exhausted = entries.map(\.work).filter { works[$0].retries >= Self.maxRetries }
                fail(exhausted.map { works[$0] }, .unavailable(cause: "\(error.description) (\(Self.maxRetries) times)"))
                for index in exhausted { works[index].done = true }
                return connection.isUsable
            case .refused:
                usable = connection.isUsable
                cause = error.description
            case .lost, .connect:
                usable = false
                cause = writes ? "\(error.description); whether the change was made is unknown" : error.description
            }
            if writes { recordFailedWrite(cause, connectionLost: !usable) } else { lock.withLock { counters.errors += 1 } }
            fail(entries.map { works[$0.work] }, .unavailable(cause: cause))
            for entry in entries { works[entry.work].done = true }
            return usable
        }
        settle(entries, rows, &works, seconds: Double(Clock.monotonicMicroseconds() - started) / 1_000_000)
        return true
    }

    /// Applies one statement's answer: completes what it settles, and sets the next base of what must go again.
    private func settle(_ entries: [Entry], _ rows: [[String?]], _ works: inout [Work], seconds: Double) {
        var bySlot: [Int: [String?]] = [:]
        for row in rows { if let slot = row[0].flatMap({ Int($0) }) { bySlot[slot] = row } }
        var seen: [(DimensionID, Known)] = []
        var written = 0
        var conflicts = 0
        var completions: [() -> Void] = []
        var changes: [StoreChange] = []
        for (slot, entry) in entries.enumerated() {
            var work = works[entry.work]
            defer { works[entry.work] = work }
            guard let row = bySlot[slot], let current = Self.state(in: row, from: 2, id: entry.id) else {
                work.done = true
                let operation = work.operation
                completions.append { operation.fail(.unavailable(cause: "the database's answer could not be read")) }
                continue
            }
            if let revision = row[1].flatMap({ Int64($0) }), let after = entry.write {
                // Written: the change is committed.
                written += 1
                let stored = Self.stored(after, at: revision)
                seen.append((entry.id, stored))
                changes.append(.changed(entry.id, revision: stored.dimension!.revision))
                work.done = true
                if case .update(_, _, let completion) = work.operation {
                    let change = numbered(DimensionChange(before: work.base?.dimension, after: stored.dimension!), id: entry.id)
                    completions.append { completion(.success(change)) }
                }
                continue
            }
            switch work.operation {
            case .read(_, let completion):
                seen.append((entry.id, current))
                work.done = true
                completions.append { completion(.success(current.dimension)) }
            case .update:
                if entry.expected >= 0 && entry.write == nil && current.revision == entry.expected {
                    // Unchanged, and the row was at the state it was computed from: nothing to write.
                    work.done = true
                    let change = numbered(DimensionChange(before: work.base?.dimension, after: work.base!.dimension!),
                                          id: entry.id)
                    if case .update(_, _, let completion) = work.operation { completions.append { completion(.success(change)) } }
                } else if entry.expected >= 0 && current.revision == entry.expected {
                    // Not written, yet the row looks as expected: this statement's snapshot predates the write
                    // that beat it. Read it afresh.
                    conflicts += 1
                    work.base = nil
                } else {
                    if entry.expected >= 0 { conflicts += 1 }
                    seen.append((entry.id, current))
                    work.base = current
                    work.fresh = true
                }
            case .delete, .list:
                preconditionFailure("served apart")
            }
        }
        lock.withLock {
            if known.count > 100_000 { known.removeAll() }
            for (id, state) in seen { known[id] = state }
            counters.statements += 1
            counters.operations += UInt64(completions.count)
            counters.records += UInt64(written)
            counters.conflicts += UInt64(conflicts)
            counters.statementSeconds.observe(seconds)
            if written > 0 { lastWriteFailure = nil }
        }
        for completion in completions { completion() }
        observers.tell(changes)
    }

    private func serveList(_ completion: @Sendable (Result<[Dimension], StoreError>) -> Void,
                           on connection: DatabaseConnection) -> Bool {
        do {
            let rows = try connection.execute("SELECT id, revision, \(Self.columns) FROM \(Schema.dimensionsTable)")
            let dimensions = try rows.map { row throws(DatabaseError) -> Dimension in
                guard let id = row[0].flatMap({ try? DimensionID($0) }),
                      let dimension = Self.state(in: row, from: 1, id: id)?.dimension else {
                    throw .refused(sqlstate: "-----", message: "a row of \(Schema.dimensionsTable) is not a valid dimension")
                }
                return dimension
            }
            lock.withLock {
                counters.statements += 1
                counters.operations += 1
            }
            completion(.success(dimensions.sorted { $0.id < $1.id }))
            return true
        } catch {
            lock.withLock { counters.errors += 1 }
            completion(.failure(.unavailable(cause: error.description)))
            return connection.isUsable && error.isRefusal
        }
    }

    private func serveDelete(_ id: DimensionID, _ completion: @Sendable (Result<Dimension, StoreError>) -> Void,
                             on connection: DatabaseConnection) -> Bool {
        if let fault = options.writeFault?() {
            recordFailedWrite(fault)
            completion(.failure(.unavailable(cause: "could not write the state: \(fault)")))
            return true
        }
        do {
            let rows = try connection.execute("""
                DELETE FROM \(Schema.dimensionsTable) WHERE id = $1
                RETURNING revision, \(Self.columns), \(ChangeNotification.sent(revision: "'0'", id: "id"))
                """, [id.value])
            lock.withLock {
                known[id] = Known(revision: 0, dimension: nil)
                counters.statements += 1
                counters.operations += 1
                if !rows.isEmpty { counters.records += 1 }
                lastWriteFailure = nil
            }
            guard let row = rows.first, let removed = Self.state(in: row, from: 0, id: id)?.dimension else {
                completion(.failure(.notFound(id)))
                return true
            }
            completion(.success(removed))
            observers.tell([.changed(id, revision: 0)])
            return true
        } catch {
            let cause = error.isRefusal ? error.description : "\(error.description); whether the deletion was made is unknown"
            // One answer for both: the connection the thread drops is the one whose loss a reconnect mends.
            let usable = connection.isUsable && error.isRefusal
            recordFailedWrite(cause, connectionLost: !usable)
            completion(.failure(.unavailable(cause: cause)))
            return usable
        }
    }

    /// `connectionLost`: the write failed because its connection broke, which a new connection mends.
    func recordFailedWrite(_ cause: String, connectionLost: Bool = false) {
        lock.withLock {
            counters.failedWrites += 1
            counters.errors += 1
            lastWriteFailure = WriteFailure(cause: cause, connectionLost: connectionLost)
        }
    }

    private func fail(_ works: [Work], _ error: StoreError) {
        for work in works where !work.done { work.operation.fail(error) }
    }
}

extension DatabaseError {
    /// The server answered: the statement took no effect and the connection is in a known state.
    var isRefusal: Bool {
        if case .refused = self { return true }
        return false
    }
}
