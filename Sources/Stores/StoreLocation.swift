import DimensionStorage
import FileStore
import PostgresStore

/// Which store holds the dimensions, as configuration says; `open()` is the one place that builds a concrete store,
/// so `serve`, `check-config`, `dimensions`, `import` and `db` all open the same kind the same way.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    /// The durable embedded store in a directory (one process at a time: it takes the directory's lock).
    case file(directory: String)
    /// A PostgreSQL database that several processes share.
    case postgres(DatabaseSettings)
    /// Nothing is kept: the dimensions are gone when the process exits.
    case memory

    public struct OpenError: Error, CustomStringConvertible {
        public let description: String
    }

    public func open() throws(OpenError) -> DimensionStore {
        switch self {
        case .file(let directory):
            do {
                return try FileStore(directory: directory)
            } catch {
                throw OpenError(description: error.description)
            }
        case .postgres(let settings):
            do {
                return try PostgresStore(settings: settings)
            } catch {
                throw OpenError(description: error.description)
            }
        case .memory:
            return MemoryStore()
        }
    }

    /// Whether one process at a time may open it (the file store's lock): then the commands that work on a
    /// store go through a running server instead.
    public var isExclusive: Bool {
        if case .file = self { return true }
        return false
    }

    /// How the start-up line names it (never with a password).
    public var description: String {
        switch self {
        case .file(let directory): directory
        case .postgres(let settings): settings.displayName
        case .memory: "memory (nothing is kept)"
        }
    }
}
