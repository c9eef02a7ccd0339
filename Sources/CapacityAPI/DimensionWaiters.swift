import StoreContract
import Scaling
import SystemIO

/// Requests waiting for a dimension to change (long-polls, `Prefer: wait`), by id, shared by every event loop.
/// The store's change observer wakes them (`storeChanged`); each woken request reads its dimension again on its
/// own loop and answers if it changed. A waiting request holds no thread: it is an entry here and a deferred
/// response that its connection expires. At most `limit` wait at once (`--max-waiting`).
public final class DimensionWaiters: Sendable {
    struct Waiter: Sendable {
        /// The revisions the client has (its `If-None-Match`): a change to one of them wakes nothing.
        let revisions: [UInt64]
        let wake: @Sendable () -> Void
    }

    private struct State {
        var byID: [DimensionID: [UInt64: Waiter]] = [:]
        var count = 0
        var lastToken: UInt64 = 0
    }

    private let state = Locked(State())
    public let limit: Int

    public init(limit: Int) {
        self.limit = limit
    }

    /// The requests waiting now.
    public var count: Int { state.withLock { $0.count } }

    /// Registers a waiter of `id`; nil when `limit` wait already.
    func add(_ id: DimensionID, _ waiter: Waiter) -> UInt64? {
        state.withLock { state in
            guard state.count < limit else { return nil }
            state.lastToken += 1
            state.byID[id, default: [:]][state.lastToken] = waiter
            state.count += 1
            return state.lastToken
        }
    }

    /// Removes the waiter `token` of `id`, if it still waits.
    func remove(_ id: DimensionID, _ token: UInt64) {
        state.withLock { state in
            guard state.byID[id]?.removeValue(forKey: token) != nil else { return }
            state.count -= 1
            if state.byID[id]?.isEmpty == true { state.byID[id] = nil }
        }
    }

    /// What the store's observer calls: wakes the waiters of a changed id (those that do not have its new
    /// revision already), or every waiter when the store may have missed changes.
    public func storeChanged(_ change: StoreChange) {
        let woken: [Waiter] = state.withLock { state in
            switch change {
            case .changed(let id, let revision):
                return state.byID[id]?.values.filter { !$0.revisions.contains(revision) } ?? []
            case .unknown:
                return state.byID.values.flatMap(\.values)
            }
        }
        for waiter in woken { waiter.wake() }
    }
}
