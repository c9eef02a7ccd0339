import Foundation
import Testing

/// The state of one dimension as the test expects it, kept by its own reading of the API contract rather than by
/// the server's code: a second opinion on every answer.
private struct ExpectedDimension: Equatable {
    var desired: Double
    var actual: Double
    var status: String
    var reason: String?

    init(json: [String: Any]) {
        desired = json["desiredCapacity"] as? Double ?? -1
        actual = json["actualCapacity"] as? Double ?? -1
        status = json["scalingStatus"] as? String ?? "?"
        reason = json["failureReason"] as? String
    }

    /// A valid PATCH in production mode: operator fields apply as given, a status other than Failed drops the
    /// reason, and a new desired capacity restarts the change.
    mutating func apply(desired newDesired: Double?, actual newActual: Double?, status newStatus: String?, reason newReason: String??) {
        if let newActual { actual = newActual }
        if let newStatus {
            status = newStatus
            if newStatus != "Failed" { reason = nil }
        }
        if let newReason { reason = newReason }
        if let newDesired, newDesired != desired {
            desired = newDesired
            status = "Pending"
            reason = nil
        }
    }
}

private final class SoakTotals: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var requests = 0, patches = 0, refusals = 0
    private(set) var problems: [String] = []
    private(set) var models: [String: ExpectedDimension] = [:]

    func add(requests: Int, patches: Int, refusals: Int, problems: [String], models: [String: ExpectedDimension]) {
        lock.withLock {
            self.requests += requests
            self.patches += patches
            self.refusals += refusals
            self.problems += problems
            self.models.merge(models) { $1 }
        }
    }
}

/// A bounded soak: keep-alive workers GET and PATCH many ids (with some invalid bodies, which must change nothing),
/// the server is sent SIGHUP every few seconds (TLS reload, log reopening) and answers HTTPS after each, and its
/// RSS and descriptors are sampled. At the end, and again after a restart, every id matches the model. A short run
/// is in the suite; `scripts/soak SECONDS` runs a long one and prints the figures.
@Suite("Soak")
struct SoakTests {
    static let seconds = Double(ProcessInfo.processInfo.environment["CAPACITYD_SOAK_SECONDS"] ?? "") ?? 20
    static let workers = 8
    static let idsPerWorker = 32

    @Test func mixedLoadWithReloadsKeepsStateMemoryAndDescriptorsSteady() throws {
        let pki = try TestPKI()
        let (root, chain, key) = try pki.serverChain()
        let server = try ServerProcess(["--mode", "production", "--no-access-log", "--https", "127.0.0.1:0",
                                        "--tls-cert", chain, "--tls-key", key])
        let stop = Flag()
        let totals = SoakTotals()
        let group = DispatchGroup()
        for worker in 0..<Self.workers {
            group.enter()
            Thread { [port = server.port] in
                defer { group.leave() }
                Self.work(port: port, ids: (0..<Self.idsPerWorker).map { "soak-\(worker)-\($0)" }, stop: stop, totals: totals)
            }.start()
        }

        var samples: [(rss: Int, fds: Int)] = []
        var reloads = 0
        let started = Date()
        while Date().timeIntervalSince(started) < Self.seconds {
            sleep(1)
            samples.append((Self.rssKiB(server.pid), Self.descriptors(server.pid)))
            if samples.count % 3 == 0 {
                server.signal(SIGHUP)
                reloads += 1
                let https = try curl("https://localhost:\(server.tlsPort)/time",
                                     ["--cacert", root.certificate, "--resolve", "localhost:\(server.tlsPort):127.0.0.1"])
                #expect(https.status == 200, "HTTPS after reload \(reloads)")
            }
        }
        stop.set()
        #expect(group.wait(timeout: .now() + 30) == .success)
        let quiet = (rss: Self.rssKiB(server.pid), fds: Self.descriptors(server.pid))

        // The first quarter warms up (caches, pools, the kernel's socket buffers); growth is measured after it.
        let warm = samples[samples.count / 4]
        let peakAfterWarmUp = samples[(samples.count / 4)...].map(\.rss).max() ?? 0
        print("soak: \(Int(Self.seconds)) s, \(totals.requests) requests (\(totals.patches) PATCH acknowledged, "
              + "\(totals.refusals) invalid PATCH refused), \(reloads) SIGHUP reloads; RSS \(warm.rss / 1024) MiB after "
              + "warm-up, peak \(peakAfterWarmUp / 1024) MiB, \(quiet.rss / 1024) MiB at the end; descriptors "
              + "\(warm.fds) under load after warm-up, \(quiet.fds) at rest; \(totals.models.count) ids checked")
        #expect(totals.problems.isEmpty, "\(totals.problems.prefix(5))")
        #expect(totals.patches > 100 && totals.refusals > 10, "too little load to mean much")
        #expect(quiet.fds <= warm.fds, "descriptors grew: \(warm.fds) → \(quiet.fds)")
        // A sanitizer's shadow memory and quarantine make RSS meaningless (scripts/sanitize sets this).
        if ProcessInfo.processInfo.environment["CAPACITYD_SANITIZER"] == nil {
            #expect(quiet.rss - warm.rss < 16 * 1024, "RSS grew \(warm.rss) → \(quiet.rss) KiB")
        }

        // The same state over a fresh connection, and after a restart from the store.
        for restarted in [false, true] {
            if restarted {
                #expect(server.stop() == 0)
                try server.start()
            }
            let connection = try RawConnection(port: server.port)
            for (id, expected) in totals.models {
                connection.send("GET /v1/scalableTargetDimensions/\(id) HTTP/1.1\r\nHost: x\r\n\r\n")
                let json = connection.readResponses(1).first?.json ?? [:]
                #expect(ExpectedDimension(json: json) == expected, "\(id) after \(restarted ? "restart" : "load")")
            }
        }
        server.stop()
    }

    /// One worker: its own ids, one keep-alive connection, random GETs and PATCHes, each answer checked.
    private static func work(port: UInt16, ids: [String], stop: Flag, totals: SoakTotals) {
        var models: [String: ExpectedDimension] = [:]
        var requests = 0, patches = 0, refusals = 0
        var problems: [String] = []
        var generator = SystemRandomNumberGenerator()
        guard var connection = try? RawConnection(port: port) else { return }
        func exchange(_ request: String) -> RawResponse? {
            connection.send(request)
            requests += 1
            if let response = connection.readResponses(1, timeout: 10).first { return response }
            problems.append("no answer to \(request.prefix(60))")
            if let fresh = try? RawConnection(port: port) { connection = fresh }
            return nil
        }
        while !stop.isSet && problems.count < 5 {
            let id = ids.randomElement(using: &generator)!
            let path = "/v1/scalableTargetDimensions/" + id
            guard let model = models[id] else {
                if let response = exchange("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n"), let json = response.json {
                    models[id] = ExpectedDimension(json: json)
                }
                continue
            }
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<4:
                guard let response = exchange("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n") else { continue }
                if response.status != 200 || response.json.map(ExpectedDimension.init) != model {
                    problems.append("GET \(id): \(response.statusLine) \(response.body) expected \(model)")
                }
            case 4:
                let invalid = [#"{"desiredCapacity": -1}"#, #"{"scalingStatus": "Done"}"#, #"{"colour": 1}"#, "{", "[]"]
                let body = invalid.randomElement(using: &generator)!
                guard let response = exchange(patch(path, body)) else { continue }
                if response.status == 400 { refusals += 1 } else { problems.append("invalid \(body) got \(response.statusLine)") }
            default:
                let desired = Bool.random(using: &generator) ? Double(Int.random(in: 0...20, using: &generator)) : nil
                let actual = Bool.random(using: &generator) ? Double(Int.random(in: 0...20, using: &generator)) : nil
                let status = Bool.random(using: &generator) ? ["Pending", "InProgress", "Successful", "Failed"].randomElement()! : nil
                let reason: String?? = Int.random(in: 0..<3, using: &generator) == 0
                    ? (Bool.random(using: &generator) ? .some(nil) : .some("reason \(requests)")) : nil
                var fields: [String] = []
                if let desired { fields.append("\"desiredCapacity\": \(desired)") }
                if let actual { fields.append("\"actualCapacity\": \(actual)") }
                if let status { fields.append("\"scalingStatus\": \"\(status)\"") }
                if let reason { fields.append("\"failureReason\": " + (reason.map { "\"\($0)\"" } ?? "null")) }
                guard !fields.isEmpty, let response = exchange(patch(path, "{" + fields.joined(separator: ", ") + "}")) else { continue }
                var expected = model
                expected.apply(desired: desired, actual: actual, status: status, reason: reason)
                if response.status == 200 && response.json.map(ExpectedDimension.init) == expected {
                    models[id] = expected
                    patches += 1
                } else {
                    problems.append("PATCH \(id) \(fields): \(response.statusLine) \(response.body) expected \(expected)")
                }
            }
        }
        totals.add(requests: requests, patches: patches, refusals: refusals, problems: problems, models: models)
    }

    private static func patch(_ path: String, _ body: String) -> String {
        "PATCH \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
    }

    static func rssKiB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    static func descriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }
}
