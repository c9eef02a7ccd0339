import Scaling

/// A durable change of a dimension, for one webhook receiver, as a store's outbox keeps it until it is delivered
/// or dropped. A store that keeps events (it was opened with receivers) writes one per receiver in the same durable
/// write as the change itself (the same fdatasync, the same transaction): a change acknowledged is an event that
/// will be delivered, through a crash of either process.
public struct DimensionEvent: Sendable, Equatable {
    /// The state the change made, with its revision.
    public var dimension: Dimension
    /// The state before; nil when the change created the dimension.
    public var previous: Dimension?
    /// When the change was made, in milliseconds since the epoch.
    public var epochMilliseconds: Int64
    /// The receiver's URL, as configured.
    public var receiver: String

    public init(dimension: Dimension, previous: Dimension?, epochMilliseconds: Int64, receiver: String) {
        self.dimension = dimension
        self.previous = previous
        self.epochMilliseconds = epochMilliseconds
        self.receiver = receiver
    }

    /// What names the event among all of a store's, for ever: a revision never comes back for an id.
    public var key: EventKey { EventKey(id: dimension.id, revision: dimension.revision, receiver: receiver) }
}

/// One event of an outbox: its dimension's id and revision, and its receiver.
public struct EventKey: Sendable, Hashable {
    public var id: DimensionID
    public var revision: UInt64
    public var receiver: String

    public init(id: DimensionID, revision: UInt64, receiver: String) {
        self.id = id
        self.revision = revision
        self.receiver = receiver
    }
}

/// An event not yet delivered, and where its delivery stands.
public struct OutboxEntry: Sendable, Equatable {
    public var event: DimensionEvent
    /// Attempts made so far.
    public var attempts: Int
    /// When the next attempt is due, in milliseconds since the epoch.
    public var dueAt: Int64
    /// The last attempt of the schedule failed too: it is kept, not sent, until `resend`.
    public var dropped: Bool
    /// When the claim `claimDue` returned it under ends (epoch milliseconds); 0 in a listing. Its settlement names
    /// it: a claim that lapsed and was taken again is told from the claim that took it.
    public var claimedUntil: Int64

    public init(event: DimensionEvent, attempts: Int = 0, dueAt: Int64, dropped: Bool = false, claimedUntil: Int64 = 0) {
        self.event = event
        self.attempts = attempts
        self.dueAt = dueAt
        self.dropped = dropped
        self.claimedUntil = claimedUntil
    }
}

extension OutboxEntry {
    /// The order `EventOutbox.outboxEntries` lists entries in: by id, revision and receiver.
    public static func listedBefore(_ a: OutboxEntry, _ b: OutboxEntry) -> Bool {
        (a.event.dimension.id, a.event.dimension.revision, a.event.receiver)
            < (b.event.dimension.id, b.event.dimension.revision, b.event.receiver)
    }
}

/// How a delivery attempt ended, as the outbox records it.
public enum AttemptOutcome: Sendable, Equatable {
    /// A 2xx: the event is removed.
    case delivered
    /// Anything else: the next attempt is due at this time (epoch milliseconds).
    case retry(at: Int64)
    /// The schedule's last attempt failed: the event is kept as dropped.
    case dropped
}

/// How an attempt at an event ended, under which claim: what `EventOutbox.settle` records.
public struct Settlement: Sendable, Equatable {
    public var key: EventKey
    /// The claim the attempt was made under (`OutboxEntry.claimedUntil`); 0 for an event not claimed.
    public var claimedUntil: Int64
    public var outcome: AttemptOutcome

    public init(key: EventKey, claimedUntil: Int64, outcome: AttemptOutcome) {
        self.key = key
        self.claimedUntil = claimedUntil
        self.outcome = outcome
    }

    /// `outcome` for `entry`, under the claim it was returned with.
    public init(_ entry: OutboxEntry, _ outcome: AttemptOutcome) {
        self.init(key: entry.event.key, claimedUntil: entry.claimedUntil, outcome: outcome)
    }
}

/// The outbox of a store that keeps events: what the webhook dispatcher claims, delivers and settles, on threads of
/// its own (every call may block on the disk or the database). Proven by the contract suite for every store.
///
/// - **In order per id and receiver.** An event is claimed only when no earlier event of its id for its receiver is
///   pending (one dropped does not hold the next back), so a receiver sees an id's changes in revision order. Ids do
///   not wait for each other.
/// - **At least once.** A claim holds an event for its lease: no other claim takes it meanwhile, in this process or,
///   for a store several processes share, any other. A claim not settled within its lease lapses (its process died
///   mid-delivery), and the event is claimed again. A store several processes share claims only the events of the
///   receivers this process was opened with: another process may deliver to receivers this one does not know.
/// - **Settled by its claim.** A delivery ends an event whoever made it. A failed attempt whose claim lapsed and
///   was taken again, here or by another process, changes nothing: the new claim is the one under way.
/// - **Settled durably.** `settle` returns once its outcome is durable.
public protocol EventOutbox: AnyObject, Sendable {
    /// Up to `limit` events due by `now` (epoch milliseconds), not dropped, not claimed, and first of their id for
    /// their receiver, each claimed until `now + leaseMilliseconds`.
    func claimDue(now: Int64, limit: Int, leaseMilliseconds: Int64) -> Result<[OutboxEntry], StoreError>

    /// Records how the attempts of claimed events ended, all in one durable write, which ends their claims. An
    /// event no longer in the outbox (settled already) is left alone, and so is one claimed again since, unless
    /// it was delivered. At most one settlement per event in a call.
    func settle(_ settlements: [Settlement]) -> Result<Void, StoreError>

    /// Every event in the outbox, pending and dropped, by id, revision and receiver.
    func outboxEntries() -> Result<[OutboxEntry], StoreError>

    /// Makes a dropped event pending again, due at `now`, with its attempts counted afresh; false when there is no
    /// such dropped event.
    func resend(_ key: EventKey, now: Int64) -> Result<Bool, StoreError>

    /// Counts for `/metrics`, from memory: cheap enough for every scrape, whatever the backlog. A store several
    /// processes share answers with its count as of its last claim.
    func outboxFigures(now: Int64) -> OutboxFigures
}

/// The outbox at a glance: events pending and dropped, and the age of the oldest pending (0 when none).
public struct OutboxFigures: Sendable, Equatable {
    public var pending = 0
    public var dropped = 0
    public var oldestPendingAgeMilliseconds: Int64 = 0

    public init() {}
}

extension EventOutbox {
    /// Settles one event, under the claim it was returned with (none for an entry listed).
    public func settle(_ entry: OutboxEntry, _ outcome: AttemptOutcome) -> Result<Void, StoreError> {
        settle([Settlement(entry, outcome)])
    }
}
