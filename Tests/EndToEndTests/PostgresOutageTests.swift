import Foundation
import PostgresTestServer
import Testing

/// capacityd while its PostgreSQL is stopped and after it starts again: what clients, load balancers and scrapes
/// are told. A server of its own (this test stops it), two connections in the pool.
@Suite("PostgreSQL down and back: readiness and the 503")
struct PostgresOutageTests {
    /// Fails if a dimension request during the outage answers anything but 503 with exactly the generic message
    /// and a Retry-After (libpq's text is the server's, not the client's); if `/readyz` keeps answering 200, or its
    /// message does not say the database is unreachable; if the connections gauge still counts the dead
    /// connections; if the server's log does not say what happened; or if, once PostgreSQL is back, `/readyz`
    /// needs a dimension request before it answers 200 again (only `/readyz` is asked until then).
    @Test func readinessFollowsTheDatabaseAndClientsGetNoDatabaseText() throws {
        let database = try PostgresTestServer()
        defer { try? database.stop(mode: "immediate") }
        let url = database.url()
        #expect(try runCapacityd(["db", "migrate", "--database-url", url]).status == 0)
        let server = try ServerProcess(["--database-url", url, "--mode", "production", "--database-pool", "2",
                                        "--database-statement-timeout", "1", "--database-connect-timeout", "2"])
        let resource = server.baseURL + "/v1/scalableTargetDimensions/outage"
        let readyz = server.baseURL + "/readyz"
        #expect(try patch(resource, #"{"desiredCapacity": 3}"#).status == 200)
        #expect(try curl(readyz).status == 200)
        // The second thread connects on its own after start-up.
        var pooled: Double?
        try waitFor(timeout: 30) {
            pooled = try connections(server)
            return pooled == 2
        }
        #expect(pooled == 2)

        try database.stop(mode: "fast")
        for refused in [try curl(resource), try patch(resource, #"{"desiredCapacity": 4}"#)] {
            #expect(refused.status == 503, "\(refused.status) \(refused.body)")
            #expect(refused.body == #"{"message": "The state store is unavailable"}"#)
            #expect(refused.headers["retry-after"] == "1")
        }
        // Idle connections are checked every second; a slow (sanitized) build takes longer to get there.
        var notReady = try curl(readyz)
        try waitFor(timeout: 30, interval: 0.1) {
            notReady = try curl(readyz)
            return notReady.status == 503
        }
        #expect(notReady.status == 503, "\(notReady.body)")
        #expect(notReady.json?["status"] as? String == "unavailable")
        #expect(notReady.message?.contains("the database is unreachable") == true, "\(notReady.body)")
        #expect(try connections(server) == 0)
        // The server's log says so once a connection attempt has failed, with libpq's words.
        #expect(waitFor(timeout: 10) { server.stderr.contains("capacityd: the database is unreachable") }, "\(server.stderr)")
        // The access log keeps the cause the clients were not given.
        #expect(waitFor(timeout: 10) { server.stdout.contains("The state store is unavailable: ") }, "\(server.stdout)")

        try database.start()
        // No dimension request until readiness is back: the store must find out by itself.
        var readiness = try curl(readyz)
        try waitFor(timeout: 30, interval: 0.1) {
            readiness = try curl(readyz)
            return readiness.status == 200
        }
        #expect(readiness.status == 200, "still not ready: \(readiness.body) \(server.stderr)")
        #expect(try connections(server) ?? 0 >= 1)
        #expect(waitFor(timeout: 10) { server.stderr.contains("capacityd: the database is reachable again") }, "\(server.stderr)")
        let after = try curl(resource)
        #expect(after.status == 200 && after.json?["desiredCapacity"] as? Double == 3, "\(after.status) \(after.body)")
        #expect(server.stop() == 0)
    }

    /// `capacityd_store_database_connections` as `/metrics` shows it; nil if it is missing.
    private func connections(_ server: ServerProcess) throws -> Double? {
        let prefix = "capacityd_store_database_connections "
        let line = try curl(server.baseURL + "/metrics").body.split(separator: "\n").first { $0.hasPrefix(prefix) }
        return line.flatMap { Double($0.dropFirst(prefix.count)) }
    }
}
