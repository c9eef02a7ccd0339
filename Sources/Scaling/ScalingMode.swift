/// How a dimension moves between statuses; chosen by configuration, never by editing code.
public enum ScalingMode: String, Sendable, CaseIterable, Equatable {
    /// The old sample: each GET of an unfinished dimension advances it one status.
    case demo
    /// As demo, but an in-progress change fails and stays failed until a new desired capacity arrives.
    case demoFailure = "demo-failure"
    /// The AWS mock stack: each GET moves actual capacity one unit toward desired.
    case step
    /// A real operator reports progress by PATCH; GET never changes anything.
    case production

    /// Whether GET can change a dimension, and so must go through the store's write path.
    public var observationAdvances: Bool { self != .production }
}
