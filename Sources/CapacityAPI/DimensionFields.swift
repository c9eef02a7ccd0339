import JSON
import Scaling

/// Field values an administrator sets; nil leaves a field as it is (or at its default when creating). The JSON
/// form is what `capacityd dimensions` sends to a running server's admin routes.
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

    static let names: Set<String> = ["version", "resourceName", "dimensionName", "actualCapacity", "desiredCapacity",
                                     "scalingStatus", "failureReason"]

    public func encode() -> [UInt8] {
        var members: [String: JSONValue] = [:]
        if let version { members["version"] = .string(version) }
        if let resourceName { members["resourceName"] = .string(resourceName) }
        if let dimensionName { members["dimensionName"] = .string(dimensionName) }
        if let actualCapacity { members["actualCapacity"] = .number(actualCapacity) }
        if let desiredCapacity { members["desiredCapacity"] = .number(desiredCapacity) }
        if let scalingStatus { members["scalingStatus"] = .string(scalingStatus.rawValue) }
        if let failureReason { members["failureReason"] = failureReason.map { .string($0) } ?? .null }
        var out: [UInt8] = []
        JSONWriter.append(.object(members), to: &out)
        return out
    }

    /// An empty body (a create with every default) reads as `{}`.
    static func decode(_ bytes: [UInt8]) throws(ScalingError) -> DimensionFields {
        let object = try JSONBody.object(bytes.isEmpty ? Array("{}".utf8) : bytes, allowed: names)
        return DimensionFields(version: try object.string("version"), resourceName: try object.string("resourceName"),
                               dimensionName: try object.string("dimensionName"),
                               actualCapacity: try object.number("actualCapacity"),
                               desiredCapacity: try object.number("desiredCapacity"),
                               scalingStatus: try object.scalingStatus("scalingStatus"),
                               failureReason: try object.nullableString("failureReason"))
    }
}
