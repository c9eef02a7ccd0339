import CapacityAPI
import JSON
import StoreFactory

/// What `capacityd webhooks …` does: list the store's outbox of webhook events, read from the store (a file store
/// without its lock, as `dimensions list` reads it) or through a running server; resend a dropped event, through
/// a running server only, whose deliveries then attempt it at once.
public enum WebhookAdmin {
    public typealias Failure = DimensionAdmin.Failure
    public typealias Target = DimensionAdmin.Target

    /// One line per event, the oldest id and revision first: its webhook-id, id, revision, receiver, attempts made,
    /// and when the next is due or `dropped`.
    public static func list(_ target: Target, droppedOnly: Bool) throws(Failure) -> String {
        let body: [UInt8]
        let source: String
        switch target {
        case .store(let location):
            do {
                body = OutboxEntryJSON.encode(try location.durableOutbox().filter { $0.dropped || !droppedOnly })
            } catch {
                throw Failure(description: error.description)
            }
            source = location.description
        case .server(let url, let apiKey):
            body = try DimensionAdmin.call("GET", WebhookEventRoutes.prefix + (droppedOnly ? "?dropped=true" : ""),
                                           url: url, apiKey: apiKey)
            source = url
        }
        guard case .array(let events)? = try? JSONParser.parse(body) else {
            throw Failure(description: "\(source): the answer is not a JSON array")
        }
        let rows = try events.map { event throws(Failure) in try row(event, from: source) }
        return DimensionAdmin.table([["WEBHOOK-ID", "ID", "REVISION", "RECEIVER", "ATTEMPTS", "DUE"]] + rows)
    }

    /// Makes the dropped event of `id` at `revision` for `receiver` pending again; the server's deliveries attempt
    /// it at once.
    public static func resend(id: String, revision: String, receiver: String, url: String,
                              apiKey: String?) throws(Failure) -> String {
        guard let number = UInt64(revision) else { throw Failure(description: "\(revision): a revision is a whole number") }
        var body = Array("{\"scalableTargetDimensionId\": ".utf8)
        JSONWriter.appendString(id, to: &body)
        body += Array(", \"revision\": \(number), \"receiver\": ".utf8)
        JSONWriter.appendString(receiver, to: &body)
        body.append(UInt8(ascii: "}"))
        let answer = try DimensionAdmin.call("POST", WebhookEventRoutes.prefix + "/resend", body: body, url: url,
                                             apiKey: apiKey)
        guard let event = try? JSONParser.parse(answer) else { throw Failure(description: "\(url): the answer is not JSON") }
        return "resent " + (try row(event, from: url))[0]
    }

    private static func row(_ event: JSONValue, from source: String) throws(Failure) -> [String] {
        guard case .object(let members) = event,
              case .string(let webhookID)? = members["webhookId"],
              case .string(let id)? = members["scalableTargetDimensionId"],
              case .number(let revision)? = members["revision"],
              case .string(let receiver)? = members["receiver"],
              case .number(let attempts)? = members["attempts"],
              case .string(let dueAt)? = members["dueAt"],
              case .bool(let dropped)? = members["dropped"],
              let revision = UInt64(exactly: revision), let attempts = Int(exactly: attempts) else {
            throw Failure(description: "\(source): unexpected event: \(event)")
        }
        return [webhookID, id, "\(revision)", receiver, "\(attempts)", dropped ? "dropped" : dueAt]
    }
}
