import Scaling
import SystemIO

/// The contract's reference implementation, keeping nothing: dimensions live in this process's memory and are
/// gone when it exits. For tests, fuzzing and throwaway demos. Every operation completes before it returns.
public final class MemoryStore: DimensionStore {
    private struct State {
        var dimensions: [DimensionID: KnownDimension] = [:]
        /// The number of the last result given.
        var number: UInt64 = 0
        /// The number of a deleted id's latest result, until it is created again: what follows a deletion follows
        /// the results before it.
        var deletedNumbers: [DimensionID: UInt64] = [:]
        var revisions = RevisionCounter()
        var outbox = OutboxTable()
        var writes: UInt64 = 0
        var failedWrites: UInt64 = 0
        var lastFailure: String?
        var closed = false
    }

    private let state = Locked(State())
    private let observers = ChangeObservers()
    /// A test seam: asked before each write; a cause makes that write fail (nothing changes), nil lets it through.
    private let writeFault: (@Sendable () -> String?)?
    /// The webhook receivers each change makes an event for.
    private let receivers: [String]

    public init(_ dimensions: [Dimension] = [], receivers: [String] = [], writeFault: (@Sendable () -> String?)? = nil) {
        self.writeFault = writeFault
        self.receivers = receivers
        state.withLock { state in
            for dimension in dimensions { state.revisions.observe(dimension.revision) }
            for dimension in dimensions {
                // A state no store has written gets its first revision, as if it had been written here.
                let stored = dimension.revision > 0 ? dimension : state.revisions.stamp(dimension, before: nil)
                state.dimensions[dimension.id] = KnownDimension(stored, number: 0)
            }
        }
    }

    public func dimension(_ id: DimensionID, completion: @escaping @Sendable (Result<Dimension?, StoreError>) -> Void) {
        completion(.success(state.withLock { $0.dimensions[id]?.dimension }))
    }

    /// Every write is made before `update` returns: nothing is ever on its way.
    public func unchangedResult(_ id: DimensionID, _ transition: some DimensionTransition) -> DimensionChange? {
        state.withLock { state in
            guard let known = state.dimensions[id], (try? transition.next(known.dimension, id: id)) == known.dimension
            else { return nil }
            return Self.numberResult(id, before: known.dimension, after: known.dimension, &state)
        }
    }

    /// Gives the next number to a result of `id`, and keeps `after` with it.
    private static func numberResult(_ id: DimensionID, before: Dimension?, after: Dimension,
                                     _ state: inout State) -> DimensionChange {
        state.number += 1
        let previous = state.dimensions[id]?.number ?? state.deletedNumbers.removeValue(forKey: id) ?? 0
        state.dimensions[id] = KnownDimension(after, number: state.number)
        return DimensionChange(before: before, after: after, numbers: ChangeNumbers(before: previous, after: state.number))
    }

    public func allDimensions(completion: @escaping @Sendable (Result<[Dimension], StoreError>) -> Void) {
        completion(.success(state.withLock { $0.dimensions.values.map(\.dimension).sorted { $0.id < $1.id } }))
    }

    public func update(_ id: DimensionID, _ transition: some DimensionTransition,
                       completion: @escaping @Sendable (Result<DimensionChange, ScalingError>) -> Void) {
        let outcome: Result<DimensionChange, ScalingError> = state.withLock { state in
            let before = state.dimensions[id]?.dimension
            var after: Dimension
            do throws(ScalingError) {
                after = try transition.next(before, id: id)
            } catch {
                return .failure(error)
            }
            if let before, after == before {
                after = before  // what is stored, with its revision
            } else {
                if let failure = write(&state) { return .failure(.store(failure)) }
                after = state.revisions.stamp(after, before: before)
                let now = Clock.epochMilliseconds()
                for receiver in receivers {
                    let event = DimensionEvent(dimension: after, previous: before, epochMilliseconds: now, receiver: receiver)
                    state.outbox.apply(.replace(OutboxEntry(event: event, dueAt: now)))
                }
            }
            return .success(Self.numberResult(id, before: before, after: after, &state))
        }
        completion(outcome)
        if case .success(let change) = outcome, change.changed {
            observers.tell([.changed(id, revision: change.after.revision)])
        }
    }

    public func delete(_ id: DimensionID, completion: @escaping @Sendable (Result<Dimension, StoreError>) -> Void) {
        let outcome: Result<Dimension, StoreError> = state.withLock { state in
            guard let known = state.dimensions[id] else { return .failure(.notFound(id)) }
            if let failure = write(&state) { return .failure(failure) }
            state.dimensions[id] = nil
            state.deletedNumbers[id] = known.number
            return .success(known.dimension)
        }
        completion(outcome)
        if case .success = outcome { observers.tell([.changed(id, revision: 0)]) }
    }

    public func observeChanges(_ observer: @escaping @Sendable (StoreChange) -> Void) {
        observers.set(observer)
    }

    public var outbox: (any EventOutbox)? { self }

    /// Counts a write, or says why it fails.
    private func write(_ state: inout State) -> StoreError? {
        if state.closed { return .unavailable(cause: "the store is closed") }
        if let cause = writeFault?() {
            state.failedWrites += 1
            state.lastFailure = cause
            return .unavailable(cause: cause)
        }
        state.writes += 1
        state.lastFailure = nil
        return nil
    }

    public var health: StoreHealth {
        state.withLock { state in
            StoreHealth(problem: state.lastFailure.map { "the last store write failed: \($0)" }, figures: [.recordsWritten(state.writes), .failedWrites(state.failedWrites)])
        }
    }

    public func close() {
        state.withLock { $0.closed = true }
    }
}

extension MemoryStore: EventOutbox {
    public func claimDue(now: Int64, limit: Int, leaseMilliseconds: Int64) -> Result<[OutboxEntry], StoreError> {
        .success(state.withLock { $0.outbox.claimDue(now: now, limit: limit, leaseMilliseconds: leaseMilliseconds) })
    }

    public func settle(_ settlements: [Settlement]) -> Result<Void, StoreError> {
        state.withLock { state in
            let changes = settlements.compactMap { state.outbox.change(for: $0) }
            guard !changes.isEmpty else { return .success(()) }
            if let failure = write(&state) { return .failure(failure) }
            for change in changes { state.outbox.apply(change) }
            return .success(())
        }
    }

    public func outboxEntries() -> Result<[OutboxEntry], StoreError> {
        .success(state.withLock { $0.outbox.sorted })
    }

    public func outboxFigures(now: Int64) -> OutboxFigures {
        state.withLock { $0.outbox.figures(now: now) }
    }

    public func resend(_ key: EventKey, now: Int64) -> Result<Bool, StoreError> {
        state.withLock { state in
            guard let change = state.outbox.resending(key, now: now) else { return .success(false) }
            if let failure = write(&state) { return .failure(failure) }
            state.outbox.apply(change)
            return .success(true)
        }
    }
}
