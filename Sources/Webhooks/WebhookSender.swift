import HTTP1
import HTTPClient
import SystemIO

/// One delivery attempt: a signed `POST`, on the calling thread's kept connection to the receiver or a new one,
/// blocking the thread (a delivery thread, never an event loop) for at most `timeout`, connecting included. Only
/// a 2xx delivers (Standard Webhooks' rule); redirects are not followed but fail the attempt, so a receiver cannot
/// send the signed body elsewhere. The answer is read up to `maxAnswerBytes` only (its body is never used); a
/// longer one fails the attempt.
public struct WebhookSender: Sendable {
    public var timeout: Duration
    public var maxAnswerBytes: Int
    /// A PEM file trusted instead of the system's store for `https` receivers; the host name is verified either way.
    public var trustFile: String?

    public init(timeout: Duration = .seconds(10), maxAnswerBytes: Int = 64 << 10, trustFile: String? = nil) {
        self.timeout = timeout
        self.maxAnswerBytes = maxAnswerBytes
        self.trustFile = trustFile
    }

    /// `id`: the message's id, the same on every attempt (receivers deduplicate by it), visible ASCII.
    /// `timestamp`: seconds since the epoch, this attempt's. `connections`: the calling thread's; by default
    /// none is kept after the attempt.
    public func deliver(_ body: [UInt8], id: String, timestamp: Int = Clock.epochSecondsCoarse(),
                        to endpoint: WebhookEndpoint, secret: WebhookSecret,
                        over connections: ReceiverConnections = ReceiverConnections()) -> DeliveryOutcome {
        let start = Clock.monotonicMicroseconds()
        func outcome(_ status: Int?, _ reason: String) -> DeliveryOutcome {
            DeliveryOutcome(status: status, reason: reason, elapsed: .microseconds(Clock.monotonicMicroseconds() - start))
        }
        guard !id.isEmpty, id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            return outcome(nil, "the message id is not visible ASCII")
        }
        let url = endpoint.url
        var head = "POST \(url.pathAndQuery) HTTP/1.1\r\nHost: \(url.hostHeader)\r\nUser-Agent: capacityd-webhook\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in secret.headers(id: id, timestamp: timestamp, body: body) { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        let components = timeout.components
        let deadline = start / 1000 + components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
        do {
            let response = try connections.send(
                Array(head.utf8) + body, to: url, security: url.scheme == .https ? .tls(trustFile: trustFile) : .plain,
                refuseAddress: endpoint.refusedAddress, deadline: deadline, maxAnswerBytes: maxAnswerBytes)
            switch response.status {
            case 200...299: return outcome(response.status, "status \(response.status)")
            case 300...399: return outcome(response.status, "status \(response.status): redirects are not followed")
            default: return outcome(response.status, "status \(response.status)")
            }
        } catch .timedOut {
            return outcome(nil, "no answer within \(timeout)")
        } catch {
            return outcome(nil, error.description)
        }
    }
}
