import CapacityAPI
import JSON
import StoreContract
import SystemIO

/// A dimension event as a webhook carries it:
///
/// ```json
/// {"type": "dimension.changed", "timestamp": "<RFC 3339>",
///  "data": {"scalableTargetDimensionId": "…", "revision": 7, "dimension": {…}, "previous": {…} or null}}
/// ```
///
/// The states are the API's JSON (`DimensionJSON`), the timestamp is when the change was made.
public enum DimensionEventJSON {
    public static let type = "dimension.changed"

    public static func encode(_ event: DimensionEvent) -> [UInt8] {
        var out = Array("{\"type\": \"\(type)\", \"timestamp\": \"".utf8)
        WallClock.appendISO8601(epochMilliseconds: event.epochMilliseconds, to: &out)
        out.append(contentsOf: "\", \"data\": {\"scalableTargetDimensionId\": ".utf8)
        JSONWriter.appendString(event.dimension.id.value, to: &out)
        out.append(contentsOf: ", \"revision\": ".utf8)
        JSONWriter.appendInteger(Int(event.dimension.revision), to: &out)
        out.append(contentsOf: ", \"dimension\": ".utf8)
        out.append(contentsOf: DimensionJSON.encode(event.dimension))
        out.append(contentsOf: ", \"previous\": ".utf8)
        out.append(contentsOf: event.previous.map(DimensionJSON.encode) ?? Array("null".utf8))
        out.append(contentsOf: "}}".utf8)
        return out
    }
}
