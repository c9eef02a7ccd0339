import CapacityAPI
import JSON
import StoreContract
import SystemIO
import Webhooks

/// One delivery attempt as the access log records it, a JSON line beside the requests':
/// `{"time": …, "webhook": URL, "webhookId": …, "scalableTargetDimensionId": …, "revision": N, "attempt": N,
/// "status": 200 or null, "durationMs": …, "outcome": "delivered"|"retry"|"dropped", "reason": …}`.
enum AttemptLine {
    static func encode(_ key: EventKey, attempt: Int, outcome: DeliveryOutcome, settlement: AttemptOutcome) -> [UInt8] {
        var out = Array("{\"time\": \"".utf8)
        WallClock.appendISO8601(epochMilliseconds: Clock.epochMilliseconds(), to: &out)
        out.append(contentsOf: "\", \"webhook\": ".utf8)
        JSONWriter.appendString(key.receiver, to: &out)
        out.append(contentsOf: ", \"webhookId\": ".utf8)
        JSONWriter.appendString(OutboxEntryJSON.messageID(key), to: &out)
        out.append(contentsOf: ", \"scalableTargetDimensionId\": ".utf8)
        JSONWriter.appendString(key.id.value, to: &out)
        out.append(contentsOf: ", \"revision\": ".utf8)
        JSONWriter.appendInteger(Int(key.revision), to: &out)
        out.append(contentsOf: ", \"attempt\": ".utf8)
        JSONWriter.appendInteger(attempt, to: &out)
        out.append(contentsOf: ", \"status\": ".utf8)
        if let status = outcome.status { JSONWriter.appendInteger(status, to: &out) } else { out.append(contentsOf: "null".utf8) }
        out.append(contentsOf: ", \"durationMs\": ".utf8)
        let (seconds, attoseconds) = outcome.elapsed.components
        JSONWriter.appendInteger(Int(seconds * 1000 + attoseconds / 1_000_000_000_000_000), to: &out)
        let name = switch settlement {
        case .delivered: "delivered"
        case .retry: "retry"
        case .dropped: "dropped"
        }
        out.append(contentsOf: ", \"outcome\": \"\(name)\", \"reason\": ".utf8)
        JSONWriter.appendString(outcome.reason, to: &out)
        out.append(contentsOf: "}\n".utf8)
        return out
    }
}
