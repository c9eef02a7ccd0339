import HTTP1
import SystemIO

/// Whether a connection speaks TLS, and whom it trusts.
public enum ClientSecurity: Sendable, Equatable {
    case plain
    /// The server's certificate verified against the system's trust store, or `trustFile` (PEM) instead, and
    /// against the host name.
    case tls(trustFile: String?)
}

/// One HTTP/1.1 request on a connection of its own (the request says `Connection: close`), blocking the calling
/// thread: a deadline for the whole exchange (connect, handshake, write, read) and a size limit on the answer, so
/// a slow or hostile server can fail the exchange but never hold the thread or its memory. Redirects are answers
/// like any other: whether to follow one is the caller's business.
public struct HTTPExchange: Sendable {
    public var host: String
    public var port: Int
    public var security: ClientSecurity
    public var timeoutMilliseconds: Int64
    /// The whole answer, head and body, at most.
    public var maxResponseBytes: Int
    /// Why a resolved address must not be connected to (nil: it may); each address as 4 or 16 bytes.
    public var refuseAddress: (@Sendable ([UInt8]) -> String?)?

    public init(host: String, port: Int, security: ClientSecurity, timeoutMilliseconds: Int64, maxResponseBytes: Int,
                refuseAddress: (@Sendable ([UInt8]) -> String?)? = nil) {
        self.host = host
        self.port = port
        self.security = security
        self.timeoutMilliseconds = timeoutMilliseconds
        self.maxResponseBytes = maxResponseBytes
        self.refuseAddress = refuseAddress
    }

    /// Sends `request` (a whole HTTP/1.1 message) and reads the answer to a request of `method`.
    public func send(_ request: [UInt8], method: HTTPMethod) throws(HTTPClientError) -> ReceivedResponse {
        let deadline = Clock.monotonicMilliseconds() + timeoutMilliseconds
        let connection = try PersistentConnection(host: host, port: port, security: security, deadline: deadline,
                                                  refuseAddress: refuseAddress)
        return try connection.send(request, method: method, deadline: deadline, maxResponseBytes: maxResponseBytes)
    }
}
