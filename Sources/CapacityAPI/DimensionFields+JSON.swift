import JSON
import Scaling

/// The JSON form of an administrator's fields: what `capacityd dimensions` sends to a running server's admin
/// routes.
extension DimensionFields {
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
