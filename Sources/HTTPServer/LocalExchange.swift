import HTTP1
import SystemIO
import TLS

/// One request answered by a responder in this process, with no connection, socket or event loop: the responder
/// sees a `RequestContext` as it would on a connection (a peer, TLS or not, a verified client certificate), and
/// its answer, returned at once or given later through `RequestContext.deferResponse()` from any thread, is waited
/// for and handed back as the responder made it. What a program that holds a responder uses to ask it directly:
/// the API's test tier drives every route and policy this way. The connection's own work (parsing, `100
/// Continue`, compression, `Content-Length`, `Connection`, the access log) is not part of an exchange.
public final class LocalExchange: @unchecked Sendable {
    /// What answered the request.
    public struct Answer: Sendable {
        public let response: HTTPResponse
        /// What the responder attached with `RequestContext.setResponderTag`, if anything.
        public let responderTag: Int?
    }

    let peer: String
    let isSecure: Bool
    let clientIdentity: ClientIdentity?
    /// Guards `state`: a deferred answer may come from any thread.
    private let lock = ConditionLock()
    private var state = State()

    private struct State {
        var responderTag: Int?
        var deferred = false
        /// When a deferred response expires (monotonic microseconds), and its answer then.
        var expiry: (deadline: Int64, response: @Sendable () -> HTTPResponse)?
        /// The first answer: a promise fulfilled again, or after the responder returned its own, does nothing.
        var response: HTTPResponse?
    }

    private init(peer: String, isSecure: Bool, clientIdentity: ClientIdentity?) {
        self.peer = peer
        self.isSecure = isSecure
        self.clientIdentity = clientIdentity
    }

    /// Runs `responder` for `request` and waits up to `timeoutMilliseconds` for a deferred answer; nil if none
    /// came by then. As on a connection, a response the responder returns wins over its promise, and a responder
    /// that neither answers nor defers gets the engine's 500.
    public static func answer(_ request: HTTPRequest, by responder: HTTPResponder, peer: String,
                              isSecure: Bool = false, clientIdentity: ClientIdentity? = nil,
                              waitingAtMost timeoutMilliseconds: Int64) -> Answer? {
        let exchange = LocalExchange(peer: peer, isSecure: isSecure, clientIdentity: clientIdentity)
        let returned = responder.respond(to: request, context: RequestContext(origin: .local(exchange)))
        let deadline = Clock.monotonicMicroseconds() + timeoutMilliseconds * 1000
        exchange.lock.withLock {
            if let returned {
                exchange.state.response = returned
            } else if !exchange.state.deferred {
                exchange.state.response = responder.missingResponse()
            }
        }
        // An expired answer is made outside the lock, as a loop makes it outside the promise's path.
        while let expired = exchange.waitForAnswer(until: deadline) { exchange.finishDeferredResponse(expired()) }
        return exchange.lock.withLock {
            exchange.state.response.map { Answer(response: $0, responderTag: exchange.state.responderTag) }
        }
    }

    /// Waits until there is an answer or `deadline` passes (nil), or the deferred response expires: then its
    /// expired answer, for the caller to make.
    private func waitForAnswer(until deadline: Int64) -> (@Sendable () -> HTTPResponse)? {
        lock.withLock {
            while state.response == nil {
                let now = Clock.monotonicMicroseconds()
                if let expiry = state.expiry, now >= expiry.deadline {
                    state.expiry = nil
                    return expiry.response
                }
                guard now < deadline else { return nil }
                lock.wait(untilMonotonicMicroseconds: min(deadline, state.expiry?.deadline ?? deadline))
            }
            return nil
        }
    }

    func setResponderTag(_ tag: Int) {
        lock.withLock { state.responderTag = tag }
    }

    func beginDeferredResponse(expiry: DeferredExpiry?) -> ResponsePromise {
        lock.withLock {
            state.deferred = true
            state.expiry = expiry.map { (Clock.monotonicMicroseconds() + $0.afterMilliseconds * 1000, $0.response) }
        }
        return ResponsePromise(exchange: self)
    }

    func finishDeferredResponse(_ response: consuming HTTPResponse) {
        let response = response
        lock.withLock {
            guard state.response == nil else { return }
            state.response = response
            lock.signal()
        }
    }
}
