import HTTP1

/// HTTP/1.1 requests one after the other on one connection (RFC 9112 §9.3), plain or TLS, each blocking the
/// calling thread under a deadline of its own and a size limit on its answer. The answer's framing decides
/// whether the connection may carry the next request (`ReceivedResponse.keepAlive`); any error ends it. Not
/// Sendable: one thread uses it at a time, and it is closed when let go of.
public final class PersistentConnection {
    private let connection: ClientConnection
    /// Exchanges answered on this connection so far.
    private var answered = 0

    /// Whether another request may be sent: after an answer that lets the connection persist and nothing after it.
    public private(set) var isReusable = true

    /// Connects (and, for TLS, shakes hands) before `deadline`, on `Clock.monotonicMilliseconds()`.
    /// `refuseAddress`: why a resolved address must not be used (nil: it may); each address as 4 or 16 bytes in
    /// network order.
    public init(host: String, port: Int, security: ClientSecurity, deadline: Int64,
                refuseAddress: (([UInt8]) -> String?)? = nil) throws(HTTPClientError) {
        connection = try ClientConnection(host: host, port: port, security: security, deadline: deadline,
                                          refuse: refuseAddress)
    }

    /// Sends `request` (a whole HTTP/1.1 message) and reads the answer to a request of `method`, the whole of it
    /// (head and body) at most `maxResponseBytes`, before `deadline`. Throws `.staleConnection` when the
    /// connection had carried an earlier exchange and the write failed or the server closed or reset it before
    /// any byte of the answer: it may have closed it as idle while the request was on its way.
    public func send(_ request: [UInt8], method: HTTPMethod, deadline: Int64,
                     maxResponseBytes: Int) throws(HTTPClientError) -> ReceivedResponse {
        guard isReusable else { throw .failed("the connection cannot carry another request") }
        isReusable = false
        connection.deadline = deadline
        var answer: [UInt8] = []
        do throws(HTTPClientError) {
            try connection.write(request)
            var parser = ResponseParser(requestMethod: method, limits: ParserLimits(maxBodyBytes: maxResponseBytes))
            while true {
                // The whole answer is bounded, not only its body: chunk extensions and trailers take room too.
                let count = try connection.read(into: &answer, limit: maxResponseBytes + 1 - answer.count)
                if count == 0 && answer.isEmpty && answered > 0 { throw .staleConnection("closed by the server") }
                // A server that keeps the connection open despite `Connection: close` is not waited for.
                switch count == 0 ? answer.withUnsafeBufferPointer({ parser.finish($0) })
                                  : answer.withUnsafeBufferPointer({ parser.parse($0) }) {
                case .complete(let response, let consumed):
                    answered += 1
                    // Bytes past the answer were never asked for: the connection is out of step.
                    isReusable = response.keepAlive && count > 0 && consumed == answer.count
                    return response
                case .invalid(let error): throw .badAnswer("\(error)")
                case .incomplete: break
                }
                guard answer.count <= maxResponseBytes else { throw .tooLarge(maxResponseBytes) }
            }
        } catch .failed(let reason) where answered > 0 && answer.isEmpty {
            throw .staleConnection(reason)
        }
    }
}
