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

    var isEmpty: Bool { self == DimensionFields() }

    /// `dimension` with these fields set, checked as the API checks them.
    func applied(to dimension: Dimension) throws(ScalingError) -> Dimension {
        for (name, value) in [("actualCapacity", actualCapacity), ("desiredCapacity", desiredCapacity)] {
            if let value, !(value.isFinite && value >= 0) { throw .invalidUpdate("\(name) must be a finite number >= 0") }
        }
        if case .some(.some(let reason)) = failureReason, reason.utf8.count > DimensionUpdate.maxFailureReasonLength {
            throw .invalidUpdate("failureReason must be at most \(DimensionUpdate.maxFailureReasonLength) bytes")
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

    func encode() -> [UInt8] {
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

    static func decode(_ bytes: [UInt8]) throws(ScalingError) -> DimensionFields {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes.isEmpty ? Array("{}".utf8) : bytes)
        } catch {
            throw .invalidUpdate("The body is not valid JSON: \(error)")
        }
        guard case .object(let object) = value else { throw .invalidUpdate("The body must be a JSON object") }
        let unknown = object.keys.filter { !names.contains($0) }.sorted()
        guard unknown.isEmpty else { throw .unknownFields(unknown) }
        func string(_ name: String) throws(ScalingError) -> String? {
            switch object[name] {
            case nil: return nil
            case .string(let text)?: return text
            default: throw .invalidUpdate("\(name) must be a string")
            }
        }
        func number(_ name: String) throws(ScalingError) -> Double? {
            switch object[name] {
            case nil: return nil
            case .number(let number)?: return number
            default: throw .invalidUpdate("\(name) must be a number")
            }
        }
        var fields = DimensionFields(version: try string("version"), resourceName: try string("resourceName"),
                                     dimensionName: try string("dimensionName"),
                                     actualCapacity: try number("actualCapacity"),
                                     desiredCapacity: try number("desiredCapacity"))
        if let status = try string("scalingStatus") {
            guard let parsed = ScalingStatus(rawValue: status) else {
                throw .invalidUpdate("scalingStatus must be one of Pending, InProgress, Successful, Failed")
            }
            fields.scalingStatus = parsed
        }
        switch object["failureReason"] {
        case nil: break
        case .null?: fields.failureReason = .some(nil)
        case .string(let text)?: fields.failureReason = .some(text)
        default: throw .invalidUpdate("failureReason must be a string or null")
        }
        return fields
    }
}
