import Glibc
@testable import PostgresStore
import Scaling
import StoreContract
import SystemIO
import Testing

/// The PostgreSQL outbox's own connection, which the delivery threads share.
@Suite("PostgreSQL store: the outbox's connection")
struct PostgresOutboxConnectionTests {
    /// Fails if a statement that got no answer in time leaves the outbox on its connection: libpq still waits for
    /// that answer there, and every later statement would fail on it. The database's process behind the
    /// connection is stopped (SIGSTOP) for one claim, past its deadline, then let go.
    @Test func aConnectionLeftWithoutAnAnswerIsReplaced() throws {
        try withOnePostgresStore(statementTimeoutMilliseconds: 300) { store, settings in
            let outbox = try #require(store.outbox)
            func claim() -> Result<[OutboxEntry], StoreError> {
                outbox.claimDue(now: Clock.epochMilliseconds(), limit: 1, leaseMilliseconds: 1_000)
            }
            #expect(throws: Never.self) { try claim().get() }

            let admin = try DatabaseConnection(settings)
            // Other suites' outboxes run on the same server at the same time, each on a database of its own.
            let rows = try admin.execute("""
                SELECT pid FROM pg_stat_activity
                WHERE application_name = 'capacityd-webhooks' AND datname = current_database()
                """)
            try #require(rows.count == 1)
            let backend = try #require(rows.first?.first.flatMap { $0.flatMap { Int32($0) } })
            kill(backend, SIGSTOP)
            let stalled = claim()
            kill(backend, SIGCONT)
            #expect(throws: StoreError.self) { try stalled.get() }
            #expect(throws: Never.self) { try claim().get() }
        }
    }
}
