import HTTP1
import HTTPServer
import Scaling
import StoreContract
import SystemIO

/// One long-poll: a GET in production mode with `If-None-Match` naming revisions and `Prefer: wait=N`. It
/// answers `200` as soon as the dimension is at another revision, changed through this instance or another (with
/// `Preference-Applied: wait=N` when it did wait), and `304` once N seconds pass with no change, or at once when the server shuts down
/// (its connection expires the deferred response). Woken by `DimensionWaiters`; every read runs on the
/// connection's loop, as the route's own do.
final class LongPoll: Sendable {
    private let routes: DimensionRoutes
    private let waiters: DimensionWaiters
    private let id: DimensionID
    /// The revisions the client has: a read that finds one of them goes on waiting.
    private let revisions: [UInt64]
    private let seconds: Int
    private let state: Locked<State>

    private struct State {
        var promise: ResponsePromise?
        var token: UInt64 = 0
        /// The ETag of the state last read, for the `304`.
        var entityTag: String
        /// A read found the state the client has: the request waits, and its answer says so.
        var waited = false
    }

    private init(routes: DimensionRoutes, waiters: DimensionWaiters, id: DimensionID, revisions: [UInt64], seconds: Int) {
        self.routes = routes
        self.waiters = waiters
        self.id = id
        self.revisions = revisions
        self.seconds = seconds
        state = Locked(State(entityTag: ConditionalRequest.entityTag(revisions[0])))
    }

    /// Starts waiting, and reads the dimension once registered (so no change can fall between the read and the
    /// registration). false when `--max-waiting` requests wait already: the request is answered at once instead.
    static func start(routes: DimensionRoutes, waiters: DimensionWaiters, id: DimensionID, revisions: [UInt64],
                      seconds: Int, context: RequestContext) -> Bool {
        let poll = LongPoll(routes: routes, waiters: waiters, id: id, revisions: revisions, seconds: seconds)
        guard let token = waiters.add(id, DimensionWaiters.Waiter(revisions: revisions, wake: { poll.read() })) else {
            return false
        }
        let promise = context.deferResponse(expiringAfter: Int64(seconds) * 1000) { poll.expire() }
        poll.state.withLock { state in
            state.promise = promise
            state.token = token
        }
        poll.read()
        return true
    }

    /// Reads the dimension on the connection's loop, and answers if it changed.
    private func read() {
        guard let promise = state.withLock({ $0.promise }) else { return }
        promise.onLoop {
            if let result = self.routes.store.unchangedResult(self.id, self.routes.observe) {
                self.consider(.success(result))
                return
            }
            self.routes.store.update(self.id, self.routes.observe) { outcome in
                promise.onLoop { self.consider(outcome) }
            }
        }
    }

    /// On the loop: a state the client has goes on waiting (its transition-log place is passed, as nobody is
    /// answered with it); anything else is the answer.
    private func consider(_ outcome: Result<DimensionChange, ScalingError>) {
        switch outcome {
        case .success(let result) where revisions.contains(result.after.revision):
            if let numbers = result.numbers { routes.transitions.pass(id: id, numbers: numbers) }
            state.withLock { state in
                state.entityTag = ConditionalRequest.entityTag(result.after.revision)
                state.waited = true
            }
        case .success(let result):
            var response = routes.answer(result, id: id, update: nil, body: [], notModified: nil)
            if state.withLock({ $0.waited }) { response.headers.append(applied) }
            finish(response)
        case .failure(let error):
            finish(APIError.response(for: error))
        }
    }

    private func finish(_ response: HTTPResponse) {
        let (promise, token) = state.withLock { ($0.promise, $0.token) }
        waiters.remove(id, token)
        promise?.succeed(response)
    }

    /// The connection's answer when the wait is over with no change (or the server shuts down).
    private func expire() -> HTTPResponse {
        let (token, entityTag) = state.withLock { ($0.token, $0.entityTag) }
        waiters.remove(id, token)
        return HTTPResponse(status: .notModified, headers: [(name: "ETag", value: entityTag), applied])
    }

    private var applied: (name: String, value: String) { (name: "Preference-Applied", value: "wait=\(seconds)") }
}
