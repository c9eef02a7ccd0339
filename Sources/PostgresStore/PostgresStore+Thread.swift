import Glibc
import Scaling
import SystemIO

extension PostgresStore {
    /// One database thread: keeps its connection (reconnecting with backoff), takes batches and serves them, and
    /// while idle checks that the connection still works (`idleCheckMicroseconds`), until the store closes and
    /// the queue is empty. `connections` counts only connections that worked when last used or checked.
    func runThread(_ initial: DatabaseConnection?) {
        var connection = initial
        var everConnected = initial != nil
        if let initial { lock.withLock { _ = poolBackends.insert(initial.backendPID) } }
        var failedAttempts = 0
        // When the connection last answered a statement, and when to look at it next if nothing comes.
        var lastAnswer = Clock.monotonicMicroseconds()
        var nextCheck = lastAnswer + Self.idleCheckMicroseconds
        while true {
            if connection == nil {
                // Closing: the threads still connected finish the queue; with none left, nobody will.
                if lock.withLock({ stopping }) {
                    if lock.withLock({ connections == 0 }) { failQueued(.unavailable(cause: "the store is closing")) }
                    return
                }
                do {
                    connection = try DatabaseConnection(settings)
                    failedAttempts = 0
                    lastAnswer = Clock.monotonicMicroseconds()
                    nextCheck = lastAnswer + Self.idleCheckMicroseconds
                    let wasUnreachable = lock.withLock {
                        connections += 1
                        poolBackends.insert(connection!.backendPID)
                        if everConnected { counters.reconnects += 1 }
                        // A write that failed only because its connection broke says nothing about the database
                        // once a new connection works: readiness must not wait for a client's write to come back.
                        if lastWriteFailure?.connectionLost == true { lastWriteFailure = nil }
                        defer { unreachable = nil }
                        return unreachable != nil
                    }
                    if wasUnreachable { log("capacityd: the database is reachable again (\(settings.displayName))") }
                    everConnected = true
                } catch {
                    failedAttempts += 1
                    let (waiting, newlyUnreachable): ([Operation], Bool) = lock.withLock {
                        counters.errors += 1
                        guard connections == 0 else { return ([], false) }
                        // Nobody can serve what waits: answer it now rather than after the next attempt.
                        let newly = unreachable == nil
                        unreachable = error.description
                        defer { queue.removeAll() }
                        return (queue, newly)
                    }
                    if newlyUnreachable {
                        log("capacityd: the database is unreachable, reconnecting with backoff: \(error)")
                    }
                    for operation in waiting { operation.fail(.unavailable(cause: error.description)) }
                    backOff(attempt: failedAttempts)
                    continue
                }
            }
            switch takeBatch(idleUntil: nextCheck) {
            case .stop:
                release(&connection)
                return
            case .idle:
                let now = Clock.monotonicMicroseconds()
                nextCheck = now + Self.idleCheckMicroseconds
                let roundTrip = now - lastAnswer >= Self.idleRoundTripMicroseconds
                if let problem = connection!.problem(roundTrip: roundTrip) {
                    lock.withLock { counters.errors += 1 }
                    drop(&connection, because: problem.description)
                } else if roundTrip {
                    lastAnswer = Clock.monotonicMicroseconds()
                }
            case .batch(let batch):
                let usable = serve(batch, on: connection!)
                lock.withLock {
                    for operation in batch { if let id = operation.id { inFlight.remove(id) } }
                    lock.broadcast()
                }
                lastAnswer = Clock.monotonicMicroseconds()
                nextCheck = lastAnswer + Self.idleCheckMicroseconds
                if !usable {
                    let cause = connection!.lostBecause ?? "it can no longer be used"
                    drop(&connection, because: cause)
                }
            }
        }
    }

    /// Gives up a connection that no longer works: it stops counting at once, so `health` and the connections
    /// gauge say what the pool can really do; the thread reconnects next.
    private func drop(_ connection: inout DatabaseConnection?, because cause: String) {
        release(&connection)
        log("capacityd: a database connection was lost, reconnecting: \(cause)")
    }

    /// Closes the thread's connection, which stops counting, and whose notifications are no longer its own.
    private func release(_ connection: inout DatabaseConnection?) {
        let backend = connection!.backendPID
        connection = nil
        lock.withLock {
            connections -= 1
            poolBackends.remove(backend)
        }
    }

    /// One line on the server's log (stderr). What libpq says of a failure is for the operator, here and in
    /// `/readyz`; API clients get a 503 without it.
    func log(_ line: String) {
        FileSystem.printError(line)
    }

    /// Waits 100 ms × 2^(attempt-1), at most 5 s, with ±25 % jitter so that the threads of many processes do not
    /// knock together; a closing store cuts it short.
    func backOff(attempt: Int) {
        let base = min(5_000_000, 100_000 << min(attempt - 1, 10))
        let delay = Int64(Double(base) * Double.random(in: 0.75...1.25))
        let deadline = Clock.monotonicMicroseconds() + delay
        backoff.withLock {
            while !backoffCancelled && Clock.monotonicMicroseconds() < deadline {
                backoff.wait(untilMonotonicMicroseconds: deadline)
            }
        }
    }

    enum Next {
        case batch([Operation])
        /// Nothing to take until the deadline passed: time to check the connection.
        case idle
        /// The store closed with nothing left to serve.
        case stop
    }

    /// The next batch: queued operations whose ids no statement has now, at most one per id, in queue order;
    /// a list runs alone. Waits while there is none, until `deadline` (`Clock.monotonicMicroseconds()`).
    private func takeBatch(idleUntil deadline: Int64) -> Next {
        lock.withLock {
            while true {
                var batch: [Operation] = []
                var taken = Set<DimensionID>()
                var remaining: [Operation] = []
                remaining.reserveCapacity(queue.count)
                for operation in queue {
                    guard batch.count < options.maxBatch else {
                        remaining.append(operation)
                        continue
                    }
                    if let id = operation.id {
                        if inFlight.contains(id) || taken.contains(id) || batch.first.map({ $0.id == nil }) == true {
                            remaining.append(operation)
                        } else {
                            taken.insert(id)
                            batch.append(operation)
                        }
                    } else if batch.isEmpty {
                        batch.append(operation)  // a list: alone
                    } else {
                        remaining.append(operation)
                    }
                }
                if !batch.isEmpty {
                    queue = remaining
                    inFlight.formUnion(taken)
                    // Others may find work among what is left.
                    if !queue.isEmpty { lock.signal() }
                    return .batch(batch)
                }
                if stopping && queue.isEmpty { return .stop }
                if Clock.monotonicMicroseconds() >= deadline { return .idle }
                lock.wait(untilMonotonicMicroseconds: deadline)
            }
        }
    }

    private func failQueued(_ error: StoreError) {
        let waiting: [Operation] = lock.withLock {
            defer { queue.removeAll() }
            return queue
        }
        for operation in waiting { operation.fail(error) }
    }
}
