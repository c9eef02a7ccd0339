import EventLoop
import HTTP1
import TLS

/// The application seen from the engine: one function from a request to a response. It runs on an event loop
/// thread, so it must not block; work that waits (an fsync) calls `context.deferResponse()`, returns nil, and
/// completes the promise later from any thread.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest, context: RequestContext) -> HTTPResponse?
    /// The response for a request the engine refused itself (parse errors, timeouts, overload).
    func errorResponse(status: HTTPStatus, message: String) -> HTTPResponse
}

/// What the engine knows about the connection a request arrived on, or, for a `LocalExchange`, what its caller
/// said. Valid only during `respond`.
public struct RequestContext {
    /// Where the request came from.
    enum Origin {
        case connection(Connection)
        case local(LocalExchange)
    }

    let origin: Origin

    public var peer: String {
        switch origin {
        case .connection(let connection): connection.peer
        case .local(let exchange): exchange.peer
        }
    }

    /// Whether the request came over TLS.
    public var isSecure: Bool {
        switch origin {
        case .connection(let connection): connection.transport.isSecure
        case .local(let exchange): exchange.isSecure
        }
    }

    /// The client certificate that verified against the trust file, if the client sent one.
    public var clientIdentity: ClientIdentity? {
        switch origin {
        case .connection(let connection): connection.transport.clientIdentity
        case .local(let exchange): exchange.clientIdentity
        }
    }

    /// Attaches a number of the responder's own to this request's access record (`AccessRecord.responderTag`):
    /// which of its routes served it, say, so its observer need not find that out again from the target.
    public func setResponderTag(_ tag: Int) {
        switch origin {
        case .connection(let connection): connection.setResponderTag(tag)
        case .local(let exchange): exchange.setResponderTag(tag)
        }
    }

    /// Promises a response that will be given later. The connection answers nothing else (pipelined requests
    /// wait) until it is fulfilled, so responses stay in order.
    public func deferResponse() -> ResponsePromise {
        switch origin {
        case .connection(let connection): connection.beginDeferredResponse(expiry: nil)
        case .local(let exchange): exchange.beginDeferredResponse(expiry: nil)
        }
    }

    /// Promises a response that the engine gives itself, `expired()`'s, if the promise is not fulfilled within
    /// `milliseconds`, or as soon as the server begins to shut down: what a request that waits for an event (a
    /// long-poll) takes, so that it holds no thread and no timer of its own, and never holds up a shutdown.
    /// `expired` runs on the connection's loop; it runs too, its answer unsent, when the connection closes first
    /// (a client that reset it), so that what it holds is let go.
    public func deferResponse(expiringAfter milliseconds: Int64,
                              expired: @escaping @Sendable () -> HTTPResponse) -> ResponsePromise {
        let expiry = DeferredExpiry(afterMilliseconds: milliseconds, response: expired)
        switch origin {
        case .connection(let connection): return connection.beginDeferredResponse(expiry: expiry)
        case .local(let exchange): return exchange.beginDeferredResponse(expiry: expiry)
        }
    }
}

/// When a deferred response expires, and what it is then.
struct DeferredExpiry {
    let afterMilliseconds: Int64
    let response: @Sendable () -> HTTPResponse
}

/// A response to be given later, from any thread. Fulfilling it twice, or after the connection closed, does nothing.
/// A value, kept inside whatever waits to answer rather than allocated on its own.
public struct ResponsePromise: Sendable {
    private enum Receiver: Sendable {
        /// The connection's loop takes the answer, if `token` still names the response it owes.
        case connection(EventLoop, LoopBound<Connection>, token: UInt64)
        case local(LocalExchange)
    }

    private let receiver: Receiver

    init(loop: EventLoop, connection: Connection, token: UInt64) {
        receiver = .connection(loop, LoopBound(connection), token: token)
    }

    init(exchange: LocalExchange) {
        receiver = .local(exchange)
    }

    /// Runs `body` on the connection's event loop: at once when called there, else as a task of the loop. What
    /// answers a request from another thread (a store's completion) builds the answer there, so the responder's
    /// code never runs on the other thread. A local exchange has no loop: `body` runs at once.
    public func onLoop(_ body: @escaping @Sendable () -> Void) {
        switch receiver {
        case .connection(let loop, _, _) where !loop.inEventLoop:
            loop.execute(body)
        default:
            body()
        }
    }

    public func succeed(_ response: consuming HTTPResponse) {
        switch receiver {
        case .connection(let loop, let connection, let token):
            // Fulfilled on the loop itself (the answer was ready at once): no hop through the task queue.
            if loop.inEventLoop {
                connection.value.finishDeferredResponse(consume response, token: token)
                return
            }
            let response = response
            loop.execute { connection.value.finishDeferredResponse(response, token: token) }
        case .local(let exchange):
            exchange.finishDeferredResponse(consume response)
        }
    }
}

extension HTTPResponder {
    /// What a request gets whose responder neither answered it nor took a promise.
    func missingResponse() -> HTTPResponse {
        errorResponse(status: .internalServerError, message: "Internal server error")
    }
}

/// A reference that may cross threads but is dereferenced only on the loop that owns it.
struct LoopBound<Value: AnyObject>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// One line's worth of facts about a finished request, for the access log.
public struct AccessRecord {
    /// The request answered; nil for one the engine refused before it was whole.
    public let request: HTTPRequest?
    public let status: Int
    public let bytes: Int
    public let durationMicroseconds: Int64
    public let peer: String
    /// The name of the listener that accepted the connection (`ListenerConfiguration.name`).
    public let listener: String
    /// The verified client certificate of an HTTPS request, if any.
    public let client: ClientIdentity?
    public let epochMilliseconds: Int64
    /// `epochMilliseconds` in RFC 3339, UTC: `2026-11-24T13:40:30.123Z`. Made once per millisecond by the loop
    /// (the records of one loop turn share its clock reading), empty when there is no access log.
    public let timestamp: [UInt8]
    /// What the responder added (`HTTPResponse.accessLogFields`).
    public let fields: [AccessLogField]
    /// What the responder attached with `RequestContext.setResponderTag`, if anything.
    public let responderTag: Int?

    /// The request's method, "-" for a refused request.
    public var method: String { request?.head.method.name ?? "-" }

    /// The request's target, "-" for a refused request: made when asked, where `withTarget` reads it in place.
    public var target: String { request?.head.target ?? "-" }

    public func withTarget<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        guard let request else { return ("-" as StaticString).withUTF8Buffer(body) }
        return request.head.withTarget(body)
    }
}

/// Formats access records; the engine buffers the lines per loop and writes them once per loop iteration. A class:
/// an existential of one is a reference, copied with a retain, where a struct's is copied through its witnesses.
public protocol AccessLogFormatter: AnyObject, Sendable {
    func append(_ record: AccessRecord, to buffer: inout [UInt8])
}

/// Sees every finished request, on its loop's thread (metrics); must be quick and must not block.
public protocol RequestObserver: AnyObject, Sendable {
    func observe(_ record: AccessRecord)
}
