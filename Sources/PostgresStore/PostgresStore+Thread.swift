import Glibc
import Scaling
import SystemIO

extension PostgresStore {
    /// One database thread: keeps its connection (reconnecting with backoff), takes batches and serves them,
    /// until the store closes and the queue is empty.
    func runThread(_ initial: DatabaseConnection?) {
        var connection = initial
        var everConnected = initial != nil
        var failedAttempts = 0
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
                    lock.withLock {
                        connections += 1
                        unreachable = nil
                        if everConnected { counters.reconnects += 1 }
                    }
                    everConnected = true
                } catch {
                    failedAttempts += 1
                    let waiting: [Operation] = lock.withLock {
                        counters.errors += 1
                        guard connections == 0 else { return [] }
                        // Nobody can serve what waits: answer it now rather than after the next attempt.
                        unreachable = error.description
                        defer { queue.removeAll() }
                        return queue
                    }
                    for operation in waiting { operation.fail(.unavailable(cause: error.description)) }
                    backOff(attempt: failedAttempts)
                    continue
                }
            }
            guard let batch = takeBatch() else {
                connection = nil
                lock.withLock { connections -= 1 }
                return
            }
            let usable = serve(batch, on: connection!)
            lock.withLock {
                for operation in batch { if let id = operation.id { inFlight.remove(id) } }
                if !usable { connections -= 1 }
                lock.broadcast()
            }
            if !usable { connection = nil }
        }
    }

    /// Waits 100 ms × 2^(attempt-1), at most 5 s, with ±25 % jitter so that the threads of many processes do not
    /// knock together; a closing store cuts it short.
    private func backOff(attempt: Int) {
        let base = min(5_000_000, 100_000 << min(attempt - 1, 10))
        let delay = Int64(Double(base) * Double.random(in: 0.75...1.25))
        let deadline = Clock.monotonicMicroseconds() + delay
        lock.withLock {
            while !stopping && Clock.monotonicMicroseconds() < deadline { lock.wait(untilMonotonicMicroseconds: deadline) }
        }
    }

    /// The next batch: queued operations whose ids no statement has now, at most one per id, in queue order;
    /// a list runs alone. Waits while there is none; nil once the store closes with nothing left.
    private func takeBatch() -> [Operation]? {
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
                    return batch
                }
                if stopping && queue.isEmpty { return nil }
                lock.wait()
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
