@testable import CapacityAPI
import JSON
import Scaling
import StoreContract
import SystemIO
import Testing

/// `GET /admin/v1/webhooks/events` and `POST /admin/v1/webhooks/events/resend` over the memory store's outbox.
@Suite("Webhook event routes")
struct WebhookEventRouteTests {
    static let key = "operator-key-plain-0001"
    static let receiver = "http://127.0.0.1:9/hook"
    static let events = "/admin/v1/webhooks/events"

    /// A harness whose store has one event for `receiver`, of `web` at its first revision, dropped; the count of
    /// wakes of the deliveries; and a switch that makes the store's writes fail.
    static func harness() throws -> (APIHarness, EventKey, Locked<Int>, Locked<Bool>) {
        let failing = Locked(false)
        let store = MemoryStore(receivers: [receiver], writeFault: { failing.withLock { $0 } ? "the disk is full" : nil })
        let wakes = Locked(0)
        let harness = try APIHarness(store: store, apiKeys: [key], eventsDue: { wakes.withLock { $0 += 1 } })
        #expect(try harness.patch("/v1/scalableTargetDimensions/web", #"{"desiredCapacity": 2}"#).status == 200)
        let claimed = try store.claimDue(now: Int64.max / 2, limit: 1, leaseMilliseconds: 1).get()
        let entry = try #require(claimed.first)
        try store.settle(entry, .dropped).get()
        let key = entry.event.key
        return (harness, key, wakes, failing)
    }

    static func list(_ harness: APIHarness, _ query: String = "") throws -> [[String: JSONValue]] {
        let reply = try harness.get(events + query, headers: [("x-api-key", key)])
        #expect(reply.status == 200, "\(reply.body)")
        guard case .array(let items)? = try? JSONParser.parse(Array(reply.body.utf8)) else { return [] }
        return items.compactMap { if case .object(let members) = $0 { members } else { nil } }
    }

    static func resend(_ harness: APIHarness, _ body: String) throws -> Reply {
        try harness.send("POST", events + "/resend", headers: [("x-api-key", key), ("Content-Type", "application/json")],
                         body: body)
    }

    static func body(id: String = "web", revision: String, receiver: String = receiver) -> String {
        #"{"scalableTargetDimensionId": "\#(id)", "revision": \#(revision), "receiver": "\#(receiver)"}"#
    }

    /// Fails if the routes exist without --api-keys, or answer without a key.
    @Test func guardedLikeTheOtherAdminRoutes() throws {
        let plain = try APIHarness(store: MemoryStore(receivers: [Self.receiver]))
        #expect(try plain.get(Self.events).status == 404)
        #expect(try plain.send("POST", Self.events + "/resend", body: "{}").status == 404)
        let (harness, _, _, _) = try Self.harness()
        #expect(try harness.get(Self.events).status == 401)
        #expect(try harness.get(Self.events, headers: [("x-api-key", "wrong-key-0123456789")]).status == 403)
        #expect(try harness.send("POST", Self.events, headers: [("x-api-key", Self.key)], body: "{}").status == 405)
    }

    /// Fails if the list misses the event or a member of it, if `dropped=true` does not keep only dropped ones, or
    /// if a `dropped` other than true or false is not refused.
    @Test func listsEveryEventAndTheDroppedOnes() throws {
        let (harness, key, _, _) = try Self.harness()
        let all = try Self.list(harness)
        #expect(all.count == 1)
        let event = try #require(all.first)
        #expect(event["webhookId"] == .string(OutboxEntryJSON.messageID(key)))
        #expect(event["scalableTargetDimensionId"] == .string("web"))
        #expect(event["revision"] == .number(Double(key.revision)))
        #expect(event["receiver"] == .string(Self.receiver))
        #expect(event["attempts"] == .number(1))
        #expect(event["dropped"] == .bool(true))
        #expect(Set(event.keys) == ["webhookId", "scalableTargetDimensionId", "revision", "receiver", "time", "attempts", "dueAt", "dropped"])
        #expect(try Self.list(harness, "?dropped=true").count == 1)
        for query in ["?dropped=yes", "?dropped", "?dropped=true&dropped=1"] {
            #expect(try harness.get(Self.events + query, headers: [("x-api-key", Self.key)]).status == 400, "\(query)")
        }
        #expect(try Self.resend(harness, Self.body(revision: "\(key.revision)")).status == 200)
        #expect(try Self.list(harness, "?dropped=true").isEmpty)
        #expect(try Self.list(harness, "?dropped=false").count == 1)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        let name: String
        /// Given the event's revision.
        let body: @Sendable (UInt64) -> String
        let status: Int
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "the dropped event", body: { body(revision: "\($0)") }, status: 200),
        Row(name: "another revision", body: { body(revision: "\($0 + 1)") }, status: 404),
        Row(name: "another receiver", body: { body(revision: "\($0)", receiver: "http://127.0.0.1:9/other") }, status: 404),
        Row(name: "another id", body: { body(id: "api", revision: "\($0)") }, status: 404),
        Row(name: "an id no dimension can have", body: { body(id: "a/b", revision: "\($0)") }, status: 404),
        Row(name: "a revision past any", body: { _ in body(revision: "1e30") }, status: 404),
        Row(name: "a revision that is not whole", body: { _ in body(revision: "1.5") }, status: 400),
        Row(name: "a negative revision", body: { _ in body(revision: "-1") }, status: 400),
        Row(name: "a revision as text", body: { _ in body(revision: "\"1\"") }, status: 400),
        Row(name: "no receiver", body: { #"{"scalableTargetDimensionId": "web", "revision": \#($0)}"# }, status: 400),
        Row(name: "an unknown member", body: { #"{"scalableTargetDimensionId": "web", "revision": \#($0), "receiver": "x", "more": 1}"# }, status: 400),
        Row(name: "not an object", body: { _ in "[]" }, status: 400),
        Row(name: "not JSON", body: { _ in "resend" }, status: 400),
    ]

    /// Fails if a resend answers other than its row's status, wakes the deliveries without resending, or leaves
    /// them asleep after it.
    @Test(arguments: rows) func resendAnswers(_ row: Row) throws {
        let (harness, key, wakes, _) = try Self.harness()
        let reply = try Self.resend(harness, row.body(key.revision))
        #expect(reply.status == row.status, "\(reply.body)")
        #expect(wakes.withLock { $0 } == (row.status == 200 ? 1 : 0))
        if row.status == 200 {
            #expect(reply.json?["dropped"] == .bool(false))
            #expect(reply.json?["attempts"] == .number(0))
        } else {
            #expect(reply.message != nil)
            #expect(try Self.list(harness, "?dropped=true").count == 1)
        }
    }

    /// Fails if an event resent already can be resent again before it is dropped again, or if a store that
    /// cannot write answers other than 503 and keeps the event dropped.
    @Test func resendsOnlyWhatIsDroppedAndWhatTheStoreWrites() throws {
        let (harness, key, _, failing) = try Self.harness()
        failing.withLock { $0 = true }
        #expect(try Self.resend(harness, Self.body(revision: "\(key.revision)")).status == 503)
        #expect(try Self.list(harness, "?dropped=true").count == 1)
        failing.withLock { $0 = false }
        #expect(try Self.resend(harness, Self.body(revision: "\(key.revision)")).status == 200)
        #expect(try Self.resend(harness, Self.body(revision: "\(key.revision)")).status == 404)
    }
}
