import JSON
import Scaling
import StoreContract

/// An outbox entry as the file store writes it (`RecordFormat`): `{"event": {…}}` holds an entry's whole state
/// (written with its change, and again at each settlement: replaying it twice is harmless), `{"deliveredEvent":
/// {…}}` its removal. The states inside are `RecordJSON`'s.
enum EventRecordJSON {
    static let eventKey = "event"
    static let deliveredKey = "deliveredEvent"

    static func encode(_ entry: OutboxEntry) -> [UInt8] {
        var out = Array("{\"\(eventKey)\": ".utf8)
        appendKey(entry.event.key, to: &out)
        out.removeLast()  // the key's closing brace: the entry's members follow
        out.append(contentsOf: ", \"time\": ".utf8)
        JSONWriter.appendInteger(Int(entry.event.epochMilliseconds), to: &out)
        out.append(contentsOf: ", \"attempts\": ".utf8)
        JSONWriter.appendInteger(entry.attempts, to: &out)
        out.append(contentsOf: ", \"due\": ".utf8)
        JSONWriter.appendInteger(Int(entry.dueAt), to: &out)
        out.append(contentsOf: ", \"dropped\": \(entry.dropped)".utf8)
        out.append(contentsOf: ", \"dimension\": ".utf8)
        out.append(contentsOf: RecordJSON.encode(entry.event.dimension))
        out.append(contentsOf: ", \"previous\": ".utf8)
        if let previous = entry.event.previous {
            out.append(contentsOf: RecordJSON.encode(previous))
        } else {
            out.append(contentsOf: "null".utf8)
        }
        out.append(contentsOf: "}}".utf8)
        return out
    }

    static func encodeDelivered(_ key: EventKey) -> [UInt8] {
        var out = Array("{\"\(deliveredKey)\": ".utf8)
        appendKey(key, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `{"scalableTargetDimensionId": …, "revision": …, "receiver": …}`
    private static func appendKey(_ key: EventKey, to out: inout [UInt8]) {
        out.append(contentsOf: "{\"scalableTargetDimensionId\": ".utf8)
        JSONWriter.appendString(key.id.value, to: &out)
        out.append(contentsOf: ", \"revision\": ".utf8)
        JSONWriter.appendInteger(Int(key.revision), to: &out)
        out.append(contentsOf: ", \"receiver\": ".utf8)
        JSONWriter.appendString(key.receiver, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// The record an object with one `event` or `deliveredEvent` member holds; nil for any other object.
    static func decode(_ object: [String: JSONValue]) throws(RecordJSON.DecodeError) -> StoredRecord? {
        guard object.count == 1 else { return nil }
        if case .object(let members)? = object[deliveredKey] {
            return .eventDelivered(try key(members))
        }
        guard case .object(let members)? = object[eventKey] else { return nil }
        let key = try key(members)
        guard case .object(let state)? = members["dimension"] else {
            throw RecordJSON.DecodeError(description: "an event's dimension is missing")
        }
        let dimension = try RecordJSON.decode(state)
        let previous: Dimension?
        switch members["previous"] {
        case .object(let state)?: previous = try RecordJSON.decode(state)
        case .null?: previous = nil
        default: throw RecordJSON.DecodeError(description: "an event's previous state is missing")
        }
        guard dimension.id == key.id, dimension.revision == key.revision, previous.map({ $0.id == key.id }) ?? true else {
            throw RecordJSON.DecodeError(description: "an event's states do not match its id and revision")
        }
        guard case .bool(let dropped)? = members["dropped"] else {
            throw RecordJSON.DecodeError(description: "an event's dropped is missing")
        }
        let event = DimensionEvent(dimension: dimension, previous: previous, epochMilliseconds: try integer(members, "time"),
                                   receiver: key.receiver)
        return .event(OutboxEntry(event: event, attempts: Int(try integer(members, "attempts")),
                                  dueAt: try integer(members, "due"), dropped: dropped))
    }

    private static func key(_ members: [String: JSONValue]) throws(RecordJSON.DecodeError) -> EventKey {
        guard case .string(let text)? = members["scalableTargetDimensionId"], let id = try? DimensionID(text),
              case .string(let receiver)? = members["receiver"] else {
            throw RecordJSON.DecodeError(description: "an event's id or receiver is missing")
        }
        return EventKey(id: id, revision: UInt64(try integer(members, "revision")), receiver: receiver)
    }

    private static func integer(_ members: [String: JSONValue], _ name: String) throws(RecordJSON.DecodeError) -> Int64 {
        guard case .number(let number)? = members[name], number >= 0, number <= RecordFormat.maxRevision,
              number.rounded() == number else {
            throw RecordJSON.DecodeError(description: "an event's \(name) is not a whole number >= 0")
        }
        return Int64(number)
    }
}
