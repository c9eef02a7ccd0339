import PostgresStore
import PostgresTestServer

/// A PostgreSQL store with one database thread on a new database of the suite's server, migrated, whose changes
/// make events for one receiver; the store is closed and the database dropped once `body` returns.
func withOnePostgresStore(statementTimeoutMilliseconds: Int = 5000,
                          _ body: (PostgresStore, DatabaseSettings) throws -> Void) throws {
    let server = PostgresTestServer.shared
    let settings = DatabaseSettings(url: try server.createDatabase(), poolSize: 1,
                                    statementTimeoutMilliseconds: statementTimeoutMilliseconds)
    defer { server.dropDatabase(url: settings.url) }
    _ = try PostgresStore.migrate(settings)
    var options = PostgresStore.Options()
    options.eventReceivers = ["http://127.0.0.1/hook"]
    let store = try PostgresStore(settings: settings, options: options)
    defer { store.close() }
    try body(store, settings)
}
