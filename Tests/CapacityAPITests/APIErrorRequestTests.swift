@testable import CapacityAPI
import StoreContract
import Scaling
import SystemIO
import Testing

/// Every `ScalingError` reached through a real request: the request must produce exactly that error's response
/// (`APIErrorTests` holds the mapping itself), and a refused change must leave the store as it was.
@Suite("API errors through requests, in memory")
struct APIErrorRequestTests {
    struct Sent: Sendable {
        let method: String
        let target: String
        var headers: [(String, String)] = []
        var body: String?
    }

    struct Row: CustomTestStringConvertible, Sendable {
        let name: String
        var configuration = APIConfiguration()
        var apiKeys: [String]?
        /// The cause every store write fails with; nil: writes succeed.
        var writeFault: String?
        var before: [Sent] = []
        let request: Sent
        let error: ScalingError
        var testDescription: String { name }
    }

    static let key = "operator-key-plain-0001"
    static let dimension = "/v1/scalableTargetDimensions/"

    static func patch(_ id: String, _ body: String, headers: [(String, String)] = []) -> Sent {
        Sent(method: "PATCH", target: dimension + id, headers: [("Content-Type", "application/json")] + headers, body: body)
    }

    static func admin(_ method: String, _ id: String, body: String? = nil) -> Sent {
        Sent(method: method, target: AdminRoutes.prefix + "/" + id, headers: [("x-api-key", key)], body: body)
    }

    static func id(_ text: String) -> DimensionID { try! DimensionID(text) }

    /// What `DimensionID` says of a path segment it refuses.
    static func idError(_ segment: Substring) -> ScalingError {
        do {
            _ = try DimensionID(percentEncoded: segment)
            return .invalidID("accepted")
        } catch {
            return error
        }
    }

    static let rows: [Row] = [
        Row(name: "an invalid id", request: Sent(method: "GET", target: dimension + "%2E%2E"), error: idError("%2E%2E")),
        Row(name: "a capacity past the bound", configuration: APIConfiguration(mode: .production, maxCapacity: 10),
            request: patch("a", #"{"desiredCapacity": 10.5}"#), error: .invalidUpdate("desiredCapacity must be at most 10")),
        Row(name: "unknown fields", request: patch("a", #"{"desiredCapacity": 3, "zeta": 1, "alpha": 2}"#),
            error: .unknownFields(["alpha", "zeta"])),
        Row(name: "operator fields outside production", request: patch("a", #"{"actualCapacity": 9}"#),
            error: .operatorFieldsNotAllowed(fields: ["actualCapacity"], mode: .demo)),
        Row(name: "operator fields without a key", configuration: APIConfiguration(mode: .production), apiKeys: [key],
            request: patch("a", #"{"actualCapacity": 3}"#), error: .operatorKeyMissing),
        Row(name: "operator fields with a wrong key", configuration: APIConfiguration(mode: .production), apiKeys: [key],
            request: patch("a", #"{"actualCapacity": 3}"#, headers: [("x-api-key", "not-the-key-at-all")]),
            error: .operatorKeyRejected),
        Row(name: "an admin request without a key", apiKeys: [key],
            request: Sent(method: "GET", target: AdminRoutes.prefix), error: .operatorKeyMissing),
        Row(name: "an unknown id without auto-creation", configuration: APIConfiguration(autoCreate: false),
            request: Sent(method: "GET", target: dimension + "nobody"), error: .notFound(id("nobody"))),
        Row(name: "a PATCH of an unknown id without auto-creation", configuration: APIConfiguration(autoCreate: false),
            request: patch("nobody", #"{"desiredCapacity": 2}"#), error: .notFound(id("nobody"))),
        Row(name: "an admin read of an unknown id", apiKeys: [key], request: admin("GET", "nobody"),
            error: .notFound(id("nobody"))),
        Row(name: "an admin create of an existing id", apiKeys: [key],
            before: [admin("POST", "twice", body: #"{"desiredCapacity": 2}"#)],
            request: admin("POST", "twice", body: #"{"desiredCapacity": 3}"#), error: .alreadyExists(id("twice"))),
        Row(name: "an admin delete of an unknown id", apiKeys: [key], request: admin("DELETE", "nobody"),
            error: .store(.notFound(id("nobody")))),
        Row(name: "a store that cannot write", writeFault: "fdatasync: Input/output error (errno 5)",
            request: patch("a", #"{"desiredCapacity": 3}"#),
            error: .store(.unavailable(cause: "fdatasync: Input/output error (errno 5)"))),
    ]

    /// Fails if the request's answer is not exactly the error's response (status, headers, body), or if the
    /// refused request changed a dimension.
    @Test(arguments: rows)
    func theRequestGetsItsErrorsResponse(row: Row) throws {
        var fault: (@Sendable () -> String?)?
        if let cause = row.writeFault { fault = { cause } }
        let store = MemoryStore(writeFault: fault)
        let api = try APIHarness(row.configuration, store: store, apiKeys: row.apiKeys)
        for sent in row.before {
            #expect(try api.send(sent.method, sent.target, headers: sent.headers, body: sent.body).status == 200)
        }
        let stored = Self.snapshot(store)
        let reply = try api.send(row.request.method, row.request.target, headers: row.request.headers, body: row.request.body)
        let expected = Reply(APIError.response(for: row.error))
        #expect(reply == expected, "\(reply.status) \(reply.body)")
        #expect(Self.snapshot(store) == stored)
    }

    private static func snapshot(_ store: MemoryStore) -> [Dimension] {
        let all = Locked<[Dimension]>([])
        store.allDimensions { outcome in all.withLock { $0 = (try? outcome.get()) ?? [] } }
        return all.withLock { $0 }
    }
}
