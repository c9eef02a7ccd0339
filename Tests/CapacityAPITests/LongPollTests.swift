import CapacityAPI
import Dispatch
import Foundation
import Testing

private let target = "/v1/scalableTargetDimensions/watched"

/// Long-polls (`If-None-Match` + `Prefer: wait=N`): what a scaler waiting for a new desiredCapacity relies on.
@Suite("Long-polls, in memory")
struct LongPollTests {
    /// A production-mode API with the dimension at desired 2, and its ETag.
    static func started(maxWait: Int = 60, waiters: DimensionWaiters = DimensionWaiters(limit: 10)) throws -> (APIHarness, String) {
        let api = try APIHarness(APIConfiguration(mode: .production, maxWaitSeconds: maxWait), waiters: waiters)
        let reply = try api.patch(target, #"{"desiredCapacity": 2}"#)
        return (api, try #require(reply.headers["etag"]))
    }

    static func poll(_ api: APIHarness, _ etag: String, wait: String) throws -> (Reply, seconds: Double) {
        let start = Date()
        let reply = try api.get(target, headers: [("If-None-Match", etag), ("Prefer", wait)])
        return (reply, Date().timeIntervalSince(start))
    }

    @Test func aWaitWithNoChangeEndsIn304AfterItsSeconds() throws {
        let (api, etag) = try Self.started()
        let (reply, seconds) = try Self.poll(api, etag, wait: "wait=1")
        #expect(reply.status == 304 && reply.body.isEmpty)
        #expect(reply.headers["etag"] == etag && reply.headers["preference-applied"] == "wait=1")
        #expect(seconds >= 0.9, "answered after \(seconds) s")
    }

    @Test func aChangeWakesTheWaitWithTheNewState() throws {
        let (api, etag) = try Self.started()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) {
            _ = try? api.patch(target, #"{"desiredCapacity": 7}"#)
        }
        let (reply, seconds) = try Self.poll(api, etag, wait: "wait=20")
        #expect(reply.status == 200 && reply.state == DimensionState(1, 7, "Pending"))
        #expect(reply.headers["etag"] != etag && reply.headers["preference-applied"] == "wait=20")
        #expect(seconds < 10, "woken after \(seconds) s")
    }

    /// A change that leaves the state the client has (a PATCH that changes nothing) does not wake it.
    @Test func aWriteThatChangesNothingDoesNotEndTheWait() throws {
        let (api, etag) = try Self.started()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) {
            _ = try? api.patch(target, #"{"desiredCapacity": 2}"#)
        }
        let (reply, _) = try Self.poll(api, etag, wait: "wait=1")
        #expect(reply.status == 304)
    }

    /// (the request's extra conditions; whether it is answered at once with 200 rather than waiting)
    @Test(arguments: [
        ("stale ETag", true), ("no If-None-Match", true), ("If-None-Match: *", false), ("demo mode", true),
    ])
    func requestsThatDoNotWait(kind: String, answeredWith200: Bool) throws {
        let api = try APIHarness(APIConfiguration(mode: kind == "demo mode" ? .demo : .production))
        let etag = try #require(try api.patch(target, #"{"desiredCapacity": 2}"#).headers["etag"])
        let headers: [(String, String)] = switch kind {
        case "stale ETag": [("If-None-Match", #""999999""#), ("Prefer", "wait=5")]
        case "no If-None-Match": [("Prefer", "wait=5")]
        case "If-None-Match: *": [("If-None-Match", "*"), ("Prefer", "wait=5")]
        default: [("If-None-Match", etag), ("Prefer", "wait=5")]
        }
        let start = Date()
        let reply = try api.get(target, headers: headers)
        #expect(Date().timeIntervalSince(start) < 4)
        #expect(reply.status == (answeredWith200 ? 200 : 304) && reply.headers["preference-applied"] == nil)
    }

    @Test func theWaitIsCappedByMaxWait() throws {
        let (api, etag) = try Self.started(maxWait: 1)
        let (reply, seconds) = try Self.poll(api, etag, wait: "wait=30")
        #expect(reply.status == 304 && reply.headers["preference-applied"] == "wait=1")
        #expect(seconds < 5)
    }

    /// Past `--max-waiting`, a long-poll is answered at once (a 304, as without `Prefer`).
    @Test func pastMaxWaitingAPollIsAnsweredAtOnce() throws {
        let waiters = DimensionWaiters(limit: 1)
        let (api, etag) = try Self.started(waiters: waiters)
        let first = DispatchGroup()
        first.enter()
        DispatchQueue.global().async {
            _ = try? Self.poll(api, etag, wait: "wait=6")
            first.leave()
        }
        for _ in 0..<200 where waiters.count == 0 { usleep(10_000) }
        #expect(waiters.count == 1)
        let (second, seconds) = try Self.poll(api, etag, wait: "wait=6")
        #expect(second.status == 304 && second.headers["preference-applied"] == nil && seconds < 5)
        first.wait()
        #expect(waiters.count == 0)
    }
}
