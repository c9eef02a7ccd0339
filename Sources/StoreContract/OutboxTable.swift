import Scaling

/// The outbox's rules over entries held in memory (`EventOutbox`): which events are due and first of their id,
/// leases, and what an attempt's outcome makes of an entry. Shared by the stores that keep their outbox in memory:
/// the memory store applies a change at once, the file store once it has written it to its log.
public struct OutboxTable: Sendable {
    /// What a settlement or a resend does to an entry.
    public enum Change: Sendable, Equatable {
        /// The entry's new state; its `claimedUntil` names the claim a settlement ends (0: none).
        case replace(OutboxEntry)
        case remove(EventKey)
    }

    public private(set) var entries: [EventKey: OutboxEntry] = [:]
    /// Claimed events, with when their lease ends. Not durable: a restart lets every claim lapse.
    private var claims: [EventKey: Int64] = [:]
    /// Per id and receiver, the revisions of its pending (not dropped) entries, ascending: only the first may be
    /// claimed.
    private var pendingRevisions: [FirstKey: [UInt64]] = [:]
    /// The heads (first pending entries) by when each may be claimed: its due time, or its claim's end. A claim is
    /// made for every delivery, thousands a second, while a receiver that falls behind leaves thousands of ids
    /// waiting: a claim takes what it needs from the top instead of looking at every head. Pushed on every change
    /// of a head, never updated in place: an element that no longer says when its entry may be claimed (settled,
    /// claimed again, no longer the head) is dropped when it comes up.
    private var claimable = MinHeap<Candidate>()

    public init() {}

    /// The entries sorted by id, revision and receiver.
    public var sorted: [OutboxEntry] {
        entries.values.sorted(by: OutboxEntry.listedBefore)
    }

    /// Applies a settlement, a resend or a new entry. A settlement ends the claim it names (`change(for:)`), and
    /// only that one: the file store applies it once it is durable, and a claim taken in the meantime is under way.
    public mutating func apply(_ change: Change) {
        switch change {
        case .replace(var entry):
            let key = entry.event.key
            if (claims[key] ?? 0) == entry.claimedUntil { claims[key] = nil }
            entry.claimedUntil = 0
            entries[key] = entry
            if entry.dropped { forget(key) } else { remember(key) }
            offerHead(of: FirstKey(id: key.id, receiver: key.receiver))
        case .remove(let key):
            entries[key] = nil
            claims[key] = nil
            forget(key)
            offerHead(of: FirstKey(id: key.id, receiver: key.receiver))
        }
    }

    /// The head of `group`, if any, as a candidate from when it may be claimed.
    private mutating func offerHead(of group: FirstKey) {
        guard let revision = pendingRevisions[group]?.first else { return }
        let key = EventKey(id: group.id, revision: revision, receiver: group.receiver)
        if let at = claimableAt(key) { claimable.push(Candidate(at: at, key: key)) }
    }

    /// When `key` may be claimed, if it is pending: its due time, or its claim's end if later.
    private func claimableAt(_ key: EventKey) -> Int64? {
        guard let entry = entries[key], !entry.dropped else { return nil }
        return max(entry.dueAt, claims[key] ?? .min)
    }

    // Both change the revisions in place: copying a receiver's backlog of thousands at every event would make
    // replay and draining quadratic.
    private mutating func remember(_ key: EventKey) {
        Self.insert(key.revision, into: &pendingRevisions[FirstKey(id: key.id, receiver: key.receiver), default: []])
    }

    /// `revision` into the ascending `revisions`, unless it is there. New events come in increasing revision
    /// order: almost always an append.
    private static func insert(_ revision: UInt64, into revisions: inout [UInt64]) {
        if revisions.last.map({ $0 < revision }) ?? true {
            revisions.append(revision)
            return
        }
        var low = 0, high = revisions.count
        while low < high {
            let middle = (low + high) / 2
            if revisions[middle] < revision { low = middle + 1 } else { high = middle }
        }
        if revisions[low] != revision { revisions.insert(revision, at: low) }
    }

    private mutating func forget(_ key: EventKey) {
        let group = FirstKey(id: key.id, receiver: key.receiver)
        guard let index = pendingRevisions[group]?.firstIndex(of: key.revision) else { return }
        pendingRevisions[group]!.remove(at: index)
        if pendingRevisions[group]!.isEmpty { pendingRevisions[group] = nil }
    }

    /// Claims up to `limit` entries due by `now`: for each id and receiver, only the pending entry of the lowest
    /// revision, and only if its last claim has lapsed. The one claimable soonest first: the oldest due, or whose
    /// claim lapsed first.
    public mutating func claimDue(now: Int64, limit: Int, leaseMilliseconds: Int64) -> [OutboxEntry] {
        // A claim must end after `now`: the heap would otherwise hand the same entry out again at once.
        precondition(leaseMilliseconds > 0, "a claim's lease must be positive")
        var due: [OutboxEntry] = []
        while due.count < limit, let candidate = claimable.min, candidate.at <= now {
            claimable.popMin()
            let key = candidate.key
            guard pendingRevisions[FirstKey(id: key.id, receiver: key.receiver)]?.first == key.revision,
                  claimableAt(key) == candidate.at, let entry = entries[key] else { continue }
            claims[key] = now + leaseMilliseconds
            claimable.push(Candidate(at: now + leaseMilliseconds, key: key))
            var claimed = entry
            claimed.claimedUntil = now + leaseMilliseconds
            due.append(claimed)
        }
        return due
    }

    /// What `settlement` makes of its entry; nil when there is no such entry (settled already), or when the
    /// attempt failed under a claim that has been followed by another.
    public func change(for settlement: Settlement) -> Change? {
        let key = settlement.key
        guard var entry = entries[key] else { return nil }
        guard settlement.outcome == .delivered || (claims[key] ?? 0) == settlement.claimedUntil else { return nil }
        entry.claimedUntil = settlement.claimedUntil
        switch settlement.outcome {
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

    private struct Candidate: Comparable, Sendable {
        let at: Int64
        let key: EventKey

        static func < (a: Candidate, b: Candidate) -> Bool { a.at < b.at }
        static func == (a: Candidate, b: Candidate) -> Bool { a.at == b.at && a.key == b.key }
    }
}
