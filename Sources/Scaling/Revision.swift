/// The revisions one store gives out: a counter over all of its ids, so a revision never comes back for an id, not
/// even after a deletion and a new dimension of the same id.
public struct RevisionCounter: Sendable, Equatable {
    /// The highest revision given or seen.
    public private(set) var last: UInt64

    public init(last: UInt64 = 0) {
        self.last = last
    }

    /// `after` with the revision it is made durable at: the next of the counter's, unless `after` asks for a
    /// higher one (`lowestRevision`).
    public mutating func stamp(_ after: Dimension, before: Dimension?) -> Dimension {
        last = max(last + 1, Self.lowestRevision(of: after, before: before))
        var stamped = after
        stamped.revision = last
        return stamped
    }

    /// Takes note of a revision a store read back (recovery), so that none given later repeats it.
    public mutating func observe(_ revision: UInt64) {
        last = max(last, revision)
    }

    /// The least revision a change from `before` to `after` may have: above `before`'s, and at least the one
    /// `after` brings when that is higher (a dimension imported or copied whole keeps its revision, so an ETag a
    /// client holds stays valid). A transition that keeps `before`'s revision, as every rule of the API does, gets
    /// the next one.
    public static func lowestRevision(of after: Dimension, before: Dimension?) -> UInt64 {
        max((before?.revision ?? 0) + 1, after.revision)
    }
}

/// What a request requires of a dimension's revision before it applies: RFC 9110's `If-Match` and
/// `If-None-Match`, read as revisions. Checked by the transition itself, under the store's serialization of the
/// id, so two requests naming the same revision cannot both pass.
public struct RevisionCondition: Sendable, Equatable {
    /// The revisions a condition names: any at all (`*`), or a list (entity tags that are not revisions, weak
    /// ones included, match none and are left out).
    public enum Revisions: Sendable, Equatable {
        case any
        case listed([UInt64])

        /// Whether `dimension` (nil: none) is at one of these revisions.
        public func contains(_ dimension: Dimension?) -> Bool {
            guard let dimension else { return false }
            return switch self {
            case .any: true
            case .listed(let revisions): revisions.contains(dimension.revision)
            }
        }
    }

    /// The dimension must exist at one of these; nil requires nothing.
    public var ifMatch: Revisions?
    /// The dimension must not exist at any of these (`.any`: must not exist); nil requires nothing.
    public var ifNoneMatch: Revisions?

    public init(ifMatch: Revisions? = nil, ifNoneMatch: Revisions? = nil) {
        self.ifMatch = ifMatch
        self.ifNoneMatch = ifNoneMatch
    }

    /// Throws `.preconditionFailed` unless `current` (nil: no such dimension) meets the condition.
    public func check(_ current: Dimension?, id: DimensionID) throws(ScalingError) {
        if let ifMatch, !ifMatch.contains(current) {
            throw .preconditionFailed(id, revision: current?.revision)
        }
        if let ifNoneMatch, ifNoneMatch.contains(current) {
            throw .preconditionFailed(id, revision: current?.revision)
        }
    }
}
