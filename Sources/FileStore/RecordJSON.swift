import JSON
import Scaling

/// A dimension as the file store writes it, the JSON of a record line (`RecordFormat`): the store's one encoder
/// and one decoder. It is the store's own codec, not the API's `DimensionJSON`: what is on disk must stay readable
/// whatever the API comes to accept or answer. How it differs from the API's JSON and PostgreSQL's rows
/// (`PostgresStore.appendState`):
///
/// - **Names**: the API's member names in the API's order, so `cut -d' ' -f2- | jq` on the files shows what
///   clients see; spelled here, not taken from the API, so a change of the API's names changes no file.
/// - **Nulls**: `failureReason` is left out when there is none; reading, `null` is none too.
/// - **Numbers**: JSON numbers, whole ones as `2.0`, others in Swift's shortest round-trip digits (`JSONWriter`).
/// - **Revision**: a last member the API's JSON does not have, `revision`, left out for a state no store has
///   written. A record without one (written before the store kept revisions) gets one when it is read back, in
///   file order (`FileStore.Replay`).
/// - **Versioning**: none in the object: a line is a checksum and this object, a deletion (`deletedDimensionId`)
///   or the revision counter a snapshot starts with (`lastRevision`). Reading, every member but `failureReason`
///   and `revision` is required, the id too (no fallback), and text is taken as written (the store refused U+0000
///   before writing it); a record that does not validate is damage.
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
        if dimension.revision > 0 {
            member("revision") { JSONWriter.appendInteger(Int(dimension.revision), to: &$0) }
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
        return try decode(object)
    }

    /// A dimension from its parsed object (inside an event record, say).
    static func decode(_ object: [String: JSONValue]) throws(DecodeError) -> Dimension {
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
        let revision: UInt64
        switch object["revision"] {
        case nil: revision = 0
        case .number(let number)? where number >= 1 && number <= RecordFormat.maxRevision && number.rounded() == number:
            revision = UInt64(number)
        default: throw DecodeError(description: "revision is not a whole number >= 1")
        }
        return Dimension(id: id, version: try string("version"), resourceName: try string("resourceName"),
                         dimensionName: try string("dimensionName"), actualCapacity: try capacity("actualCapacity"),
                         desiredCapacity: try capacity("desiredCapacity"), scalingStatus: status, failureReason: reason,
                         revision: revision)
    }
}
