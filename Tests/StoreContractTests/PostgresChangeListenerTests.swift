import StoreContract
import Glibc
@testable import PostgresStore
import PostgresTestServer
import Scaling
import SystemIO
import Testing

/// How PostgreSQL instances tell each other of their changes (`ChangeNotification`, `PostgresStore+Listener`),
/// beyond the shared contract: notifications only of what committed, from every statement that writes, the
/// listener's own connection, what follows its loss, and its end.
@Suite("PostgreSQL store: the change listener")
struct PostgresChangeListenerTests {
    static let payloads: [(String, StoreChange?)] = [
        ("5 a", .changed(id("a"), revision: 5)),
        ("0 a", .changed(id("a"), revision: 0)),
        ("12 with space", .changed(id("with space"), revision: 12)),
        ("18446744073709551615 é", .changed(id("é"), revision: .max)),
        ("18446744073709551616 a", nil),
        ("", nil), ("5", nil), ("5 ", nil), (" a", nil), ("05 a", nil), ("+5 a", nil), ("-5 a", nil), ("x a", nil),
        ("5\ta", nil), ("5 a/b", nil), ("5 ..", nil), ("5 a\u{1}", nil),
    ]

    /// Fails if a payload `ChangeNotification.sent` makes is not read as its change, or one it never makes is read
    /// as anything.
    @Test(arguments: payloads)
    func payloadsAreReadStrictly(payload: String, change: StoreChange?) {
        #expect(ChangeNotification.change(payload) == change)
    }

    /// Fails if a statement rolled back after it wrote its rows (and computed their `RETURNING`, which sends the
    /// notification) is heard of: an `AFTER` trigger refuses the update and the insert once their rows are written.
    @Test func aWriteRolledBackNotifiesNothing() throws {
        try withInstances { observed, other, heard, database in
            let created = try put(other, sample("a", desired: 1)).after.revision
            try PostgresTestServer.shared.psql("""
                CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'refused by a test trigger'; END $$;
                CREATE TRIGGER test_refuse AFTER INSERT OR UPDATE ON \(Schema.dimensionsTable)
                    FOR EACH ROW EXECUTE FUNCTION test_refuse();
                """, database: database)
            #expect(throws: (any Error).self) { try put(other, sample("a", desired: 2)) }
            #expect(throws: (any Error).self) { try put(other, sample("b", desired: 2)) }
            try PostgresTestServer.shared.psql("DROP TRIGGER test_refuse ON \(Schema.dimensionsTable)", database: database)
            let changed = try put(other, sample("a", desired: 3)).after.revision
            #expect(heard.waitFor(2) == [.changed(id("a"), revision: created), .changed(id("a"), revision: changed)])
            usleep(200_000)
            #expect(heard.all.count == 2, "\(heard.all)")
        }
    }

    /// Fails if the locked path's insert or update (`serveLocked`, which an update takes once it keeps losing to
    /// other instances) is not heard of, with the revision it wrote.
    @Test func theLockedPathNotifies() throws {
        try withInstances { observed, other, heard, _ in
            let connection = try DatabaseConnection(other.settings)
            var told: [StoreChange] = []
            for desired in [1.0, 2.0] {
                let result = Locked<Result<DimensionChange, ScalingError>?>(nil)
                var work = PostgresStore.Work(operation: .update(id("a"), DimensionImport(sample("a", desired: desired), overwrite: true)) {
                    outcome in result.withLock { $0 = outcome }
                })
                #expect(other.serveLocked(&work, on: connection))
                told.append(.changed(id("a"), revision: try #require(result.withLock { $0 }).get().after.revision))
            }
            #expect(heard.waitFor(2) == told)
        }
    }

    /// Fails if a store that never observes opens the listener's connection (a command-line tool would hold one
    /// for nothing), if observing opens more than one, if the store hears its own changes twice (once as their
    /// statements return, once through the database), or if the listener's session outlives `close()`.
    @Test func theListenerHasOneConnectionOnceObservingAndHearsNoOwnChangeTwice() throws {
        try withDatabase { settings, database in
            let store = try PostgresStore(settings: settings)
            defer { store.close() }
            try put(store, sample("a"))
            #expect(try listenerSessions(database) == 0)
            let heard = HeardChanges()
            store.observeChanges { heard.append($0) }
            #expect(try listenerSessions(database) == 1)
            let revision = try put(store, sample("a", desired: 2)).after.revision
            #expect(heard.waitFor(1) == [.changed(id("a"), revision: revision)])
            usleep(200_000)
            #expect(heard.all.count == 1, "\(heard.all)")
            store.close()
            // The server ends a session once it reads the client's goodbye, a moment after the socket closes.
            var sessions = try listenerSessions(database)
            for _ in 0..<100 where sessions > 0 {
                usleep(50_000)
                sessions = try listenerSessions(database)
            }
            #expect(sessions == 0)
        }
    }

    /// Fails if a listener whose session the server ended does not tell `.unknown` once it listens again (changes
    /// went unheard meanwhile), does not hear the next change after that, or does not count its reconnection.
    @Test func aListenerThatLostItsConnectionTellsUnknownThenListensAgain() throws {
        try withInstances { observed, other, heard, database in
            let first = try put(other, sample("a", desired: 1)).after.revision
            #expect(heard.waitFor(1) == [.changed(id("a"), revision: first)])
            #expect(listenerReconnects(observed) == 0)
            #expect(try PostgresTestServer.shared.terminateSessions(applicationName: PostgresStore.listenerApplicationName,
                                                                    database: database) == 1)
            #expect(heard.waitFor(2) == [.changed(id("a"), revision: first), .unknown])
            let next = try put(other, sample("a", desired: 2)).after.revision
            #expect(heard.waitFor(3).last == .changed(id("a"), revision: next))
            #expect(listenerReconnects(observed) == 1)
        }
    }

    /// Fails if closing a store whose listener waits on its socket takes long: the listener looks whether the
    /// store closes every `listenerWaitMilliseconds`.
    @Test func closingAStoreWithAListenerIsPrompt() throws {
        try withDatabase { settings, _ in
            let store = try PostgresStore(settings: settings)
            store.observeChanges { _ in }
            usleep(100_000)
            let started = Clock.monotonicMicroseconds()
            store.close()
            let seconds = Double(Clock.monotonicMicroseconds() - started) / 1_000_000
            // About a quarter of a second; the bound leaves room for a loaded machine.
            #expect(seconds < 5, "close() took \(seconds) s")
        }
    }

    /// Runs `body` with the settings and the name of a new, migrated database, dropped afterwards.
    private func withDatabase(_ body: (DatabaseSettings, String) throws -> Void) throws {
        let server = PostgresTestServer.shared
        let settings = DatabaseSettings(url: try server.createDatabase(), poolSize: 2)
        defer { server.dropDatabase(url: settings.url) }
        _ = try PostgresStore.migrate(settings)
        try body(settings, PostgresTestServer.databaseName(of: settings.url))
    }

    /// Runs `body` with two instances on a new database, the first observed.
    private func withInstances(_ body: (PostgresStore, PostgresStore, HeardChanges, String) throws -> Void) throws {
        try withDatabase { settings, database in
            let observed = try PostgresStore(settings: settings)
            defer { observed.close() }
            let other = try PostgresStore(settings: settings)
            defer { other.close() }
            let heard = HeardChanges()
            observed.observeChanges { heard.append($0) }
            try body(observed, other, heard, database)
        }
    }

    private func listenerSessions(_ database: String) throws -> Int {
        try PostgresTestServer.shared.sessions(applicationName: PostgresStore.listenerApplicationName, database: database)
    }

    private func listenerReconnects(_ store: PostgresStore) -> UInt64? {
        store.health.figures.lazy.compactMap { if case .listenerReconnects(let count) = $0 { count } else { nil } }.first
    }
}
