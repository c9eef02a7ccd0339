import Scaling
import SystemIO

/// Blocking forms of the store's operations, for command-line tools and tests — never for an event loop.
extension DimensionStore {
    public func dimensionAndWait(_ id: DimensionID) -> Result<Dimension?, StoreError> {
        waitFor { done in dimension(id, completion: done) }
    }

    public func allDimensionsAndWait() -> Result<[Dimension], StoreError> {
        waitFor { done in allDimensions(completion: done) }
    }

    public func updateAndWait(_ id: DimensionID, _ transition: some DimensionTransition)
        -> Result<DimensionChange, ScalingError> {
        waitFor { done in update(id, transition, completion: done) }
    }

    public func updateAndWait(_ id: DimensionID,
                              _ change: @escaping @Sendable (Dimension?) throws(ScalingError) -> Dimension)
        -> Result<DimensionChange, ScalingError> {
        updateAndWait(id, DimensionChangeFunction(change))
    }

    public func deleteAndWait(_ id: DimensionID) -> Result<Dimension, StoreError> {
        waitFor { done in delete(id, completion: done) }
    }
}

/// Blocks until an operation with a completion calls back, and returns what it said.
private func waitFor<Value, Failure: Error>(
    _ start: (@escaping @Sendable (Result<Value, Failure>) -> Void) -> Void
) -> Result<Value, Failure> {
    let waiter = ConditionLock()
    nonisolated(unsafe) var result: Result<Value, Failure>?
    start { outcome in
        waiter.withLock {
            result = outcome
            waiter.signal()
        }
    }
    return waiter.withLock {
        while result == nil { waiter.wait() }
        return result!
    }
}
