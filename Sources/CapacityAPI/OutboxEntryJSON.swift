import Crypto
import JSON
import StoreContract
import SystemIO

/// An outbox entry as the admin routes answer it and `capacityd webhooks list` prints it:
///
/// ```json
/// {"webhookId": "msg_…_7", "scalableTargetDimensionId": "…", "revision": 7, "receiver": "https://…",
///  "time": "<RFC 3339>", "attempts": 2, "dueAt": "<RFC 3339>", "dropped": false}
/// ```
///
/// `time` is when the change was made; `dueAt` when the next attempt is due (meaningless once dropped).
public enum OutboxEntryJSON {
    /// The event's `webhook-id`: the same on every attempt and for every receiver, and never the same for two
    /// events, since a revision never comes back for an id (and ids of any length or bytes give a short, visible
    /// one through their digest).
    public static func messageID(_ key: EventKey) -> String {
        "msg_" + SHA256.hexDigest(Array(key.id.value.utf8)).prefix(24) + "_" + String(key.revision)
    }

    public static func append(_ entry: OutboxEntry, to out: inout [UInt8]) {
        let key = entry.event.key
        out.append(contentsOf: "{\"webhookId\": ".utf8)
        JSONWriter.appendString(messageID(key), to: &out)
        out.append(contentsOf: ", \"scalableTargetDimensionId\": ".utf8)
        JSONWriter.appendString(key.id.value, to: &out)
        out.append(contentsOf: ", \"revision\": ".utf8)
        JSONWriter.appendInteger(Int(key.revision), to: &out)
        out.append(contentsOf: ", \"receiver\": ".utf8)
        JSONWriter.appendString(key.receiver, to: &out)
        out.append(contentsOf: ", \"time\": \"".utf8)
        WallClock.appendISO8601(epochMilliseconds: entry.event.epochMilliseconds, to: &out)
        out.append(contentsOf: "\", \"attempts\": ".utf8)
        JSONWriter.appendInteger(entry.attempts, to: &out)
        out.append(contentsOf: ", \"dueAt\": \"".utf8)
        WallClock.appendISO8601(epochMilliseconds: entry.dueAt, to: &out)
        out.append(contentsOf: "\", \"dropped\": \(entry.dropped)}".utf8)
    }

    /// The entries as a JSON array.
    public static func encode(_ entries: [OutboxEntry]) -> [UInt8] {
        var out = Array("[".utf8)
        for (index, entry) in entries.enumerated() {
            if index > 0 { out += Array(", ".utf8) }
            append(entry, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }
}
