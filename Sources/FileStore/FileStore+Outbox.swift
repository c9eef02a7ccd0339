import Scaling
import StoreContract
import SystemIO

/// The outbox: kept in memory as it is durable (`outboxTable`), each change written to the log by the writer
/// thread like any other record and applied once synced. Claims live in memory only: a restart lets them lapse.
extension FileStore: EventOutbox {
    public func claimDue(now: Int64, limit: Int, leaseMilliseconds: Int64) -> Result<[OutboxEntry], StoreError> {
        .success(lock.withLock { outboxTable.claimDue(now: now, limit: limit, leaseMilliseconds: leaseMilliseconds) })
    }

    public func settle(_ settlements: [Settlement]) -> Result<Void, StoreError> {
        writeOutbox { table in settlements.compactMap { table.change(for: $0) } }.map { _ in () }
    }

    public func outboxEntries() -> Result<[OutboxEntry], StoreError> {
        .success(lock.withLock { Array(outboxTable.entries.values) }.sorted(by: OutboxEntry.listedBefore))
    }

    public func outboxFigures(now: Int64) -> OutboxFigures {
        lock.withLock { outboxTable.figures(now: now) }
    }

    public func resend(_ key: EventKey, now: Int64) -> Result<Bool, StoreError> {
        writeOutbox { table in table.resending(key, now: now).map { [$0] } ?? [] }
    }

    /// Writes what `changes` makes of the outbox, computed under the lock from its durable state, in one queued
    /// write, and waits until it is durable (the caller is a delivery thread or a command, never an event loop);
    /// false when it makes nothing.
    private func writeOutbox(_ changes: (OutboxTable) -> [OutboxTable.Change]) -> Result<Bool, StoreError> {
        let done = ConditionLock()
        nonisolated(unsafe) var outcome: Result<Void, StoreError>?
        let queued: Result<Bool, StoreError> = lock.withLock {
            let changes = changes(outboxTable)
            guard !changes.isEmpty else { return .success(false) }
            guard !stopping else { return .failure(.unavailable(cause: "the store is closing")) }
            let records: [StoredRecord] = changes.map { change in
                switch change {
                case .replace(let entry): .event(entry)
                case .remove(let key): .eventDelivered(key)
                }
            }
            let id = switch changes[0] {
            case .replace(let entry): entry.event.dimension.id
            case .remove(let key): key.id
            }
            var write = QueuedWrite(id: id, sequence: 0, record: nil, completion: { result in
                done.withLock {
                    outcome = result
                    done.signal()
                }
            })
            write.events = records
            queue.append(write)
            if queue.count == 1 { lock.signal() }
            return .success(true)
        }
        guard case .success(true) = queued else { return queued }
        return done.withLock {
            while outcome == nil { done.wait() }
            return outcome!.map { true }
        }
    }
}
