import Foundation
import PostgresTestServer
import Testing

/// Concurrent PATCHes through several instances, each worker on ids of its own, one request at a time per id, so
/// what each id may hold afterwards is known exactly: its last acknowledged value, or a value sent after it that got
/// no `200` (a `503` with an unknown outcome, or no answer at all).
private final class PatchLoad: @unchecked Sendable {
    struct Ledger {
        var acknowledged: Int?
        var unsure: [Int] = []
    }

    private let lock = NSLock()
    private var ledgers: [String: Ledger] = [:]
    private var running = true
    private var workers = 0
    private(set) var acknowledged = 0
    private(set) var refused = 0
    private(set) var slowestRefusal = 0.0
    private(set) var problems: [String] = []
    /// Acknowledged PATCHes per port, counted from `markTime` on.
    private var acknowledgedSinceMark: [UInt16: Int] = [:]
    private var markTime = Double.infinity

    let ids: [String]

    init(ports: [UInt16], workers count: Int = 6, idsPerWorker: Int = 4) {
        ids = (0..<(count * idsPerWorker)).map { "fault-\($0)" }
        for worker in 0..<count {
            let mine = Array(ids[(worker * idsPerWorker)..<((worker + 1) * idsPerWorker)])
            lock.withLock { workers += 1 }
            Thread { [self] in
                run(mine, ports: ports, firstValue: worker * 1_000_000)
                lock.withLock { workers -= 1 }
            }.start()
        }
    }

    private var isRunning: Bool { lock.withLock { running } }

    private func run(_ ids: [String], ports: [UInt16], firstValue: Int) {
        var value = firstValue
        var turn = 0
        var connections: [UInt16: RawConnection] = [:]
        while isRunning {
            for id in ids {
                turn += 1
                value += 1
                let port = ports[turn % ports.count]
                guard let connection = connections[port] ?? (try? RawConnection(port: port)) else {
                    usleep(20_000)  // that instance is gone: the next turn tries another
                    continue
                }
                connections[port] = connection
                let body = #"{"desiredCapacity": \#(value)}"#
                lock.withLock { ledgers[id, default: Ledger()].unsure.append(value) }
                let started = Clock.seconds()
                connection.send("PATCH /v1/scalableTargetDimensions/\(id) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                + "Content-Length: \(body.utf8.count)\r\n\r\n" + body)
                guard let response = connection.readResponses(1, timeout: 30).first else {
                    connections[port] = nil  // closed or killed: the outcome stays unsure
                    continue
                }
                let seconds = Clock.seconds() - started
                lock.withLock {
                    switch response.status {
                    case 200 where response.json?["desiredCapacity"] as? Double == Double(value):
                        ledgers[id] = Ledger(acknowledged: value)
                        acknowledged += 1
                        if started >= markTime { acknowledgedSinceMark[port, default: 0] += 1 }
                    case 503 where response.header("Retry-After") != nil && response.json?["message"] is String:
                        refused += 1
                        slowestRefusal = max(slowestRefusal, seconds)
                    default:
                        problems.append("\(id) PATCH \(value): \(response.statusLine) \(response.body)")
                    }
                }
            }
        }
    }

    /// From now on, count acknowledgements per port.
    func mark() { lock.withLock { markTime = Clock.seconds() } }
    func acknowledgedSinceMark(port: UInt16) -> Int { lock.withLock { acknowledgedSinceMark[port] ?? 0 } }

    /// Waits until each of `ports` has acknowledged more than `count` PATCHes since the mark, or `seconds` pass:
    /// the load keeps running for as long as a slow (sanitized) build needs, and no longer.
    func waitForAcknowledgements(ports: [UInt16], moreThan count: Int, seconds: Double = 30) {
        let deadline = Clock.seconds() + seconds
        while Clock.seconds() < deadline && ports.contains(where: { acknowledgedSinceMark(port: $0) <= count }) {
            usleep(50_000)
        }
    }

    func stop() {
        lock.withLock { running = false }
        while lock.withLock({ workers }) > 0 { usleep(10_000) }
    }

    /// What `id` may hold: its last acknowledged value or one sent after it (1, the default, if nothing was ever
    /// acknowledged and nothing landed).
    func allowed(_ id: String) -> Set<Double> {
        lock.withLock {
            let ledger = ledgers[id] ?? Ledger()
            return Set(([ledger.acknowledged ?? 1] + ledger.unsure).map(Double.init))
        }
    }
}

/// The PostgreSQL store under faults, each under load with every answer checked: a server of its own per test,
/// two capacityd instances on it, a 1 s statement timeout and a 2 s connect timeout so that faults show quickly.
@Suite("PostgreSQL store under faults")
struct PostgresFaultTests {
    enum Fault: String, CaseIterable, CustomTestStringConvertible {
        /// `pg_terminate_backend` of every capacityd session.
        case terminateSessions = "pg_terminate_backend"
        /// `pg_ctl stop -m immediate` (a crash: recovery replays the WAL), down for a second, started again.
        case crashAndRestart = "crash and restart"
        /// `kill -STOP` of the whole server for 3 s (past the statement timeout), then `kill -CONT`.
        case pause = "kill -STOP"
        var testDescription: String { rawValue }
    }

    /// Fails if any answer is neither a `200` showing its own value nor a `503` with a message and Retry-After,
    /// if a `503` took longer than a few seconds (requests must not hang on a database that is gone), if an
    /// acknowledged PATCH is missing afterwards or an id holds a value that was never sent after its last
    /// acknowledged one, if the instances do not answer `200` again on their own, or if their descriptors grow.
    @Test(arguments: Fault.allCases)
    func acknowledgedChangesSurvive(_ fault: Fault) throws {
        let database = try PostgresTestServer()
        defer { try? database.stop(mode: "immediate") }
        let url = database.url()
        #expect(try runCapacityd(["db", "migrate", "--database-url", url]).status == 0)
        let options = ["--database-url", url, "--mode", "production", "--no-access-log",
                       "--database-statement-timeout", "1", "--database-connect-timeout", "2"]
        let servers = [try ServerProcess(options), try ServerProcess(options)]
        let descriptorsBefore = servers.map(openDescriptors)
        let load = PatchLoad(ports: servers.map(\.port))
        usleep(1_500_000)
        switch fault {
        case .terminateSessions:
            #expect(try database.terminateSessions(applicationName: "capacityd") > 0)
        case .crashAndRestart:
            try database.stop(mode: "immediate")
            usleep(1_000_000)
            try database.start()
        case .pause:
            try database.pause()
            usleep(3_000_000)
            try database.resume()
        }
        // Back on their own: every instance ready and taking writes again.
        for server in servers { #expect(waitUntilReady(server, seconds: 30), "\(server.baseURL) did not recover") }
        load.mark()
        load.waitForAcknowledgements(ports: servers.map(\.port), moreThan: 20)
        load.stop()

        #expect(load.problems == [])
        for server in servers { #expect(load.acknowledgedSinceMark(port: server.port) > 0, "\(server.baseURL) took no write after the fault") }
        #expect(load.slowestRefusal < 8, "a 503 took \(load.slowestRefusal) s")
        var checked = 0
        for id in load.ids {
            for server in servers {
                let desired = try curl(server.baseURL + "/v1/scalableTargetDimensions/\(id)").json?["desiredCapacity"] as? Double
                let allowed = load.allowed(id)
                #expect(desired != nil && allowed.contains(desired!), "\(id) holds \(String(describing: desired)), allowed \(allowed)")
                checked += 1
            }
        }
        for (server, before) in zip(servers, descriptorsBefore) {
            #expect(openDescriptors(server) <= before + 8, "descriptors grew from \(before) to \(openDescriptors(server))")
        }
        print("PostgreSQL \(fault.rawValue): \(load.acknowledged) PATCHes acknowledged, \(load.refused) answered 503 (slowest \(String(format: "%.2f", load.slowestRefusal)) s), \(checked) states checked, lost: 0")
        for server in servers { #expect(server.stop() == 0) }
    }

    /// Fails if killing one instance with -9 stops the other, or costs an acknowledged change.
    @Test func killingOneInstanceLeavesTheOthersServing() throws {
        let database = try PostgresTestServer()
        defer { try? database.stop(mode: "immediate") }
        let url = database.url()
        #expect(try runCapacityd(["db", "migrate", "--database-url", url]).status == 0)
        let options = ["--database-url", url, "--mode", "production", "--no-access-log"]
        let servers = [try ServerProcess(options), try ServerProcess(options)]
        let load = PatchLoad(ports: servers.map(\.port))
        usleep(1_000_000)
        servers[0].crash()
        load.mark()
        load.waitForAcknowledgements(ports: [servers[1].port], moreThan: 20)
        load.stop()
        #expect(load.problems == [])
        #expect(load.refused == 0, "the surviving instance answered 503")
        #expect(load.acknowledgedSinceMark(port: servers[1].port) > 20)
        for id in load.ids {
            let desired = try curl(servers[1].baseURL + "/v1/scalableTargetDimensions/\(id)").json?["desiredCapacity"] as? Double
            let allowed = load.allowed(id)
            #expect(desired != nil && allowed.contains(desired!), "\(id) holds \(String(describing: desired)), allowed \(allowed)")
        }
        print("PostgreSQL kill -9 of one instance: \(load.acknowledged) PATCHes acknowledged, lost: 0")
        #expect(servers[1].stop() == 0)
    }

    private func waitUntilReady(_ server: ServerProcess, seconds: Double) -> Bool {
        let deadline = Clock.seconds() + seconds
        while Clock.seconds() < deadline {
            if (try? curl(server.baseURL + "/readyz"))?.status == 200 { return true }
            usleep(100_000)
        }
        return false
    }

    private func openDescriptors(_ server: ServerProcess) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.pid)/fd").count) ?? -1
    }
}
