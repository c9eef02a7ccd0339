import HTTP1
import TLS

/// One listening address and what it serves: plain HTTP or HTTPS (with its own certificates), and the responder
/// that answers its requests. A server has as many as it likes, each configured on its own (the API on one port,
/// `/metrics` on another).
public struct ListenerConfiguration: Sendable {
    public var address: SocketAddress
    /// nil: plain HTTP.
    public var tls: ReloadableTLSContext?
    public var responder: HTTPResponder
    /// What the listener is for, in the start-up line (`api`, `metrics`).
    public var name: String

    public init(name: String, address: SocketAddress, tls: ReloadableTLSContext? = nil, responder: HTTPResponder) {
        self.address = address
        self.tls = tls
        self.responder = responder
        self.name = name
    }
}

/// The limits and timeouts every listener's connections share; each has a default and can be changed.
public struct ServerConfiguration: Sendable {
    /// Event loop threads; each has its own SO_REUSEPORT listener per address. Default: one per core.
    public var eventLoops: Int
    public var parserLimits: ParserLimits
    /// Open connections across all loops; one more is answered 503 and closed.
    public var maxConnections: Int
    /// Time allowed from a request's first byte to the end of its head (slowloris), in milliseconds.
    public var headerTimeoutMilliseconds: Int64
    /// Time allowed for a request body once the head is in.
    public var bodyTimeoutMilliseconds: Int64
    /// How long a keep-alive connection may sit between requests.
    public var idleTimeoutMilliseconds: Int64
    /// 75 s, nginx's default: longer than the 60 s load balancers (ALB, NLB, API Gateway's VPC link) keep idle
    /// connections to a target, so the balancer, not capacityd, closes an idle one. A backend that closes at the
    /// moment the balancer reuses the connection is the classic cause of intermittent 502s.
    public static let defaultIdleTimeoutMilliseconds: Int64 = 75_000
    /// How long a response may wait for a client that does not read it.
    public var writeTimeoutMilliseconds: Int64
    /// On SIGTERM: how long in-flight requests may take before connections are cut.
    public var shutdownGraceMilliseconds: Int64
    /// Smallest JSON or text body sent gzip-compressed to a client that accepts it; 0 turns compression off.
    public var gzipMinimumBytes: Int
    /// listen(2) backlog.
    public var backlog: Int32
    public var serverName: String

    public init(eventLoops: Int = 1, parserLimits: ParserLimits = ParserLimits(),
                maxConnections: Int = 10_000, headerTimeoutMilliseconds: Int64 = 10_000,
                bodyTimeoutMilliseconds: Int64 = 10_000, idleTimeoutMilliseconds: Int64 = ServerConfiguration.defaultIdleTimeoutMilliseconds,
                writeTimeoutMilliseconds: Int64 = 10_000, shutdownGraceMilliseconds: Int64 = 10_000,
                gzipMinimumBytes: Int = 1024, backlog: Int32 = 1024, serverName: String = "capacityd") {
        self.eventLoops = eventLoops
        self.parserLimits = parserLimits
        self.maxConnections = maxConnections
        self.headerTimeoutMilliseconds = headerTimeoutMilliseconds
        self.bodyTimeoutMilliseconds = bodyTimeoutMilliseconds
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
        self.writeTimeoutMilliseconds = writeTimeoutMilliseconds
        self.shutdownGraceMilliseconds = shutdownGraceMilliseconds
        self.gzipMinimumBytes = gzipMinimumBytes
        self.backlog = backlog
        self.serverName = serverName
    }
}
