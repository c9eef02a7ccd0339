/// How a store computes a dimension's next state from its latest one: a rule of the domain given as a value.
/// A store runs it on its own thread, under its own lock, and may run it more than once for one update (after
/// losing a race it computes again from the newer state), so it must be pure: it depends only on its arguments
/// and has no side effects. Keeping the rules here, and not in closures of the callers, keeps the callers' code
/// (rendering, logging, answering) off the store's threads.
public protocol DimensionTransition: Sendable {
    /// The next state of `id` given its latest (nil when it does not exist). A thrown error is reported to the
    /// caller as it is, and nothing is written.
    func next(_ current: Dimension?, id: DimensionID) throws(ScalingError) -> Dimension
}

/// What a request of the dimensions API does: a GET observes the dimension (advancing an unfinished one in the
/// demo and step modes), a validated PATCH applies its update. An unknown id is created with `creation`'s values,
/// or is not found when there are none. A `condition` on the revision is checked first, against the state as it
/// is before the request (an unknown id has none).
///
/// Immutable, and a class: the API makes one for all its GETs, and a store's generic code passes it on with one
/// retain where a struct of this size would be copied field by field.
public final class ScalingRequest: DimensionTransition {
    /// A PATCH's validated update; nil for a GET.
    public let update: DimensionUpdate?
    public let mode: ScalingMode
    /// What an unknown id starts as; nil refuses it as `.notFound`.
    public let creation: DimensionDefaults?
    /// The request's `If-Match` and `If-None-Match`; nil when it has neither.
    public let condition: RevisionCondition?

    public init(update: DimensionUpdate?, mode: ScalingMode, creation: DimensionDefaults?,
                condition: RevisionCondition? = nil) {
        self.update = update
        self.mode = mode
        self.creation = creation
        self.condition = condition
    }

    public func next(_ current: Dimension?, id: DimensionID) throws(ScalingError) -> Dimension {
        try condition?.check(current, id: id)
        let existing: Dimension
        if let current {
            existing = current
        } else if let creation {
            existing = creation.makeDimension(id: id)
        } else {
            throw .notFound(id)
        }
        if let update { return ScalingMachine.apply(update, to: existing) }
        return ScalingMachine.observe(existing, mode: mode)
    }
}

/// An administrator's edit: creates `id` with the defaults and `fields` (refused when it exists), or sets
/// `fields` on the existing dimension (refused when it does not).
public struct DimensionEdit: DimensionTransition, Equatable {
    public var fields: DimensionFields
    /// The values a created dimension starts from; nil edits an existing one.
    public var creating: DimensionDefaults?
    public var maxCapacity: Double

    public init(fields: DimensionFields, creating: DimensionDefaults?,
                maxCapacity: Double = DimensionUpdate.defaultMaxCapacity) {
        self.fields = fields
        self.creating = creating
        self.maxCapacity = maxCapacity
    }

    public func next(_ current: Dimension?, id: DimensionID) throws(ScalingError) -> Dimension {
        if let creating {
            guard current == nil else { throw .alreadyExists(id) }
            return try fields.applied(to: creating.makeDimension(id: id), maxCapacity: maxCapacity)
        }
        guard let current else { throw .notFound(id) }
        return try fields.applied(to: current, maxCapacity: maxCapacity)
    }
}

/// A dimension brought in whole (an import, a copy between stores): it replaces the stored one only with
/// `overwrite`; otherwise an existing dimension stays as it is.
public struct DimensionImport: DimensionTransition, Equatable {
    public var dimension: Dimension
    public var overwrite: Bool

    public init(_ dimension: Dimension, overwrite: Bool) {
        self.dimension = dimension
        self.overwrite = overwrite
    }

    public func next(_ current: Dimension?, id: DimensionID) throws(ScalingError) -> Dimension {
        guard let current, !overwrite else { return dimension }
        return current
    }
}
