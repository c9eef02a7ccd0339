/// The status of a scaling change, as Application Auto Scaling reads it.
public enum ScalingStatus: String, Sendable, CaseIterable, Equatable {
    case pending = "Pending"
    case inProgress = "InProgress"
    case successful = "Successful"
    case failed = "Failed"
}

/// One scalable target dimension: the resource AWS scales through the custom-resource API.
///
/// A value, with its fields in one immutable shared box: a request copies its dimension at every step (the store,
/// the change, the response, the transition log), and a copy of the box is one retain where the fields cost five;
/// a change that changes nothing (every GET in production mode) keeps the box, so comparing before and after is
/// one pointer comparison. Setting a field makes a new box.
///
/// Its `revision` says where the state stands in its id's history, and is no part of the state's equality.
public struct Dimension: Sendable, Equatable {
    private struct Fields: Sendable {
        var id: DimensionID
        var version: String
        var resourceName: String
        var dimensionName: String
        var actualCapacity: Double
        var desiredCapacity: Double
        var scalingStatus: ScalingStatus
        var failureReason: String?
        var revision: UInt64

        func sameState(as other: Fields) -> Bool {
            id == other.id && version == other.version && resourceName == other.resourceName
                && dimensionName == other.dimensionName && actualCapacity == other.actualCapacity
                && desiredCapacity == other.desiredCapacity && scalingStatus == other.scalingStatus
                && failureReason == other.failureReason
        }
    }

    private final class Box: Sendable {
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private var box: Box

    public init(id: DimensionID, version: String, resourceName: String, dimensionName: String,
                actualCapacity: Double, desiredCapacity: Double, scalingStatus: ScalingStatus,
                failureReason: String? = nil, revision: UInt64 = 0) {
        box = Box(Fields(id: id, version: version, resourceName: resourceName, dimensionName: dimensionName,
                         actualCapacity: actualCapacity, desiredCapacity: desiredCapacity,
                         scalingStatus: scalingStatus, failureReason: failureReason, revision: revision))
    }

    /// Equal states, whatever their revisions: a change is a change of the state, and a transition that gives
    /// back what it was given changes nothing. Compare `revision` where it matters.
    public static func == (lhs: Dimension, rhs: Dimension) -> Bool {
        lhs.box === rhs.box || lhs.box.fields.sameState(as: rhs.box.fields)
    }

    private mutating func set<Value>(_ field: WritableKeyPath<Fields, Value>, _ value: Value) {
        var fields = box.fields
        fields[keyPath: field] = value
        box = Box(fields)
    }

    public var id: DimensionID {
        get { box.fields.id }
        set { set(\.id, newValue) }
    }

    public var version: String {
        get { box.fields.version }
        set { set(\.version, newValue) }
    }

    public var resourceName: String {
        get { box.fields.resourceName }
        set { set(\.resourceName, newValue) }
    }

    public var dimensionName: String {
        get { box.fields.dimensionName }
        set { set(\.dimensionName, newValue) }
    }

    public var actualCapacity: Double {
        get { box.fields.actualCapacity }
        set { set(\.actualCapacity, newValue) }
    }

    public var desiredCapacity: Double {
        get { box.fields.desiredCapacity }
        set { set(\.desiredCapacity, newValue) }
    }

    public var scalingStatus: ScalingStatus {
        get { box.fields.scalingStatus }
        set { set(\.scalingStatus, newValue) }
    }

    /// Why the last change failed; nil unless there is a reason to report.
    public var failureReason: String? {
        get { box.fields.failureReason }
        set { set(\.failureReason, newValue) }
    }

    /// Where this state stands in its id's history: a store gives each durable change a revision greater than any
    /// the id had before, even across a deletion (`RevisionCounter`), and an unchanged result keeps it. 0 for a
    /// state no store has written. It is the API's `ETag`, and no member of the API's JSON.
    public var revision: UInt64 {
        get { box.fields.revision }
        set { set(\.revision, newValue) }
    }
}

extension Dimension: CustomStringConvertible {
    /// The fields, as a struct's synthesized description shows them (not the box they are kept in).
    public var description: String {
        "Dimension" + String(describing: box.fields).dropFirst("Fields".count)
    }
}

extension Dimension {
    /// Refuses U+0000 in a text field. PostgreSQL's text cannot hold it (one such value would fail a whole batch
    /// of other requests' updates), and nothing a dimension describes needs it, so every store refuses it alike.
    public static func checkText(_ value: String, name: String) throws(ScalingError) {
        if value.utf8.contains(0) { throw .invalidUpdate("\(name) must not contain U+0000") }
    }
}

/// What an unknown id starts as when it is created on first use.
public struct DimensionDefaults: Sendable, Equatable {
    public var version: String
    public var resourceName: String
    public var dimensionName: String
    public var capacity: Double

    /// The old sample's values, which existing callers expect.
    public init(version: String = "MyVersion", resourceName: String = "MyService",
                dimensionName: String = "MyDimension", capacity: Double = 1.0) {
        self.version = version
        self.resourceName = resourceName
        self.dimensionName = dimensionName
        self.capacity = capacity
    }

    public func makeDimension(id: DimensionID) -> Dimension {
        Dimension(id: id, version: version, resourceName: resourceName, dimensionName: dimensionName,
                  actualCapacity: capacity, desiredCapacity: capacity, scalingStatus: .successful)
    }
}
