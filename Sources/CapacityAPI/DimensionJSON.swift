import Bytes
import JSON
import Scaling

/// The API's JSON form of a dimension, its one encoder and one decoder: what the dimension and admin routes answer,
/// and what `capacityd dimensions` and `import` read. How it differs from the file store's records (`RecordJSON`)
/// and PostgreSQL's rows (`PostgresStore.appendState`):
///
/// - **Names**: AWS's camelCase members (`scalableTargetDimensionId`, `actualCapacity`, `failureReason`), as the
///   custom-resource API and `/openapi.json` name them; the id is a member.
/// - **Nulls**: `failureReason` is left out when there is none; reading, `null` is none too.
/// - **Numbers**: JSON numbers, whole ones as `2.0`, others in Swift's shortest round-trip digits (`JSONWriter`).
/// - **Versioning**: none in the document: it is the API's contract and changes with it. Reading, a document
///   without an id takes `fallbackID` (the old sample's files are named after their id instead), and text with
///   U+0000 is refused, as every store refuses it.
public enum DimensionJSON {
    public static func encode(_ dimension: Dimension) -> [UInt8] {
        var out: [UInt8] = []
        append(dimension, to: &out)
        return out
    }

    /// Every dimension answered is written by this, so the member names are literal bytes, and the document is
    /// written in one `append` (`ByteWriter`): its size is bounded by its strings' lengths.
    public static func append(_ dimension: Dimension, to out: inout [UInt8]) {
        // 320: the member names (160 bytes), two numbers and the status.
        let bound = 320 + JSONWriter.maxBytes(ofString: dimension.id.value)
            + JSONWriter.maxBytes(ofString: dimension.version) + JSONWriter.maxBytes(ofString: dimension.resourceName)
            + JSONWriter.maxBytes(ofString: dimension.dimensionName)
            + (dimension.failureReason.map(JSONWriter.maxBytes(ofString:)) ?? 0)
        ByteWriter.append(to: &out, atMost: bound) { out in
            out.append(#"{"scalableTargetDimensionId": "#)
            JSONWriter.appendString(dimension.id.value, to: &out)
            out.append(#", "version": "#)
            JSONWriter.appendString(dimension.version, to: &out)
            out.append(#", "resourceName": "#)
            JSONWriter.appendString(dimension.resourceName, to: &out)
            out.append(#", "dimensionName": "#)
            JSONWriter.appendString(dimension.dimensionName, to: &out)
            out.append(#", "actualCapacity": "#)
            JSONWriter.appendNumber(dimension.actualCapacity, to: &out)
            out.append(#", "desiredCapacity": "#)
            JSONWriter.appendNumber(dimension.desiredCapacity, to: &out)
            out.append(#", "scalingStatus": "#)
            JSONWriter.appendString(dimension.scalingStatus.rawValue, to: &out)
            if let reason = dimension.failureReason {
                out.append(#", "failureReason": "#)
                JSONWriter.appendString(reason, to: &out)
            }
            out.append(byte: UInt8(ascii: "}"))
        }
    }

    public struct DecodeError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads a dimension back; every field but `failureReason` is required. `fallbackID` serves documents that
    /// carry no id of their own (the old sample's files are named after their id instead).
    public static func decode(_ bytes: some Collection<UInt8>, fallbackID: DimensionID? = nil) throws(DecodeError) -> Dimension {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw DecodeError(description: "not JSON: \(error)")
        }
        guard case .object(let object) = value else { throw DecodeError(description: "not a JSON object") }
        func checked(_ text: String, _ name: String) throws(DecodeError) -> String {
            do {
                try Dimension.checkText(text, name: name)
            } catch {
                throw DecodeError(description: error.message)
            }
            return text
        }
        func string(_ name: String) throws(DecodeError) -> String {
            guard case .string(let text)? = object[name] else { throw DecodeError(description: "\(name) is missing or not a string") }
            return try checked(text, name)
        }
        func number(_ name: String) throws(DecodeError) -> Double {
            guard case .number(let number)? = object[name], number.isFinite, number >= 0 else {
                throw DecodeError(description: "\(name) is missing or not a number >= 0")
            }
            return number
        }
        let id: DimensionID
        if object["scalableTargetDimensionId"] == nil, let fallbackID {
            id = fallbackID
        } else {
            let text = try string("scalableTargetDimensionId")
            do {
                id = try DimensionID(text)
            } catch {
                throw DecodeError(description: error.message)
            }
        }
        guard let status = ScalingStatus(rawValue: try string("scalingStatus")) else {
            throw DecodeError(description: "scalingStatus is not one of Pending, InProgress, Successful, Failed")
        }
        var reason: String?
        switch object["failureReason"] {
        case .string(let text)?: reason = try checked(text, "failureReason")
        case .null?, nil: reason = nil
        default: throw DecodeError(description: "failureReason is not a string")
        }
        return Dimension(id: id, version: try string("version"), resourceName: try string("resourceName"),
                         dimensionName: try string("dimensionName"), actualCapacity: try number("actualCapacity"),
                         desiredCapacity: try number("desiredCapacity"), scalingStatus: status, failureReason: reason)
    }
}
