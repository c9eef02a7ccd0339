/// The status of a scaling change, as Application Auto Scaling reads it.
public enum ScalingStatus: String, Sendable, CaseIterable, Equatable {
    case pending = "Pending"
    case inProgress = "InProgress"
    case successful = "Successful"
    case failed = "Failed"
}

/// One scalable target dimension: the resource AWS scales through the custom-resource API.
public struct Dimension: Sendable, Equatable {
    public var id: DimensionID
    public var version: String
    public var resourceName: String
    public var dimensionName: String
    public var actualCapacity: Double
    public var desiredCapacity: Double
    public var scalingStatus: ScalingStatus
    /// Why the last change failed; nil unless there is a reason to report.
    public var failureReason: String?

    public init(id: DimensionID, version: String, resourceName: String, dimensionName: String,
                actualCapacity: Double, desiredCapacity: Double, scalingStatus: ScalingStatus,
                failureReason: String? = nil) {
        self.id = id
        self.version = version
        self.resourceName = resourceName
        self.dimensionName = dimensionName
        self.actualCapacity = actualCapacity
        self.desiredCapacity = desiredCapacity
        self.scalingStatus = scalingStatus
        self.failureReason = failureReason
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
