/// Field values an administrator sets; nil leaves a field as it is (or at its default when creating).
public struct DimensionFields: Sendable, Equatable {
    public var version: String?
    public var resourceName: String?
    public var dimensionName: String?
    public var actualCapacity: Double?
    public var desiredCapacity: Double?
    public var scalingStatus: ScalingStatus?
    /// `.some(nil)` clears the reason.
    public var failureReason: String??

    public init(version: String? = nil, resourceName: String? = nil, dimensionName: String? = nil,
                actualCapacity: Double? = nil, desiredCapacity: Double? = nil, scalingStatus: ScalingStatus? = nil,
                failureReason: String?? = nil) {
        self.version = version
        self.resourceName = resourceName
        self.dimensionName = dimensionName
        self.actualCapacity = actualCapacity
        self.desiredCapacity = desiredCapacity
        self.scalingStatus = scalingStatus
        self.failureReason = failureReason
    }

    public var isEmpty: Bool { self == DimensionFields() }

    /// `dimension` with these fields set, checked as the API checks them.
    public func applied(to dimension: Dimension,
                        maxCapacity: Double = DimensionUpdate.defaultMaxCapacity) throws(ScalingError) -> Dimension {
        for (name, value) in [("actualCapacity", actualCapacity), ("desiredCapacity", desiredCapacity)] {
            try DimensionUpdate.checkCapacity(value, name: name, maxCapacity: maxCapacity)
        }
        if case .some(.some(let reason)) = failureReason, reason.utf8.count > DimensionUpdate.maxFailureReasonLength {
            throw .invalidUpdate("failureReason must be at most \(DimensionUpdate.maxFailureReasonLength) bytes")
        }
        for (name, text) in [("version", version), ("resourceName", resourceName), ("dimensionName", dimensionName),
                             ("failureReason", failureReason ?? nil)] {
            if let text { try Dimension.checkText(text, name: name) }
        }
        var next = dimension
        if let version { next.version = version }
        if let resourceName { next.resourceName = resourceName }
        if let dimensionName { next.dimensionName = dimensionName }
        if let actualCapacity { next.actualCapacity = actualCapacity }
        if let desiredCapacity { next.desiredCapacity = desiredCapacity }
        if let scalingStatus { next.scalingStatus = scalingStatus }
        if let failureReason { next.failureReason = failureReason }
        return next
    }
}
