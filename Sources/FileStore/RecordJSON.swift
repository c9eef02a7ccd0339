import JSON
import Scaling

/// A dimension as the store writes it: a JSON object with the API's member names, so `cut -d' ' -f2- | jq` on
/// the files shows what clients see. It is the store's own codec, not the API's wire format: what is on disk
/// must stay readable whatever the API comes to accept or answer.
enum RecordJSON {
    static func encode(_ dimension: Dimension) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        func member(_ name: String, _ value: (inout [UInt8]) -> Void) {
            if out.count > 1 { out.append(contentsOf: ", ".utf8) }
            JSONWriter.appendName(name, to: &out)
            value(&out)
        }
        out.append(UInt8(ascii: "{"))
        member("scalableTargetDimensionId") { JSONWriter.appendString(dimension.id.value, to: &$0) }
        member("version") { JSONWriter.appendString(dimension.version, to: &$0) }
        member("resourceName") { JSONWriter.appendString(dimension.resourceName, to: &$0) }
        member("dimensionName") { JSONWriter.appendString(dimension.dimensionName, to: &$0) }
        member("actualCapacity") { JSONWriter.appendNumber(dimension.actualCapacity, to: &$0) }
        member("desiredCapacity") { JSONWriter.appendNumber(dimension.desiredCapacity, to: &$0) }
        member("scalingStatus") { JSONWriter.appendString(dimension.scalingStatus.rawValue, to: &$0) }
        if let reason = dimension.failureReason {
            member("failureReason") { JSONWriter.appendString(reason, to: &$0) }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    struct DecodeError: Error, CustomStringConvertible {
        let description: String
    }

    /// Every member but `failureReason` is required; a record that does not validate is damage.
    static func decode(_ bytes: some Collection<UInt8>) throws(DecodeError) -> Dimension {
        guard case .object(let object)? = try? JSONParser.parse(bytes) else {
            throw DecodeError(description: "not a JSON object")
        }
        func string(_ name: String) throws(DecodeError) -> String {
            guard case .string(let text)? = object[name] else { throw DecodeError(description: "\(name) is missing or not a string") }
            return text
        }
        func capacity(_ name: String) throws(DecodeError) -> Double {
            guard case .number(let number)? = object[name], number.isFinite, number >= 0 else {
                throw DecodeError(description: "\(name) is missing or not a number >= 0")
            }
            return number
        }
        guard let id = try? DimensionID(try string("scalableTargetDimensionId")) else {
            throw DecodeError(description: "scalableTargetDimensionId is not a valid id")
        }
        guard let status = ScalingStatus(rawValue: try string("scalingStatus")) else {
            throw DecodeError(description: "scalingStatus is not one of Pending, InProgress, Successful, Failed")
        }
        let reason: String?
        switch object["failureReason"] {
        case .string(let text)?: reason = text
        case .null?, nil: reason = nil
        default: throw DecodeError(description: "failureReason is not a string")
        }
        return Dimension(id: id, version: try string("version"), resourceName: try string("resourceName"),
                         dimensionName: try string("dimensionName"), actualCapacity: try capacity("actualCapacity"),
                         desiredCapacity: try capacity("desiredCapacity"), scalingStatus: status, failureReason: reason)
    }
}
