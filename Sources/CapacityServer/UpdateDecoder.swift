import HTTP1
import JSON
import Scaling

/// Turns a PATCH body into a `DimensionUpdate`: a JSON object with only known fields of the right types.
/// The domain then checks the values against the mode (`DimensionUpdate.validate`).
enum UpdateDecoder {
    static func decode(_ body: [UInt8]) throws(ScalingError) -> DimensionUpdate {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw .invalidUpdate("The body is not valid JSON: \(error)")
        }
        guard case .object(let object) = value else {
            throw .invalidUpdate("The body must be a JSON object, not \(value.typeName)")
        }
        let unknown = object.keys.filter { !DimensionUpdate.fieldNames.contains($0) }.sorted()
        guard unknown.isEmpty else { throw .unknownFields(unknown) }

        var update = DimensionUpdate()
        update.desiredCapacity = try number(object, "desiredCapacity")
        update.actualCapacity = try number(object, "actualCapacity")
        if let status = object["scalingStatus"] {
            guard case .string(let text) = status, let parsed = ScalingStatus(rawValue: text) else {
                throw .invalidUpdate("scalingStatus must be one of Pending, InProgress, Successful, Failed")
            }
            update.scalingStatus = parsed
        }
        switch object["failureReason"] {
        case nil: break
        case .null?: update.failureReason = .some(nil)
        case .string(let text)?: update.failureReason = .some(text)
        case let other?: throw .invalidUpdate("failureReason must be a string or null, not \(other.typeName)")
        }
        return update
    }

    private static func number(_ object: [String: JSONValue], _ name: String) throws(ScalingError) -> Double? {
        guard let value = object[name] else { return nil }
        guard case .number(let number) = value else {
            throw .invalidUpdate("\(name) must be a number, not \(value.typeName)")
        }
        return number
    }

    /// RFC 9110 §8.3: the media type is compared case-insensitively, parameters (charset) are allowed.
    static func isJSON(contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        return mediaType.trimmingSpaces().lowercased() == "application/json"
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var trimmed = self
        while let first = trimmed.first, first == " " || first == "\t" { trimmed.removeFirst() }
        while let last = trimmed.last, last == " " || last == "\t" { trimmed.removeLast() }
        return trimmed
    }
}
