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
    /// Per id and receiver, the revisions of its pending (not dropped) entries, ascending: only the first may be
    /// claimed. A claim looks at these heads, not at every entry: a receiver that falls behind leaves thousands of
    /// entries, and a claim is made for every delivery.
    private var pendingRevisions: [FirstKey: [UInt64]] = [:]

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
            let key = entry.event.key
            entries[key] = entry
            claims[key] = nil
            if entry.dropped { forget(key) } else { remember(key) }
        case .remove(let key):
            entries[key] = nil
            claims[key] = nil
            forget(key)
        }
    }

    private mutating func remember(_ key: EventKey) {
        let group = FirstKey(id: key.id, receiver: key.receiver)
        var revisions = pendingRevisions[group] ?? []
        // New events come in increasing revision order: almost always an append.
        let index = revisions.lastIndex { $0 < key.revision }.map { $0 + 1 } ?? 0
        guard index == revisions.count || revisions[index] != key.revision else { return }
        revisions.insert(key.revision, at: index)
        pendingRevisions[group] = revisions
    }

    private mutating func forget(_ key: EventKey) {
        let group = FirstKey(id: key.id, receiver: key.receiver)
        guard var revisions = pendingRevisions[group], let index = revisions.firstIndex(of: key.revision) else { return }
        revisions.remove(at: index)
        pendingRevisions[group] = revisions.isEmpty ? nil : revisions
    }

    /// Claims up to `limit` entries due by `now`: for each id and receiver, only the pending entry of the lowest
    /// revision, and only if its last claim has lapsed. The oldest due first.
    public mutating func claimDue(now: Int64, limit: Int, leaseMilliseconds: Int64) -> [OutboxEntry] {
        var heads: [OutboxEntry] = []
        for (group, revisions) in pendingRevisions {
            let key = EventKey(id: group.id, revision: revisions[0], receiver: group.receiver)
            guard let entry = entries[key], entry.dueAt <= now, claims[key].map({ $0 <= now }) ?? true else { continue }
            heads.append(entry)
        }
        let due = heads.sorted { $0.dueAt < $1.dueAt }.prefix(limit)
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

    /// What `/metrics` shows of the outbox, in one pass and no sort.
    public func figures(now: Int64) -> OutboxFigures {
        var figures = OutboxFigures()
        var oldest: Int64?
        for entry in entries.values {
            if entry.dropped {
                figures.dropped += 1
            } else {
                figures.pending += 1
                oldest = min(oldest ?? entry.event.epochMilliseconds, entry.event.epochMilliseconds)
            }
        }
        figures.oldestPendingAgeMilliseconds = oldest.map { max(0, now - $0) } ?? 0
        return figures
    }

    private struct FirstKey: Hashable {
        let id: DimensionID
        let receiver: String
    }
}
