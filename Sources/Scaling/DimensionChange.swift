/// The before and after of one change; `before` is nil when the change created the dimension.
public struct DimensionChange: Sendable, Equatable {
    public var before: Dimension?
    public var after: Dimension
    /// Where the result stands among its id's results in this process; nil from a caller that made it by hand.
    public var numbers: ChangeNumbers?

    public init(before: Dimension?, after: Dimension, numbers: ChangeNumbers? = nil) {
        self.before = before
        self.after = after
        self.numbers = numbers
    }

    public var changed: Bool { before != after }

    /// Equal results, whatever their numbers: the numbers say when, not what.
    public static func == (lhs: DimensionChange, rhs: DimensionChange) -> Bool {
        lhs.before == rhs.before && lhs.after == rhs.after
    }
}

/// A store numbers every result it gives for an id in this process, a read that changed nothing as well as a
/// change, in the order it decided them, and each result names the one before it. What is built from the results
/// on other threads (the transition log's lines) can then be put back in that order.
public struct ChangeNumbers: Sendable, Equatable {
    /// The number of the id's previous result, deletions of it in between or not; 0 when there is none in this
    /// process (the state was loaded when the store opened), so this result follows nothing.
    public var before: UInt64
    /// This result's number.
    public var after: UInt64

    public init(before: UInt64, after: UInt64) {
        self.before = before
        self.after = after
    }
}
