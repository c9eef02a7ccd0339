import StoreContract
import Foundation
@testable import PostgresStore
import PostgresTestServer
import Scaling
import SystemIO
import Testing

/// The PostgreSQL store's own handling of its connections, beyond the shared contract: which errors mean the
/// connection is gone, readiness after such an error, and requests while a connection is being retried. Here
/// because this target has the store and the suite's PostgreSQL server.
@Suite("PostgreSQL store: connections")
struct PostgresConnectionTests {
    /// Connection exceptions (class 08) and the sessions the server ends or refuses (57P01 admin shutdown, 57P02
    /// crash shutdown, 57P03 cannot connect now, 57P04 database dropped, 57P05 idle-session timeout) mean the
    /// connection is gone, whatever libpq's status still says; other errors, the statement timeout (57014)
    /// among them, are the server refusing one statement on a connection that still works.
    static let sqlstates: [(String, lost: Bool)] = [
        ("08000", true), ("08003", true), ("08006", true), ("08P01", true),
        ("57P01", true), ("57P02", true), ("57P03", true), ("57P04", true), ("57P05", true),
        ("57014", false), ("40001", false), ("23505", false), ("P0001", false),
    ]

    /// Fails if an error carrying one of these SQLSTATEs is not reported as a lost connection, or another error
    /// is not reported as a refusal. The server is made to raise the SQLSTATE itself (and keep the session), so
    /// the SQLSTATE alone decides.
    @Test(arguments: sqlstates)
    func connectionEndingSQLStatesMeanTheConnectionIsLost(sqlstate: String, lost: Bool) throws {
        let connection = try DatabaseConnection(DatabaseSettings(url: PostgresTestServer.shared.url()))
        do {
            _ = try connection.execute("DO $$ BEGIN RAISE EXCEPTION 'raised by a test' USING ERRCODE = '\(sqlstate)'; END $$")
            Issue.record("the statement succeeded")
        } catch {
            switch error {
            case .lost(let message): #expect(lost, "\(sqlstate) reported as lost: \(message)")
            case .refused(let reported, _):
                #expect(!lost, "\(sqlstate) reported as a refusal")
                #expect(reported == sqlstate)
            case .connect: Issue.record("\(error)")
            }
        }
    }

    /// Fails if a write refused with an ordinary error does not keep the store unready (that is the contract:
    /// nothing says the next write will fare better), or if a write that failed because the server ended its
    /// session keeps the store unready once a new connection works, which would wait for a client's write to
    /// succeed (a load balancer sends none to an instance it considers down).
    @Test func aWriteThatLostItsSessionDoesNotKeepTheStoreUnready() throws {
        let server = PostgresTestServer.shared
        let settings = DatabaseSettings(url: try server.createDatabase(), poolSize: 1)
        let database = PostgresTestServer.databaseName(of: settings.url)
        defer { server.dropDatabase(url: settings.url) }
        _ = try PostgresStore.migrate(settings)
        let store = try PostgresStore(settings: settings)
        defer { store.close() }
        try put(store, sample("a", desired: 1))
        #expect(store.health.problem == nil)

        // The server answers every write of a dimension with `sqlstate`, on a session that stays open.
        func refuseWrites(with sqlstate: String) throws {
            try server.psql("""
                CREATE OR REPLACE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'refused by a test trigger' USING ERRCODE = '\(sqlstate)'; END $$;
                CREATE OR REPLACE TRIGGER test_refuse BEFORE INSERT OR UPDATE ON \(Schema.dimensionsTable)
                    FOR EACH ROW EXECUTE FUNCTION test_refuse();
                """, database: database)
        }

        try refuseWrites(with: "23514")
        let refused = store.updateAndWait(id("a"), setTo(sample("a", desired: 2)))
        #expect(refused.failure?.isStoreUnavailable == true, "\(refused)")
        #expect(store.health.problem?.contains("the last database write failed") == true, "\(store.health.problem ?? "ready")")
        #expect(reconnects(store) == 0, "an ordinary refusal cost the connection")

        try refuseWrites(with: "57P01")
        let lost = store.updateAndWait(id("a"), setTo(sample("a", desired: 3)))
        #expect(lost.failure?.isStoreUnavailable == true, "\(lost)")
        // The thread reconnects at once; no write is sent until the store is ready again.
        let deadline = seconds() + 30
        while store.health.problem != nil && seconds() < deadline { usleep(20_000) }
        #expect(store.health.problem == nil, "still not ready: \(store.health.problem ?? "")")
        #expect(reconnects(store) >= 1)

        try server.psql("DROP TRIGGER test_refuse ON \(Schema.dimensionsTable)", database: database)
        try put(store, sample("a", desired: 4))
        #expect(try read(store, id("a")) == sample("a", desired: 4))
    }

    /// Fails if requests wait for a database thread's idle deadline while another thread of the pool is backing
    /// off between connection attempts: the request must go to the thread that has a connection at once. The
    /// database's role admits one connection, so of a pool of two, one thread keeps failing to connect.
    @Test func aThreadBackingOffDoesNotDelayRequests() throws {
        let server = PostgresTestServer.shared
        let role = "limited_" + UUID().uuidString.prefix(8).lowercased()
        let url = try server.createDatabase()
        let database = PostgresTestServer.databaseName(of: url)
        defer {
            server.dropDatabase(url: url)
            _ = try? server.psql("DROP ROLE IF EXISTS \(role)")
        }
        _ = try PostgresStore.migrate(DatabaseSettings(url: url))
        try server.psql("CREATE ROLE \(role) LOGIN CONNECTION LIMIT 1")
        try server.psql("""
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(role);
            GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO \(role);
            """, database: database)
        let settings = DatabaseSettings(url: url.replacingOccurrences(of: "user=postgres", with: "user=\(role)"), poolSize: 2)
        let store = try PostgresStore(settings: settings)
        defer { store.close() }

        // The second thread's attempts fail (too many connections for the role) and its backoff grows: after the
        // fourth failure it waits 1.6 s at least, and 5 s at most, longer than the idle check's second.
        let deadline = seconds() + 30
        while errors(store) < 4 && seconds() < deadline { usleep(20_000) }
        #expect(errors(store) >= 4, "the second connection was never refused")
        #expect(store.health.problem == nil, "\(store.health.problem ?? "")")

        try put(store, sample("a"))
        var slow: [Double] = []
        for _ in 0..<40 {
            let started = seconds()
            #expect(try read(store, id("a")) == sample("a"))
            let took = seconds() - started
            if took > 0.5 { slow.append(took) }
        }
        // A read takes milliseconds; one that waited for the idle deadline takes up to a second (and not every
        // request meets the thread backing off). One slow read is left to a machine under load.
        #expect(slow.count <= 1, "reads waited: \(slow.map { String(format: "%.2f s", $0) })")
    }

    private func seconds() -> Double { Double(SystemIO.Clock.monotonicMicroseconds()) / 1_000_000 }

    private func reconnects(_ store: PostgresStore) -> UInt64 {
        counter("reconnects", of: store) { if case .reconnects(let count) = $0 { count } else { nil } }
    }

    private func errors(_ store: PostgresStore) -> UInt64 {
        counter("database errors", of: store) { if case .databaseErrors(let count) = $0 { count } else { nil } }
    }

    private func counter(_ what: String, of store: PostgresStore, _ count: (StoreFigure) -> UInt64?) -> UInt64 {
        guard let value = store.health.figures.lazy.compactMap(count).first else {
            Issue.record("no figure of \(what)")
            return 0
        }
        return value
    }
}
