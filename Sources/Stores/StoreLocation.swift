import DimensionStorage
import FileStore

/// Which store holds the dimensions, as configuration says; `open()` is the one place that builds a concrete store,
/// so `serve`, `check-config`, `dimensions` and `import` all open the same kind the same way.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    /// The durable embedded store in a directory (one process at a time: it takes the directory's lock).
    case file(directory: String)
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
        case .memory:
            return MemoryStore()
        }
    }

    /// How the start-up line names it.
    public var description: String {
        switch self {
        case .file(let directory): directory
        case .memory: "memory (nothing is kept)"
        }
    }
}
