import Scaling

/// The outbox's rules over entries held in memory (`EventOutbox`): which events are due and first of their id,
/// leases, and what an attempt's outcome makes of an entry. Shared by the stores that keep their outbox in memory:
/// the memory store applies a change at once, the file store once it has written it to its log.
public struct OutboxTable: Sendable {
    /// What a settlement or a resend does to an entry.
    public enum Change: Sendable, Equatable {
        case replace(OutboxEntry)
        case remove(EventKey)
    }

    public private(set) var entries: [EventKey: OutboxEntry] = [:]
    /// Claimed events, with when their lease ends. Not durable: a restart lets every claim lapse.
    private var claims: [EventKey: Int64] = [:]

    public init() {}

    /// The entries sorted by id, revision and receiver.
    public var sorted: [OutboxEntry] {
        entries.values.sorted { a, b in
            (a.event.dimension.id, a.event.dimension.revision, a.event.receiver)
                < (b.event.dimension.id, b.event.dimension.revision, b.event.receiver)
        }
    }

    /// Applies a settlement, a resend or a new entry; a settlement ends its entry's claim.
    public mutating func apply(_ change: Change) {
        switch change {
        case .replace(let entry):
            entries[entry.event.key] = entry
            claims[entry.event.key] = nil
        case .remove(let key):
            entries[key] = nil
            claims[key] = nil
        }
    }

    /// Claims up to `limit` entries due by `now`: for each id and receiver, only the pending entry of the lowest
    /// revision, and only if its last claim has lapsed. The oldest due first.
    public mutating func claimDue(now: Int64, limit: Int, leaseMilliseconds: Int64) -> [OutboxEntry] {
        var first: [FirstKey: OutboxEntry] = [:]
        for entry in entries.values where !entry.dropped {
            let key = FirstKey(id: entry.event.dimension.id, receiver: entry.event.receiver)
            if let earlier = first[key], earlier.event.dimension.revision < entry.event.dimension.revision { continue }
            first[key] = entry
        }
        let due = first.values.filter { entry in
            entry.dueAt <= now && (claims[entry.event.key].map { $0 <= now } ?? true)
        }.sorted { $0.dueAt < $1.dueAt }.prefix(limit)
        for entry in due { claims[entry.event.key] = now + leaseMilliseconds }
        return Array(due)
    }

    /// What `outcome` makes of the entry `key`; nil when there is no such entry (settled already).
    public func settlement(_ key: EventKey, _ outcome: AttemptOutcome) -> Change? {
        guard var entry = entries[key] else { return nil }
        switch outcome {
        case .delivered:
            return .remove(key)
        case .retry(let at):
            entry.attempts += 1
            entry.dueAt = at
        case .dropped:
            entry.attempts += 1
            entry.dropped = true
        }
        return .replace(entry)
    }

    /// The dropped entry `key` pending again, due at `now`; nil when there is no such dropped entry.
    public func resending(_ key: EventKey, now: Int64) -> Change? {
        guard var entry = entries[key], entry.dropped else { return nil }
        entry.dropped = false
        entry.attempts = 0
        entry.dueAt = now
        return .replace(entry)
    }

    /// Events not dropped, and how old the oldest of them is (milliseconds at `now`; 0 when there is none).
    public func pending(now: Int64) -> (count: Int, oldestAgeMilliseconds: Int64) {
        var count = 0
        var oldest: Int64?
        for entry in entries.values where !entry.dropped {
            count += 1
            oldest = min(oldest ?? entry.event.epochMilliseconds, entry.event.epochMilliseconds)
        }
        return (count, oldest.map { max(0, now - $0) } ?? 0)
    }

    /// Events kept as dropped.
    public var droppedCount: Int { entries.values.filter(\.dropped).count }

    private struct FirstKey: Hashable {
        let id: DimensionID
        let receiver: String
    }
}
