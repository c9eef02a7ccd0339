import Metrics

/// What a store says about itself: whether it is ready (for `/readyz`), and what it counts and measures, which
/// each store chooses (syncs for a file, round trips and pool use for a database) and the server names for
/// `/metrics`.
public struct StoreHealth: Sendable {
    /// nil when the store can take writes; otherwise why not, in words (`the last write failed: …`).
    public var problem: String?
    public var figures: [StoreFigure]

    public init(problem: String? = nil, figures: [StoreFigure] = []) {
        self.problem = problem
        self.figures = figures
    }
}

/// One thing a store counts (since it opened), holds now, or measures. A store reports the cases that fit it;
/// cases that differ only in what was counted (a record or a row, a write or a batch) keep that difference for
/// whoever reads the figure.
public enum StoreFigure: Sendable {
    /// Dimension records written.
    case recordsWritten(UInt64)
    /// Dimension rows written to a database.
    case rowsWritten(UInt64)
    /// Writes that failed, each answered 503.
    case failedWrites(UInt64)
    /// Batches of writes whose write or sync failed, each write in them answered 503.
    case failedWriteBatches(UInt64)
    /// Statements with writes that failed or whose outcome is unknown, each write in them answered 503.
    case failedWriteStatements(UInt64)
    /// fdatasync calls that made writes durable.
    case syncs(UInt64)
    /// Seconds to write and fdatasync one batch of records.
    case writeDuration(Histogram)
    /// Database connections that worked when last used or checked.
    case databaseConnections(Int)
    /// Database connections the store keeps when it can.
    case databasePoolSize(Int)
    /// Operations waiting for a database connection.
    case queuedOperations(Int)
    /// Statements sent to the database (each carries a batch of operations).
    case statements(UInt64)
    /// Reads, updates and deletions served.
    case operations(UInt64)
    /// Updates computed again because another process wrote the id first.
    case conflicts(UInt64)
    /// Failed statements and connection attempts.
    case databaseErrors(UInt64)
    /// Connections made after the first.
    case reconnects(UInt64)
    /// Connections the listener for other processes' changes made after losing one (each a time their changes
    /// may have gone unheard).
    case listenerReconnects(UInt64)
    /// Seconds from sending a statement to its whole answer.
    case statementDuration(Histogram)
}
