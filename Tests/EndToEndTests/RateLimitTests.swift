import Foundation
import Testing

/// `--rate-limit`: 429 with Retry-After past a client's rate, on the API's routes only, with bounded memory.
@Suite("Rate limiting")
struct RateLimitTests {
    /// Five at once, then one every two seconds. Fails if the burst is not let through, the rest not refused with
    /// 429, a JSON message and Retry-After, if a refused PATCH changes anything, if another client or a health
    /// check is held back, if the client is not let through once it waited, or if /metrics does not count it.
    @Test func aClientPastItsRateGets429AndRetryAfter() throws {
        let server = try ServerProcess(["--mode", "production", "--rate-limit", "0.5/s", "--rate-burst", "5"])
        let path = "/v1/scalableTargetDimensions/limited"
        let connection = try RawConnection(port: server.port)
        let body = #"{"desiredCapacity": 9}"#
        connection.send(String(repeating: "GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n", count: 11)
                        + "PATCH \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let responses = connection.readResponses(12)
        #expect(responses.map(\.status) == Array(repeating: 200, count: 5) + Array(repeating: 429, count: 7))
        let refused = try #require(responses.last)
        #expect(refused.header("Retry-After").flatMap(Int.init).map { (1...2).contains($0) } == true, "\(refused.header("Retry-After") ?? "none")")
        #expect((refused.json?["message"] as? String)?.contains("Too many requests") == true, "\(refused.body)")

        // Another address is another client; health checks are never limited.
        let other = try RawConnection(port: server.port, source: "127.0.0.2")
        other.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
        let seen = try #require(other.readResponses(1).first)
        #expect(seen.status == 200 && seen.json?["desiredCapacity"] as? Double == 1, "the refused PATCH changed something: \(seen.body)")
        for _ in 0..<10 { #expect(try curl(server.baseURL + "/healthz").status == 200) }

        sleep(UInt32(refused.header("Retry-After").flatMap(UInt32.init) ?? 2))
        connection.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(connection.readResponses(1).first?.status == 200)
        let metrics = try curl(server.baseURL + "/metrics").body
        let limited = metrics.split(separator: "\n").first { $0.hasPrefix("capacityd_rate_limited_total ") }
        #expect(limited.flatMap { Double($0.split(separator: " ")[1]) }.map { $0 >= 7 } == true, "\(limited ?? "none")")
        #expect(server.stop() == 0)
    }

    /// Ten thousand clients, each from an address of its own, with room for a thousand. Fails if the server
    /// tracks more than its bound, answers anything but 200 (every client is within its rate), or grows by more
    /// than a few MiB.
    @Test func memoryStaysBoundedUnderManyClients() throws {
        let server = try ServerProcess(["--rate-limit", "10/s", "--rate-limit-clients", "1000", "--no-access-log"])
        func residentKiB() -> Int {
            let status = (try? String(contentsOfFile: "/proc/\(server.pid)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        func request(from source: String) -> Int? {
            guard let connection = try? RawConnection(port: server.port, source: source) else { return nil }
            connection.send("GET /v1/scalableTargetDimensions/many HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return connection.readResponses(1).first?.status
        }
        for index in 0..<1000 { _ = request(from: "127.1.\(index / 250).\(index % 250 + 1)") }  // warm up
        let before = residentKiB()
        var statuses: [Int?: Int] = [:]
        for index in 0..<10_000 { statuses[request(from: "127.2.\(index / 250).\(index % 250 + 1)"), default: 0] += 1 }
        let after = residentKiB()
        #expect(statuses == [200: 10_000])
        let metrics = try curl(server.baseURL + "/metrics").body
        let clients = metrics.split(separator: "\n").first { $0.hasPrefix("capacityd_rate_limit_clients ") }
            .flatMap { Double($0.split(separator: " ")[1]) }
        #expect(clients.map { $0 <= 1000 } == true, "\(String(describing: clients))")
        if ProcessInfo.processInfo.environment["CAPACITYD_SANITIZER"] == nil {
            #expect(after - before < 8 * 1024, "RSS grew from \(before) KiB to \(after) KiB")
        }
        print("rate limit: 10,000 clients from distinct addresses, \(Int(clients ?? -1)) tracked (bound 1,000), RSS \(before) → \(after) KiB")
        #expect(server.stop() == 0)
    }
}
