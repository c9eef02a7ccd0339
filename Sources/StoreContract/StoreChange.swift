import Scaling
import SystemIO

/// A change a store made durable, as an observer (`DimensionStore.observeChanges`) learns of it: what wakes a
/// request waiting for a dimension to change. A signal, not the record: an observer reads the state it needs.
public enum StoreChange: Sendable, Equatable {
    /// `id` changed and is now at `revision`, or was deleted (revision 0).
    case changed(DimensionID, revision: UInt64)
    /// Changes may have been missed (a store shared by several processes lost the channel that tells it of the
    /// others' changes): whatever waits on a state should read it again.
    case unknown
}

/// Holds a store's one observer of changes, and tells it of them.
public final class ChangeObservers: Sendable {
    /// The closure inside a struct of its own: a bare function type kept in `Locked` and handed to `withLock`'s
    /// `inout` comes back wrapped in two more conversion thunks on every access, so each change told would call one
    /// pair of frames deeper than the last, until the thread's stack ran out.
    private struct Observer: Sendable {
        let body: @Sendable (StoreChange) -> Void
    }

    private let observer = Locked<Observer?>(nil)

    public init() {}

    public func set(_ body: @escaping @Sendable (StoreChange) -> Void) {
        observer.withLock { $0 = Observer(body: body) }
    }

    /// Tells the observer, if there is one, of each change in order. Never called with a store's lock held.
    public func tell(_ changes: [StoreChange]) {
        guard !changes.isEmpty, let observer = observer.withLock({ $0 }) else { return }
        for change in changes { observer.body(change) }
    }
}
