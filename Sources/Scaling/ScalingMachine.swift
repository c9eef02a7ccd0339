/// The scaling state machine: pure functions from (mode, dimension, event) to the next dimension.
public enum ScalingMachine {
    /// The reason demo-failure mode gives for the failure it simulates.
    public static let simulatedFailureReason = "Simulated failure (demo-failure mode)"

    /// A GET: in the demo and step modes, reading an unfinished dimension is what moves it along.
    public static func observe(_ dimension: Dimension, mode: ScalingMode) -> Dimension {
        var next = dimension
        switch (mode, dimension.scalingStatus) {
        case (.production, _), (_, .successful):
            break
        case (.demo, .pending), (.demoFailure, .pending):
            next.scalingStatus = .inProgress
        case (.demo, .inProgress), (.demo, .failed):
            next.actualCapacity = next.desiredCapacity
            next.scalingStatus = .successful
            next.failureReason = nil
        case (.demoFailure, .inProgress):
            next.scalingStatus = .failed
            next.failureReason = simulatedFailureReason
        case (.demoFailure, .failed), (.step, .failed):
            break
        case (.step, .pending), (.step, .inProgress):
            let gap = next.desiredCapacity - next.actualCapacity
            if gap == 0 {
                next.scalingStatus = .successful
            } else {
                next.actualCapacity += min(1, max(-1, gap))
                next.scalingStatus = .inProgress
            }
        }
        return next
    }

    /// A validated PATCH. A new desired capacity always restarts the change (`Pending`), whatever else the body
    /// says; the operator fields (production mode only) are applied as given.
    public static func apply(_ update: DimensionUpdate, to dimension: Dimension) -> Dimension {
        var next = dimension
        if let actual = update.actualCapacity { next.actualCapacity = actual }
        if let status = update.scalingStatus {
            next.scalingStatus = status
            // A reason belongs to a failure; a status that is not Failed makes an old reason stale.
            if status != .failed { next.failureReason = nil }
        }
        if let reason = update.failureReason { next.failureReason = reason }
        if let desired = update.desiredCapacity, desired != dimension.desiredCapacity {
            next.desiredCapacity = desired
            next.scalingStatus = .pending
            next.failureReason = nil
        }
        return next
    }
}
