import HTTP1
import HTTPClient
import SystemIO

/// The connections one delivery thread keeps between attempts, at most one idle per receiver (by scheme, host and
/// port), so consecutive deliveries to a receiver skip the connect and TLS handshake. Not Sendable and without a
/// lock: the thread that owns it is the only one to use it. Its connections close when it is let go of.
public final class ReceiverConnections {
    private struct Idle {
        let connection: PersistentConnection
        let since: Int64
    }

    /// Below the idle timeouts servers commonly close at (Apache httpd's and Node.js's 5 s; nginx 75 s, load
    /// balancers a minute), so the receiver rarely closes one just as a delivery is sent on it: closing first is
    /// cheap, that race costs a write and a reconnect.
    public static let defaultIdleLimit = Duration.seconds(4)

    private let idleLimitMilliseconds: Int64
    private var idle: [String: Idle] = [:]

    public init(idleLimit: Duration = defaultIdleLimit) {
        let (seconds, attoseconds) = idleLimit.components
        idleLimitMilliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Sends `request` to `url`'s receiver on its kept connection if there is one, otherwise on a new one, and
    /// keeps the connection afterwards if the answer lets it persist. A kept connection the receiver had closed
    /// is replaced once, under the same deadline.
    func send(_ request: [UInt8], to url: HTTPURL, security: ClientSecurity, refuseAddress: (([UInt8]) -> String?)?,
              deadline: Int64, maxAnswerBytes: Int) throws(HTTPClientError) -> ReceivedResponse {
        let origin = "\(url.scheme.rawValue)://\(url.hostHeader)"
        closeIdle()
        if let kept = idle.removeValue(forKey: origin)?.connection {
            do throws(HTTPClientError) {
                return try exchange(request, on: kept, origin: origin, deadline: deadline, maxAnswerBytes: maxAnswerBytes)
            } catch .staleConnection {
                // Sent again on a new connection: safe, as delivery is at least once and receivers deduplicate by
                // webhook-id, should the receiver have taken the request in before it closed.
            }
        }
        let connection = try PersistentConnection(host: url.host, port: url.port, security: security,
                                                  deadline: deadline, refuseAddress: refuseAddress)
        return try exchange(request, on: connection, origin: origin, deadline: deadline, maxAnswerBytes: maxAnswerBytes)
    }

    /// Closes the connections idle for longer than the limit.
    public func closeIdle() {
        let now = Clock.monotonicMilliseconds()
        idle = idle.filter { now - $0.value.since < idleLimitMilliseconds }
    }

    public func closeAll() {
        idle.removeAll()
    }

    /// One exchange; on any error the connection is let go of, and closes.
    private func exchange(_ request: [UInt8], on connection: PersistentConnection, origin: String, deadline: Int64,
                          maxAnswerBytes: Int) throws(HTTPClientError) -> ReceivedResponse {
        let response = try connection.send(request, method: .post, deadline: deadline, maxResponseBytes: maxAnswerBytes)
        if connection.isReusable { idle[origin] = Idle(connection: connection, since: Clock.monotonicMilliseconds()) }
        return response
    }
}
