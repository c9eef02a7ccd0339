import HTTP1
import JSON
import Scaling

/// Turns a PATCH body into a `DimensionUpdate`: a JSON object with only known fields of the right types.
/// The domain then checks the values against the mode (`DimensionUpdate.validate`).
public enum UpdateDecoder {
    public static func decode(_ body: [UInt8]) throws(ScalingError) -> DimensionUpdate {
        let object = try JSONBody.object(body, allowed: DimensionUpdate.fieldNames)
        return DimensionUpdate(desiredCapacity: try object.number("desiredCapacity"),
                               actualCapacity: try object.number("actualCapacity"),
                               scalingStatus: try object.scalingStatus("scalingStatus"),
                               failureReason: try object.nullableString("failureReason"))
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
