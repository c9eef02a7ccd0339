import StoreContract
import FileStore
import PostgresStore
import Scaling

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
        /// A file store that another process (a server) holds; `durableDimensions()` still reads it.
        public var inUse = false
    }

    /// `eventReceivers`: the webhook receivers each change makes an event for, in the store's outbox.
    public func open(eventReceivers: [String] = []) throws(OpenError) -> DimensionStore {
        switch self {
        case .file(let directory):
            do {
                var options = FileStore.Options()
                options.eventReceivers = eventReceivers
                return try FileStore(directory: directory, options: options)
            } catch {
                throw OpenError(description: error.description, inUse: error.inUse)
            }
        case .postgres(let settings):
            do {
                var options = PostgresStore.Options()
                options.eventReceivers = eventReceivers
                return try PostgresStore(settings: settings, options: options)
            } catch {
                throw OpenError(description: error.description)
            }
        case .memory:
            return MemoryStore(receivers: eventReceivers)
        }
    }

    /// Every durable dimension, sorted by id, for a command that only looks: a file store that a server holds is
    /// read without its lock (what the server has acknowledged, never more); other stores are opened as usual.
    public func durableDimensions() throws(OpenError) -> [Dimension] {
        try look(FileStore.readCommitted) { store in store.allDimensionsAndWait() }
    }

    /// Every durable event of the store's outbox, pending and dropped, read as `durableDimensions()` reads; none
    /// from a store that keeps no outbox.
    public func durableOutbox() throws(OpenError) -> [OutboxEntry] {
        try look(FileStore.readCommittedOutbox) { store in store.outbox?.outboxEntries() ?? .success([]) }
    }

    private func look<Value>(_ readCommitted: (String) throws(FileStore.OpenError) -> Value,
                             _ read: (DimensionStore) -> Result<Value, StoreError>) throws(OpenError) -> Value {
        let store: DimensionStore
        do {
            store = try open()
        } catch where error.inUse {
            guard case .file(let directory) = self else { throw error }
            do {
                return try readCommitted(directory)
            } catch {
                throw OpenError(description: error.description)
            }
        }
        defer { store.close() }
        switch read(store) {
        case .success(let value): return value
        case .failure(let error): throw OpenError(description: error.message)
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

extension StoreLocation {
    /// `capacityd db migrate` (and `serve --migrate`): brings a database's schema to this capacityd's version;
    /// the versions before and after. The file store has no schema to migrate.
    public func migrate() throws(OpenError) -> (from: Int, to: Int) {
        guard case .postgres(let settings) = self else {
            throw OpenError(description: "only a database has a schema to migrate")
        }
        do {
            return try PostgresStore.migrate(settings)
        } catch {
            throw OpenError(description: "\(settings.displayName): \(error)")
        }
    }

    /// For `check-config`: connects to a database and checks its schema version (an older one is fine when it is
    /// about to be migrated); nil when all is well. (A file store is checked by opening it.)
    public func checkDatabase(migrating: Bool) -> String? {
        guard case .postgres(let settings) = self else { return nil }
        return PostgresStore.check(settings, migrating: migrating)
    }
}
