import Scaling

/// Where dimensions live: the file store (one process, embedded), the in-memory store (tests, throwaway demos), and
/// a store shared by several processes (PostgreSQL). Every operation answers through a completion, on any thread,
/// because a store elsewhere answers later and can fail; an event loop never waits for one.
///
/// The contract every implementation keeps, proven by one shared test suite (`Tests/StoreContractTests`):
/// - **Serialized per id.** Updates (and deletions) of one id take effect one after the other, each computed from
///   the result of the one before: N writers each doing M read-modify-writes of one id lose nothing. For a store
///   shared by several processes this holds across all of them.
/// - **Transitions are values of the domain** (`DimensionTransition`). A store runs one on its own thread, under its
///   own lock, and may run it more than once (a store that retries after losing a race computes again from the
///   newer state); no caller's code runs there.
/// - **Durable before visible.** A change is reported to its caller, and seen by any read, only once it is durable
///   (fsync'd, committed). An unchanged result writes nothing and is reported at once.
/// - **A failure changes nothing.** A write that could not be made durable is reported as
///   `ScalingError.store(.unavailable)`, and no read ever sees it.
/// - Reads see the latest durable state; `allDimensions` is sorted by id.
/// - **Numbered.** A store numbers each id's results in this process, reads included, in the order it decided them
///   (`ChangeNumbers`).
public protocol DimensionStore: AnyObject, Sendable {
    /// The durable state of `id`, nil if there is none.
    func dimension(_ id: DimensionID, completion: @escaping @Sendable (Result<Dimension?, StoreError>) -> Void)

    /// The result of `transition` when it changes nothing and the store can tell at once, from memory (no I/O,
    /// no waiting), so an event loop can answer a read without a round trip through a completion. nil when `id`
    /// has no state, when the transition would change it or refuse, when a write of `id` is on its way to being
    /// durable (a read through `update` waits for the write), and always from a store that must ask elsewhere (one
    /// shared by several processes cannot know what the others wrote); the caller then asks through `update`.
    func unchangedResult(_ id: DimensionID, _ transition: some DimensionTransition) -> DimensionChange?

    /// Every durable dimension, sorted by id.
    func allDimensions(completion: @escaping @Sendable (Result<[Dimension], StoreError>) -> Void)

    /// Computes the next state of `id` from its latest state (nil when it does not exist) with `transition`, makes
    /// it durable if it differs, then reports the before and after. A `ScalingError` thrown by `transition` is
    /// reported as it is, and nothing is written.
    func update(_ id: DimensionID, _ transition: some DimensionTransition,
                completion: @escaping @Sendable (Result<DimensionChange, ScalingError>) -> Void)

    /// Removes `id` durably and reports the dimension as it was, or `.notFound`. Serialized with the updates of the
    /// same id.
    func delete(_ id: DimensionID, completion: @escaping @Sendable (Result<Dimension, StoreError>) -> Void)

    /// Makes `observer` the one that learns of every change made durable from now on (updates that changed
    /// something, and deletions), once each is visible to reads: by this process, and by the others sharing a
    /// store that several processes share. Called on the store's threads, never with its lock held; it must be
    /// quick, and may call the store only in ways that do not wait (an operation with a completion).
    func observeChanges(_ observer: @escaping @Sendable (StoreChange) -> Void)

    /// The store's outbox of events for webhook receivers (`EventOutbox`); nil from a store that keeps none.
    var outbox: (any EventOutbox)? { get }

    /// Whether the store can take writes now, and its figures for `/metrics`. Cheap: no I/O.
    var health: StoreHealth { get }

    /// Finishes what is queued and releases what the store holds (a lock, connections). Nothing may be called after.
    func close()
}

/// A durable state held in memory, with the number of the id's latest result (0 when there is none).
public struct KnownDimension: Sendable {
    public var dimension: Dimension
    public var number: UInt64

    public init(_ dimension: Dimension, number: UInt64) {
        self.dimension = dimension
        self.number = number
    }
}

/// A transition given as a function: for tools and tests that compute a state no rule of the domain names (an
/// increment, say). The function must be pure, as every transition must.
public struct DimensionChangeFunction: DimensionTransition {
    private let body: @Sendable (Dimension?) throws(ScalingError) -> Dimension

    public init(_ body: @escaping @Sendable (Dimension?) throws(ScalingError) -> Dimension) {
        self.body = body
    }

    public func next(_ current: Dimension?, id: DimensionID) throws(ScalingError) -> Dimension {
        try body(current)
    }
}

extension DimensionStore {
    /// `update` with a transition given as a function.
    public func update(_ id: DimensionID,
                       _ change: @escaping @Sendable (Dimension?) throws(ScalingError) -> Dimension,
                       completion: @escaping @Sendable (Result<DimensionChange, ScalingError>) -> Void) {
        update(id, DimensionChangeFunction(change), completion: completion)
    }
}
