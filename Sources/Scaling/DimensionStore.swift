/// The before and after of one change; `before` is nil when the change created the dimension.
public struct DimensionChange: Sendable, Equatable {
    public var before: Dimension?
    public var after: Dimension

    public init(before: Dimension?, after: Dimension) {
        self.before = before
        self.after = after
    }

    public var changed: Bool { before != after }
}

/// Where dimensions live. The contract every implementation keeps (the file store now, PostgreSQL later):
/// - changes to one id are serialized: `update` sees the result of every earlier update of that id;
/// - a change is reported (and so answered) only once it is durable, and is visible to `dimension(_:)` only then;
/// - a failed write changes nothing, and says so with `ScalingError.storeUnavailable`.
public protocol DimensionStore: AnyObject, Sendable {
    /// The durable state of `id`.
    func dimension(_ id: DimensionID) -> Dimension?

    /// Every durable dimension, sorted by id.
    func allDimensions() -> [Dimension]

    /// Computes the next state of `id` from its latest state (nil when it does not exist) with `change`, makes it
    /// durable if it differs, and then calls `completion`, on any thread. `change` runs under the store's lock:
    /// it must be quick and pure.
    func update(_ id: DimensionID,
                _ change: @escaping @Sendable (Dimension?) throws(ScalingError) -> Dimension,
                completion: @escaping @Sendable (Result<DimensionChange, ScalingError>) -> Void)

    /// Removes `id` durably, then calls `completion` with the dimension as it was (`.notFound` if there is none).
    /// Serialized with the updates of the same id.
    func delete(_ id: DimensionID, completion: @escaping @Sendable (Result<Dimension, ScalingError>) -> Void)
}
