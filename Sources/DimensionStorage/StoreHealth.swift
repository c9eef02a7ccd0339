import Metrics

/// What a store says about itself: whether it is ready (for `/readyz`), and figures for `/metrics`, which each
/// store chooses (syncs for a file, round trips and pool use for a database) and the server renders as they come.
public struct StoreHealth: Sendable {
    /// nil when the store can take writes; otherwise why not, in words (`the last write failed: …`).
    public var problem: String?
    public var figures: [StoreFigure]

    public init(problem: String? = nil, figures: [StoreFigure] = []) {
        self.problem = problem
        self.figures = figures
    }
}

/// One metric family with one unlabelled sample, named `capacityd_store_…`.
public struct StoreFigure: Sendable {
    public enum Value: Sendable {
        case counter(Double)
        case gauge(Double)
        case histogram(Histogram)
    }

    public var name: String
    public var help: String
    public var value: Value

    public init(name: String, help: String, _ value: Value) {
        self.name = name
        self.help = help
        self.value = value
    }
}
