import Foundation
import Glibc
import PostgresTestServer
import Testing

/// Long-polls through the real binary: a GET with `If-None-Match` and `Prefer: wait=N`, as a scaler waits for a new
/// desiredCapacity.
@Suite("Long-polls, end to end")
struct LongPollEndToEndTests {
    static let path = "/v1/scalableTargetDimensions/watched"

    /// Fails if a wait with no change is not a 304 after its seconds, or a PATCH does not wake a waiting curl
    /// with the new state well before its wait is over.
    @Test func aPatchWakesAWaitingCurl() throws {
        let server = try ServerProcess(["--mode", "production"])
        defer { _ = server.stop() }
        let resource = server.baseURL + Self.path
        let etag = try #require(try patch(resource, #"{"desiredCapacity": 2}"#).headers["etag"])

        let started = Date()
        let idle = try curl(resource, ["-H", "If-None-Match: \(etag)", "-H", "Prefer: wait=1"])
        #expect(idle.status == 304 && idle.headers["preference-applied"] == "wait=1" && idle.headers["etag"] == etag)
        #expect(Date().timeIntervalSince(started) >= 0.9)

        let woken = Locked<(CurlResponse?, TimeInterval)>((nil, 0))
        let waiter = Thread {
            let start = Date()
            let reply = try? curl(resource, ["-H", "If-None-Match: \(etag)", "-H", "Prefer: wait=30"])
            woken.withLock { $0 = (reply, Date().timeIntervalSince(start)) }
        }
        waiter.start()
        #expect(try waitForMetric(server, "capacityd_long_polls_waiting{}", toBe: 1))
        #expect(try patch(resource, #"{"desiredCapacity": 5}"#).status == 200)
        for _ in 0..<2000 where woken.withLock({ $0.0 == nil }) { usleep(10_000) }
        let (reply, seconds) = woken.withLock { $0 }
        #expect(reply?.status == 200 && reply?.json?["desiredCapacity"] as? Double == 5, "\(String(describing: reply))")
        #expect(reply?.headers["preference-applied"] == "wait=30" && reply?.headers["etag"] != etag)
        #expect(seconds < 20, "woken after \(seconds) s")
    }

    /// Fails if a long-poll on one instance is not woken by a change committed through another sharing the
    /// database (LISTEN/NOTIFY), well before its wait is over.
    @Test func aLongPollWakesWhenAnotherInstanceCommits() throws {
        let url = try PostgresTestServer.shared.createDatabase()
        defer { PostgresTestServer.shared.dropDatabase(url: url) }
        let a = try ServerProcess(["--mode", "production", "--database-url", url, "--migrate"])
        defer { _ = a.stop() }
        let b = try ServerProcess(["--mode", "production", "--database-url", url])
        defer { _ = b.stop() }
        let etag = try #require(try patch(a.baseURL + Self.path, #"{"desiredCapacity": 2}"#).headers["etag"])
        let woken = Locked<(CurlResponse?, TimeInterval)>((nil, 0))
        let resource = a.baseURL + Self.path
        Thread {
            let start = Date()
            let reply = try? curl(resource, ["-H", "If-None-Match: \(etag)", "-H", "Prefer: wait=30"])
            woken.withLock { $0 = (reply, Date().timeIntervalSince(start)) }
        }.start()
        #expect(try waitForMetric(a, "capacityd_long_polls_waiting{}", toBe: 1))
        #expect(try patch(b.baseURL + Self.path, #"{"desiredCapacity": 6}"#).status == 200)
        for _ in 0..<2500 where woken.withLock({ $0.0 == nil }) { usleep(10_000) }
        let (reply, seconds) = woken.withLock { $0 }
        #expect(reply?.status == 200 && reply?.json?["desiredCapacity"] as? Double == 6, "\(String(describing: reply))")
        #expect(seconds < 20, "woken after \(seconds) s")
    }

    /// Fails if a long-poll whose client resets its connection keeps its place among the waiters (past
    /// `--max-waiting`, every later long-poll would be answered at once).
    @Test func aResetLongPollLeavesTheWaiters() throws {
        let server = try ServerProcess(["--mode", "production", "--no-access-log"])
        defer { _ = server.stop() }
        let etag = try #require(try patch(server.baseURL + Self.path, #"{"desiredCapacity": 2}"#).headers["etag"])
        let connection = try RawConnection(port: server.port)
        connection.send("GET \(Self.path) HTTP/1.1\r\nHost: x\r\nIf-None-Match: \(etag)\r\nPrefer: wait=60\r\n\r\n")
        #expect(try waitForMetric(server, "capacityd_long_polls_waiting{}", toBe: 1))
        connection.reset()
        let reset = Date()
        #expect(try waitForMetric(server, "capacityd_long_polls_waiting{}", toBe: 0))
        #expect(Date().timeIntervalSince(reset) < 30, "freed only when its 60 s wait ran out")
    }

    /// Fails if SIGTERM does not answer every waiting long-poll at once with a 304 (the wait is 60 s; the
    /// answers must come within the shutdown grace), or if the server does not exit cleanly after.
    @Test func sigtermAnswersAThousandWaitersAtOnce() throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < 4096 {
            limit.rlim_cur = min(limit.rlim_max, 4096)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        let server = try ServerProcess(["--mode", "production", "--no-access-log"])
        let resource = server.baseURL + Self.path
        let etag = try #require(try patch(resource, #"{"desiredCapacity": 2}"#).headers["etag"])
        let waiters = 1000
        let connections = try (0..<waiters).map { _ in try RawConnection(port: server.port) }
        for connection in connections {
            connection.send("GET \(Self.path) HTTP/1.1\r\nHost: x\r\nIf-None-Match: \(etag)\r\nPrefer: wait=60\r\n\r\n")
        }
        #expect(try waitForMetric(server, "capacityd_long_polls_waiting{}", toBe: Double(waiters)))
        let signalled = Date()
        server.signal(SIGTERM)
        var answered = 0
        for connection in connections {
            if let response = connection.readResponses(1, timeout: 20).first, response.status == 304,
               response.header("ETag") == etag, response.header("Preference-Applied") == "wait=60" {
                answered += 1
            }
        }
        let seconds = Date().timeIntervalSince(signalled)
        #expect(answered == waiters)
        #expect(seconds < 45, "the waiters were answered \(seconds) s after SIGTERM")
        #expect(server.wait(timeout: 30) == 0)
    }
}

/// Polls `/metrics` until `sample` has `value` (10 s at most).
func waitForMetric(_ server: ServerProcess, _ sample: String, toBe value: Double) throws -> Bool {
    for _ in 0..<200 {
        if try parsePrometheus(try curl(server.baseURL + "/metrics").body)[sample] == value { return true }
        usleep(50_000)
    }
    return false
}
