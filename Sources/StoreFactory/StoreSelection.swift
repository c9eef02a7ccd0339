import Configuration
import PostgresStore

/// The store options every command that opens a store takes (`serve`, `check-config`, `dimensions`, `import`,
/// `db`), as the command line says them: the file store under `stateDirectory` unless a database URL is given.
/// Each default is defined here or in `DatabaseSettings`, once.
public struct StoreSelection: Sendable, Equatable {
    private static let database = DatabaseSettings(url: "")

    public var stateDirectory = "./var"
    /// A libpq connection string; nil keeps the file store.
    public var databaseURL: String?
    public var databasePool = database.poolSize
    /// Seconds, as the options take them.
    public var databaseConnectTimeout = database.connectTimeoutSeconds
    public var databaseStatementTimeout = Double(database.statementTimeoutMilliseconds) / 1000
    public var databaseLockTimeout = Double(database.lockTimeoutMilliseconds) / 1000

    public init() {}

    /// The options, for the messages of `validate()`.
    public enum Field: Sendable {
        case databaseURL, databasePool, databaseConnectTimeout, databaseStatementTimeout, databaseLockTimeout
        /// libpq's `keepalives_idle`, which no option sets: its default always passes.
        case databaseKeepaliveIdle
    }

    public func validate() throws(InvalidSetting<Field>) {
        do {
            try database?.validate()
        } catch {
            throw error.map { field in
                switch field {
                case .url: .databaseURL
                case .poolSize: .databasePool
                case .connectTimeout: .databaseConnectTimeout
                case .statementTimeout: .databaseStatementTimeout
                case .lockTimeout: .databaseLockTimeout
                case .keepaliveIdle: .databaseKeepaliveIdle
                }
            }
        }
    }

    /// The database settings these options make, nil for the file store.
    public var database: DatabaseSettings? {
        databaseURL.map { url in
            DatabaseSettings(url: url, poolSize: databasePool, connectTimeoutSeconds: databaseConnectTimeout,
                             statementTimeoutMilliseconds: Int((databaseStatementTimeout * 1000).rounded()),
                             lockTimeoutMilliseconds: Int((databaseLockTimeout * 1000).rounded()))
        }
    }

    /// Where the dimensions are; call after `validate()`.
    public var location: StoreLocation {
        database.map { .postgres($0) } ?? .file(directory: stateDirectory)
    }
}
