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
