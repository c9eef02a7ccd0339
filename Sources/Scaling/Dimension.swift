import Synchronization

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
/// one pointer comparison. Setting a field makes a new box, and the box can keep one rendering of its fields
/// (`rendering(_:)`), so a dimension read again and again unchanged is rendered once.
public struct Dimension: Sendable, Equatable {
    private struct Fields: Sendable, Equatable {
        var id: DimensionID
        var version: String
        var resourceName: String
        var dimensionName: String
        var actualCapacity: Double
        var desiredCapacity: Double
        var scalingStatus: ScalingStatus
        var failureReason: String?
    }

    private final class Box: Sendable {
        let fields: Fields
        /// Set once, by the first to store one; holds one retain of it, given back by `deinit`. (The standard
        /// library's `AtomicLazyReference` does the same, but is not specialized across modules: a load of it cost
        /// ~600 instructions of generic metadata lookups, more than the rendering saves.)
        private let kept = Atomic<Unmanaged<Kept>?>(nil)

        init(_ fields: Fields) { self.fields = fields }

        deinit { kept.load(ordering: .acquiring)?.release() }

        var rendering: (any DimensionRendering)? {
            kept.load(ordering: .acquiring)?.takeUnretainedValue().rendering
        }

        /// Keeps `rendering` unless another thread kept one first; returns the one kept.
        func keep(_ rendering: any DimensionRendering) -> any DimensionRendering {
            let candidate = Unmanaged.passRetained(Kept(rendering))
            let (stored, earlier) = kept.compareExchange(expected: nil, desired: candidate, ordering: .acquiringAndReleasing)
            if stored { return rendering }
            candidate.release()
            return earlier!.takeUnretainedValue().rendering
        }
    }

    /// The atomic slot holds a class, not a protocol's existential.
    private final class Kept: Sendable {
        let rendering: any DimensionRendering
        init(_ rendering: any DimensionRendering) { self.rendering = rendering }
    }

    private var box: Box

    public init(id: DimensionID, version: String, resourceName: String, dimensionName: String,
                actualCapacity: Double, desiredCapacity: Double, scalingStatus: ScalingStatus,
                failureReason: String? = nil) {
        box = Box(Fields(id: id, version: version, resourceName: resourceName, dimensionName: dimensionName,
                         actualCapacity: actualCapacity, desiredCapacity: desiredCapacity,
                         scalingStatus: scalingStatus, failureReason: failureReason))
    }

    public static func == (lhs: Dimension, rhs: Dimension) -> Bool {
        lhs.box === rhs.box || lhs.box.fields == rhs.box.fields
    }

    /// What `make` renders this dimension as (its JSON, say), made by the first caller and kept with the fields
    /// for every later one, on any thread. `make` must depend on the dimension alone. One rendering per box: a
    /// second kind asked for is made each time, not kept.
    public func rendering<Rendering: DimensionRendering>(_ make: (Dimension) -> Rendering) -> Rendering {
        if let kept = box.rendering {
            return kept as? Rendering ?? make(self)
        }
        let made = make(self)
        return box.keep(made) as? Rendering ?? made
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
}

/// A form of a dimension derived from its fields alone, kept with them (`Dimension.rendering(_:)`).
public protocol DimensionRendering: AnyObject, Sendable {}

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
