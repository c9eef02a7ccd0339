import Foundation
import PostgresTestServer
import Testing

/// `ETag`, `If-None-Match` and `If-Match` through the real binary and curl, on each store: a scaler's cheap poll,
/// and two operators' scripts that write the same dimension.
@Suite("Conditional requests, end to end")
struct ConditionalRequestEndToEndTests {
    enum Store: String, CaseIterable, CustomTestStringConvertible {
        case file, postgres
        var testDescription: String { rawValue }
    }

    /// Fails if a GET naming the current ETag is not a bodiless 304, if a stale If-Match changes anything, or if
    /// of clients racing with one If-Match more or fewer than one wins.
    @Test(arguments: Store.allCases)
    func notModifiedPreconditionFailedAndOneWinner(store: Store) throws {
        var arguments = ["--mode", "production"]
        var database: String?
        if store == .postgres {
            let url = try PostgresTestServer.shared.createDatabase()
            database = url
            arguments += ["--database-url", url, "--migrate"]
        }
        defer { if let database { PostgresTestServer.shared.dropDatabase(url: database) } }
        let server = try ServerProcess(arguments)
        defer { _ = server.stop() }
        let resource = server.baseURL + "/v1/scalableTargetDimensions/contended"

        let created = try patch(resource, #"{"desiredCapacity": 2}"#)
        let etag = try #require(created.headers["etag"], "\(created.headers)")
        let unchanged = try curl(resource, ["-H", "If-None-Match: \(etag)"])
        #expect(unchanged.status == 304 && unchanged.body.isEmpty && unchanged.headers["etag"] == etag)
        #expect(unchanged.headers["content-length"] == nil)

        let stale = try curl(resource, ["-X", "PATCH", "-H", "Content-Type: application/json", "-H", #"If-Match: "999999""#,
                                        "--data-binary", #"{"desiredCapacity": 9}"#])
        #expect(stale.status == 412 && stale.message?.contains("precondition") == true, "\(stale.body)")
        #expect(try curl(resource).json?["desiredCapacity"] as? Double == 2)

        let clients = 8
        let statuses = Locked<[Int]>([])
        let group = DispatchGroup()
        for client in 0..<clients {
            group.enter()
            Thread {
                defer { group.leave() }
                let reply = try? curl(resource, ["-X", "PATCH", "-H", "Content-Type: application/json",
                                                 "-H", "If-Match: \(etag)",
                                                 "--data-binary", #"{"desiredCapacity": \#(10 + client)}"#])
                statuses.withLock { $0.append(reply?.status ?? 0) }
            }.start()
        }
        group.wait()
        let seen = statuses.withLock { $0 }.sorted()
        #expect(seen == [200] + Array(repeating: 412, count: clients - 1), "\(seen)")
        let now = try curl(resource)
        #expect(now.headers["etag"] != etag)
        #expect(try curl(resource, ["-H", "If-None-Match: \(etag)"]).status == 200)
    }
}
