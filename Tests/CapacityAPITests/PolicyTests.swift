@testable import CapacityAPI
import Testing

private let dimension = "/v1/scalableTargetDimensions/x"

/// The order the policies run in, on a server with all of them on (`--redirect-http`, `--client-cert`,
/// `--api-keys`, `--rate-limit`): the HTTPS redirect first, for every request but health probes, found or not;
/// then 404 and 405; then the route's own: on the dimensions the client certificate, then the rate; on the admin
/// routes the rate, then the key; the operator key of a PATCH last, in its handler.
@Suite("Request policies, in memory")
struct PolicyTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let name: String
        /// The peer's and the certificate's rate buckets are empty.
        let rateSpent: Bool
        let method: String
        let target: String
        let origin: APIHarness.Origin
        var headers: [(String, String)] = []
        var body: String?
        let status: Int
        /// What the refusal's message starts with; nil for an answer that is not a refusal.
        var message: String?
        var testDescription: String { name }
    }

    static let key = "operator-key-plain-0001"
    static let operatorPatch = #"{"actualCapacity": 3}"#

    static let rows: [Row] = [
        Row(name: "the redirect before the certificate, the rate and the key", rateSpent: true, method: "PATCH",
            target: dimension, origin: .plain, headers: [("Content-Type", "application/json")], body: operatorPatch,
            status: 308, message: "This server answers over HTTPS: https://api.example/v1/scalableTargetDimensions/x"),
        Row(name: "the redirect before 404", rateSpent: false, method: "GET", target: "/nowhere", origin: .plain,
            status: 308, message: "This server answers over HTTPS: https://api.example/nowhere"),
        Row(name: "the redirect before 405", rateSpent: false, method: "DELETE", target: "/time", origin: .plain,
            status: 308, message: "This server answers over HTTPS"),
        Row(name: "no redirect for a liveness probe", rateSpent: true, method: "GET", target: "/healthz", origin: .plain,
            status: 200),
        Row(name: "no redirect for a readiness probe", rateSpent: true, method: "GET", target: "/readyz", origin: .plain,
            status: 200),
        Row(name: "404 before the route's policies", rateSpent: true, method: "GET", target: "/nowhere", origin: .https,
            status: 404, message: "No such resource: /nowhere"),
        Row(name: "405 before the route's policies", rateSpent: true, method: "DELETE", target: dimension, origin: .https,
            status: 405, message: "Method DELETE is not allowed here"),
        Row(name: "the certificate before the rate", rateSpent: true, method: "GET", target: dimension, origin: .https,
            status: 403, message: "This resource needs a client certificate the server trusts"),
        Row(name: "the rate after the certificate", rateSpent: true, method: "GET", target: dimension,
            origin: .verifiedClient, status: 429, message: "Too many requests from this client"),
        Row(name: "the rate before the operator key", rateSpent: true, method: "PATCH", target: dimension,
            origin: .verifiedClient, headers: [("Content-Type", "application/json")], body: operatorPatch,
            status: 429, message: "Too many requests from this client"),
        Row(name: "the operator key last", rateSpent: false, method: "PATCH", target: dimension,
            origin: .verifiedClient, headers: [("Content-Type", "application/json")], body: operatorPatch,
            status: 401, message: "This request needs an API key"),
        Row(name: "every policy passed", rateSpent: false, method: "PATCH", target: dimension, origin: .verifiedClient,
            headers: [("Content-Type", "application/json"), ("x-api-key", key)], body: operatorPatch, status: 200),
        Row(name: "the admin routes: the rate before the key", rateSpent: true, method: "GET",
            target: AdminRoutes.prefix, origin: .https, status: 429, message: "Too many requests from this client"),
        Row(name: "the admin routes: the key", rateSpent: false, method: "GET", target: AdminRoutes.prefix,
            origin: .https, status: 401, message: "This request needs an API key"),
        Row(name: "the admin routes need no client certificate", rateSpent: false, method: "GET",
            target: AdminRoutes.prefix, origin: .https, headers: [("x-api-key", key)], status: 200),
        Row(name: "/time has neither certificate nor rate", rateSpent: true, method: "GET", target: "/time",
            origin: .https, status: 200),
    ]

    /// Fails if the request is not answered by the policy the row names (its status and message), which is the
    /// case when the policies run in another order.
    @Test(arguments: rows)
    func theFirstPolicyThatRefusesAnswers(row: Row) throws {
        // A frozen clock: one token each, never refilled.
        let limiter = RateLimiter(RateLimiter.Settings(perSecond: 0.5, burst: 1), now: { 0 })
        let api = try APIHarness(APIConfiguration(mode: .production, dimensionsNeedClientCertificate: true),
                                 apiKeys: [Self.key], rateLimiter: limiter, redirectHTTP: true)
        if row.rateSpent {
            // Each reaches the rate policy (and is then refused for its key): the address's token, the certificate's.
            for origin in [APIHarness.Origin.https, .verifiedClient] {
                #expect(try api.get(AdminRoutes.prefix, from: origin).status == 401)
            }
        }
        let reply = try api.send(row.method, row.target, headers: row.headers, body: row.body, from: row.origin)
        #expect(reply.status == row.status, "\(reply.body)")
        if let message = row.message {
            #expect(reply.message?.hasPrefix(message) == true, "\(reply.body)")
        }
        if row.status == 308 {
            #expect(reply.headers["location"] == "https://api.example" + row.target)
        }
        if row.status == 429 {
            #expect(reply.headers["retry-after"] == "2")
        }
    }

    /// Fails if the admin routes exist without `--api-keys`, or their 404 differs from an unknown path's.
    @Test(arguments: ["GET", "DELETE"])
    func theAdminRoutesAreAbsentWithoutKeys(method: String) throws {
        let api = try APIHarness()
        let reply = try api.send(method, AdminRoutes.prefix + "/x")
        #expect(reply.status == 404)
        #expect(reply.message == "No such resource: \(AdminRoutes.prefix)/x")
    }

    /// Plain HTTP to the dimensions with client certificates on and no redirect: refused, and told why.
    @Test func theDimensionsOverPlainHTTPAreRefused() throws {
        let api = try APIHarness(APIConfiguration(dimensionsNeedClientCertificate: true))
        let reply = try api.get(dimension)
        #expect(reply.status == 403)
        #expect(reply.message == "This resource is served over HTTPS only, to clients with a trusted certificate")
        #expect(try api.get("/time").status == 200)
    }

    /// Fails if two valid API keys share a bucket, or if made-up keys get buckets of their own (each would be a
    /// fresh burst) instead of counting against their address.
    @Test func validKeysAreClientsMadeUpKeysAreNot() throws {
        let limiter = RateLimiter(RateLimiter.Settings(perSecond: 0.5, burst: 2), now: { 0 })
        let api = try APIHarness(apiKeys: ["first-key-0123456789", "second-key-0123456789"], rateLimiter: limiter)
        func statuses(_ key: String, count: Int) throws -> [Int] {
            try (0..<count).map { _ in
                try api.get("/v1/scalableTargetDimensions/k", headers: [("x-api-key", key)]).status
            }
        }
        #expect(try statuses("first-key-0123456789", count: 3) == [200, 200, 429])
        #expect(try statuses("second-key-0123456789", count: 3) == [200, 200, 429])
        #expect(try statuses("made-up-key-000000001", count: 1) + statuses("made-up-key-000000002", count: 1)
                + statuses("made-up-key-000000003", count: 1) == [200, 200, 429])
    }

    /// Another address is another client, and a refused PATCH changes nothing.
    @Test func aClientPastItsRateHoldsBackNoOther() throws {
        let limiter = RateLimiter(RateLimiter.Settings(perSecond: 0.5, burst: 1), now: { 0 })
        let api = try APIHarness(APIConfiguration(mode: .production), rateLimiter: limiter)
        let target = "/v1/scalableTargetDimensions/limited"
        #expect(try api.get(target).status == 200)
        let refused = try api.patch(target, #"{"desiredCapacity": 9}"#)
        #expect(refused.status == 429 && refused.headers["retry-after"] == "2")
        let other = try api.get(target, from: APIHarness.Origin(peer: "127.0.0.2:40000"))
        #expect(other.status == 200 && other.state == DimensionState(1, 1, "Successful"), "\(other.body)")
        // An IPv6 client is its /64: another address in it is the same client.
        #expect(try api.get(target, from: APIHarness.Origin(peer: "[2001:db8::1]:1")).status == 200)
        #expect(try api.get(target, from: APIHarness.Origin(peer: "[2001:db8::2]:1")).status == 429)
    }
}
