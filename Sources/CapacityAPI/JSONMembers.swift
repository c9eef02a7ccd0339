import JSON
import Scaling

enum JSONBody {
    /// A request body that must be one JSON object with only `allowed` members (unknown ones are named in the 400).
    static func object(_ body: [UInt8], allowed: Set<String>) throws(ScalingError) -> [String: JSONValue] {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw .invalidUpdate("The body is not valid JSON: \(error)")
        }
        guard case .object(let object) = value else {
            throw .invalidUpdate("The body must be a JSON object, not \(value.typeName)")
        }
        let unknown = object.keys.filter { !allowed.contains($0) }.sorted()
        guard unknown.isEmpty else { throw .unknownFields(unknown) }
        return object
    }
}

/// Typed reads of a JSON object's members for request bodies: absent is nil, a wrong type is a 400 that names the
/// member. Shared by the PATCH body and the admin routes' body.
extension Dictionary where Key == String, Value == JSONValue {
    func number(_ name: String) throws(ScalingError) -> Double? {
        guard let value = self[name] else { return nil }
        guard case .number(let number) = value else { throw .invalidUpdate("\(name) must be a number, not \(value.typeName)") }
        // -0 is 0: a capacity has no sign to keep, and the logs and answers should not show one.
        return number == 0 ? 0 : number
    }

    func string(_ name: String) throws(ScalingError) -> String? {
        guard let value = self[name] else { return nil }
        guard case .string(let text) = value else { throw .invalidUpdate("\(name) must be a string, not \(value.typeName)") }
        return text
    }

    func scalingStatus(_ name: String) throws(ScalingError) -> ScalingStatus? {
        guard let value = self[name] else { return nil }
        guard case .string(let text) = value, let status = ScalingStatus(rawValue: text) else {
            throw .invalidUpdate("\(name) must be one of Pending, InProgress, Successful, Failed")
        }
        return status
    }

    /// `.some(nil)` for an explicit `null` (clear the value), nil when absent.
    func nullableString(_ name: String) throws(ScalingError) -> String?? {
        switch self[name] {
        case nil: return nil
        case .null?: return .some(nil)
        case .string(let text)?: return .some(text)
        case let other?: throw .invalidUpdate("\(name) must be a string or null, not \(other.typeName)")
        }
    }
}
