import Foundation
import PostgresTestServer
import Testing

/// capacityd on a real PostgreSQL 15 (the suite's throwaway server, a database per test): the commands, start-up
/// checks, and several instances serving the same ids.
@Suite("PostgreSQL store, end to end")
struct PostgresTests {
    /// Fails if serve starts on an unmigrated database or says so in more than one line, if migrate is not
    /// idempotent, if a change is not visible through the commands and after a restart, or if the commands refuse
    /// to work while a server runs on the database (the database serializes; there is no lock file).
    @Test func migrateServeAndAdministerWhileRunning() throws {
        let url = try PostgresTestServer.shared.createDatabase()
        defer { PostgresTestServer.shared.dropDatabase(url: url) }
        let refused = try runCapacityd(["serve", "--database-url", url, "--http", "127.0.0.1:0",
                                        "--state-dir", ServerProcess.temporaryDirectory() + "/state"])
        #expect(refused.status == 1)
        #expect(refused.output.contains("run `capacityd db migrate` first"), "\(refused.output)")
        #expect(refused.output.split(separator: "\n").count == 1, "\(refused.output)")

        let first = try runCapacityd(["db", "migrate", "--database-url", url])
        #expect(first.status == 0 && first.output.contains("migrated from version 0 to 2"), "\(first.output)")
        let again = try runCapacityd(["db", "migrate", "--database-url", url])
        #expect(again.status == 0 && again.output.contains("already at version 2"), "\(again.output)")

        let server = try ServerProcess(["--database-url", url])
        let resource = server.baseURL + "/v1/scalableTargetDimensions/orders"
        let patched = try patch(resource, #"{"desiredCapacity": 4}"#)
        #expect(patched.status == 200 && patched.json?["desiredCapacity"] as? Double == 4, "\(patched.body)")

        // The commands on the database while the server runs; the server sees what they wrote at once.
        let listed = try runCapacityd(["dimensions", "list", "--database-url", url])
        #expect(listed.status == 0 && listed.output.contains("orders"), "\(listed.output)")
        let set = try runCapacityd(["dimensions", "set", "orders", "--desired-capacity", "7", "--database-url", url])
        #expect(set.status == 0, "\(set.output)")
        #expect(try curl(resource).json?["desiredCapacity"] as? Double == 7)

        let legacy = ServerProcess.temporaryDirectory()
        try #"{"scalableTargetDimensionId": "imported", "version": "V", "resourceName": "R", "dimensionName": "D", "actualCapacity": 2, "desiredCapacity": 2, "scalingStatus": "Successful"}"#
            .write(toFile: legacy + "/imported", atomically: true, encoding: .utf8)
        let imported = try runCapacityd(["import", legacy, "--database-url", url])
        #expect(imported.status == 0 && imported.output.contains("imported 1"), "\(imported.output)")
        #expect(try curl(server.baseURL + "/v1/scalableTargetDimensions/imported").json?["resourceName"] as? String == "R")

        #expect(server.stop() == 0)
        try server.start()
        let restarted = try curl(server.baseURL + "/v1/scalableTargetDimensions/orders")  // a new port
        #expect(restarted.json?["desiredCapacity"] as? Double == 7, "a change was lost over a restart: \(restarted.status) \(restarted.body)")
        let status = try runCapacityd(["db", "status", "--database-url", url])
        #expect(status.status == 0 && status.output.contains("schema current, 2 dimensions"), "\(status.output)")
        // The conventional DATABASE_URL alone selects the same database.
        let conventional = try runCapacityd(["db", "status"], environment: ["DATABASE_URL": url])
        #expect(conventional.status == 0 && conventional.output.contains("schema current, 2 dimensions"), "\(conventional.output)")
        #expect(server.stop() == 0)
    }

    /// Fails if a file store's dimensions do not all arrive in the database with their ETags, or if copying again
    /// changes anything.
    @Test func aFileStoreMovesIntoTheDatabase() throws {
        let url = try PostgresTestServer.shared.createDatabase()
        defer { PostgresTestServer.shared.dropDatabase(url: url) }
        let fileServer = try ServerProcess()
        for (id, desired) in [("a", 3), ("b", 5), ("b", 6), ("b", 5)] {
            #expect(try patch(fileServer.baseURL + "/v1/scalableTargetDimensions/\(id)", #"{"desiredCapacity": \#(desired)}"#).status == 200)
        }
        let etag = try #require(try curl(fileServer.baseURL + "/v1/scalableTargetDimensions/b").headers["etag"])
        #expect(fileServer.stop() == 0)
        #expect(try runCapacityd(["db", "migrate", "--database-url", url]).status == 0)
        let copied = try runCapacityd(["db", "copy-from-file", fileServer.stateDirectory, "--database-url", url])
        #expect(copied.status == 0 && copied.output.contains("copied 2, skipped 0"), "\(copied.output)")
        let again = try runCapacityd(["db", "copy-from-file", fileServer.stateDirectory, "--database-url", url])
        #expect(again.status == 0 && again.output.contains("copied 0, skipped 2"), "\(again.output)")
        let server = try ServerProcess(["--database-url", url, "--mode", "production"])
        let copiedB = try curl(server.baseURL + "/v1/scalableTargetDimensions/b")
        #expect(copiedB.json?["desiredCapacity"] as? Double == 5 && copiedB.headers["etag"] == etag, "\(copiedB.headers)")
        #expect(server.stop() == 0)
    }

    /// Fails if a bad database configuration does not stop start-up with one line, if check-config does not
    /// report it, or if the password shows anywhere.
    @Test(arguments: [
        ("postgresql:///postgres?host=/nonexistent-capacityd-socket-dir&user=postgres", "cannot connect"),
        ("PG_ROLE", "role \"no_such_role\" does not exist"),
        ("postgresql://capacityd:s3cr3t-Passw0rd@127.0.0.1:1/capacityd?connect_timeout=2", "cannot connect"),
    ])
    func aBadDatabaseIsOneLineAtStartUp(url: String, expected: String) throws {
        // The suite's server is known only once it runs: the role case is named, then built here.
        let url = url == "PG_ROLE" ? PostgresTestServer.shared.url().replacingOccurrences(of: "user=postgres", with: "user=no_such_role") : url
        let state = ServerProcess.temporaryDirectory() + "/state"
        let served = try runCapacityd(["serve", "--database-url", url, "--http", "127.0.0.1:0", "--state-dir", state])
        #expect(served.status == 1)
        #expect(served.output.contains(expected), "\(served.output)")
        #expect(served.output.trimmingCharacters(in: .newlines).split(separator: "\n").count == 1, "\(served.output)")
        let checked = try runCapacityd(["check-config", "--database-url", url, "--http", "127.0.0.1:0", "--state-dir", state])
        #expect(checked.status == 1)
        #expect(checked.output.contains(expected), "\(checked.output)")
        for output in [served.output, checked.output] { #expect(!output.contains("s3cr3t"), "the password leaked: \(output)") }
        let invalid = try runCapacityd(["serve", "--database-url", "host=x port", "--state-dir", state])
        #expect(invalid.status != 0 && invalid.output.contains("not a libpq connection string"), "\(invalid.output)")
    }

    /// Against a server that asks for TLS and a password over TCP, as RDS does: fails if the right root and
    /// password do not serve, or if a wrong root (`sslmode=verify-full`) or a wrong password is not one line at
    /// start-up and in check-config, naming the cause, without the password.
    @Test func verifyFullAndPasswordsOverTCP() throws {
        let pki = try TestPKI()
        let root = try pki.selfSigned("database-root", isCA: true)
        let certificate = try pki.issue("database", by: root, server: true)
        let otherRoot = try pki.selfSigned("other-root", isCA: true)
        let password = "s3cr3t-Passw0rd"
        let database = try PostgresTestServer(tls: (certificate.certificate, certificate.key), password: password)
        let state = ServerProcess.temporaryDirectory() + "/state"

        let good = database.tlsURL(password: password, root: root.certificate)
        let migrated = try runCapacityd(["db", "migrate", "--database-url", good])
        #expect(migrated.status == 0 && migrated.output.contains("migrated from version 0 to 2"), "\(migrated.output)")
        let server = try ServerProcess(["--database-url", good, "--mode", "production"])
        #expect(try patch(server.baseURL + "/v1/scalableTargetDimensions/tls", #"{"desiredCapacity": 2}"#).status == 200)
        #expect(server.stop() == 0)
        #expect(!(server.stderr + server.stdout).contains(password), "the password leaked: \(server.stderr)")

        for (url, expected) in [
            (database.tlsURL(password: password, root: otherRoot.certificate), "certificate verify failed"),
            (database.tlsURL(password: "wrong-" + password, root: root.certificate), "password authentication failed"),
        ] {
            let served = try runCapacityd(["serve", "--database-url", url, "--http", "127.0.0.1:0", "--state-dir", state])
            #expect(served.status == 1)
            #expect(served.output.contains(expected), "\(served.output)")
            #expect(served.output.trimmingCharacters(in: .newlines).split(separator: "\n").count == 1, "\(served.output)")
            let checked = try runCapacityd(["check-config", "--database-url", url, "--http", "127.0.0.1:0", "--state-dir", state])
            #expect(checked.status == 1 && checked.output.contains(expected), "\(checked.output)")
            for output in [served.output, checked.output] { #expect(!output.contains(password), "the password leaked: \(output)") }
        }
        try database.stop()
    }

    /// Another session holds the table locked (an `ALTER TABLE`, a `VACUUM FULL`) for 8 s. Fails if a PATCH
    /// waits for the lock instead of being answered 503 with Retry-After after a few lock timeouts, or if the
    /// instance does not take the write once the lock is gone.
    @Test func aLockedTableIs503NotAWait() throws {
        let url = try PostgresTestServer.shared.createDatabase()
        defer { PostgresTestServer.shared.dropDatabase(url: url) }
        #expect(try runCapacityd(["db", "migrate", "--database-url", url]).status == 0)
        let server = try ServerProcess(["--database-url", url, "--mode", "production", "--database-lock-timeout", "0.2"])
        let resource = server.baseURL + "/v1/scalableTargetDimensions/locked"
        #expect(try patch(resource, #"{"desiredCapacity": 2}"#).status == 200)

        let locked = Locked(false)
        let released = DispatchSemaphore(value: 0)
        Thread {
            defer { released.signal() }
            _ = try? PostgresTestServer.shared.psql(
                "BEGIN; LOCK TABLE capacityd_dimensions IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(8); COMMIT;",
                database: PostgresTestServer.databaseName(of: url))
        }.start()
        // The lock is held once pg_locks shows it.
        let name = PostgresTestServer.databaseName(of: url)
        while !locked.withLock({ $0 }) {
            let count = try PostgresTestServer.shared.psql(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'capacityd_dimensions' AND l.mode = 'AccessExclusiveLock' AND l.granted",
                database: name)
            if count.trimmingCharacters(in: .whitespacesAndNewlines) == "1" { locked.withLock { $0 = true } } else { usleep(20_000) }
        }
        let started = Clock.seconds()
        let refused = try patch(resource, #"{"desiredCapacity": 3}"#)
        let waited = Clock.seconds() - started
        #expect(refused.status == 503 && refused.headers["retry-after"] != nil, "\(refused.status) \(refused.body)")
        #expect(waited < 6, "the PATCH waited \(waited) s for the lock")
        released.wait()
        let accepted = try patch(resource, #"{"desiredCapacity": 4}"#)
        #expect(accepted.status == 200 && accepted.json?["desiredCapacity"] as? Double == 4, "\(accepted.body)")
        #expect(server.stop() == 0)
    }

    /// Three instances on one database, each started with --migrate at the same moment. Per id one client PATCHes
    /// a new desiredCapacity through the instances in turn, waiting for each answer and then reading the id back
    /// through the two other instances, while other clients GET the same ids through all three (demo mode: every
    /// GET may advance the status, a write like any other).
    ///
    /// Fails if an instance fails to start, any request is not answered 200, a PATCH's answer is not its own
    /// value, a GET shows a value no PATCH sent, a GET that ran entirely between the acknowledgement of one PATCH
    /// and the sending of the next shows anything but that PATCH's value (a stale read, or a demo GET that wrote
    /// an older state back: a lost update), or the ids end anywhere but at their last PATCH on every instance.
    @Test func threeInstancesServeTheSameIDsLinearizably() throws {
        let url = try PostgresTestServer.shared.createDatabase()
        defer { PostgresTestServer.shared.dropDatabase(url: url) }
        let starting = Locked<[ServerProcess]>([])
        let failures = Locked<[String]>([])
        let group = DispatchGroup()
        for _ in 0..<3 {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let server = try ServerProcess(["--database-url", url, "--migrate", "--no-access-log"])
                    starting.withLock { $0.append(server) }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }.start()
        }
        group.wait()
        #expect(failures.withLock { $0 } == [])
        let servers = starting.withLock { $0 }
        try #require(servers.count == 3)
        let ports = servers.map(\.port)

        let ids = (0..<6).map { "shared-\($0)" }
        let patchesPerID = 30
        let history = Locked<[String: [(sent: Double, acknowledged: Double, value: Int)]]>([:])
        let reads = Locked<[(id: String, started: Double, finished: Double, value: Double)]>([])
        let done = Locked(false)

        for (index, id) in ids.enumerated() {
            group.enter()
            Thread {
                defer { group.leave() }
                let connections = ports.compactMap { try? RawConnection(port: $0) }
                guard connections.count == 3 else { return failures.withLock { $0.append("connect") } }
                for round in 1...patchesPerID {
                    let value = index * 1000 + round
                    let body = #"{"desiredCapacity": \#(value)}"#
                    let sent = Clock.seconds()
                    let connection = connections[(round + index) % 3]
                    connection.send("PATCH /v1/scalableTargetDimensions/\(id) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                    + "Content-Length: \(body.utf8.count)\r\n\r\n" + body)
                    guard let response = connection.readResponses(1, timeout: 20).first else {
                        return failures.withLock { $0.append("\(id): PATCH \(value) unanswered") }
                    }
                    let acknowledged = Clock.seconds()
                    guard response.status == 200, response.json?["desiredCapacity"] as? Double == Double(value) else {
                        return failures.withLock { $0.append("\(id): PATCH \(value) answered \(response.statusLine) \(response.body)") }
                    }
                    history.withLock { $0[id, default: []].append((sent, acknowledged, value)) }
                    // The writer itself reads the id through the two other instances before its next PATCH: reads
                    // that certainly fall between two PATCHes, however slow the machine (under the sanitizers the
                    // concurrent readers alone managed too few of them).
                    for other in 1...2 {
                        let reader = connections[(round + index + other) % 3]
                        let started = Clock.seconds()
                        reader.send("GET /v1/scalableTargetDimensions/\(id) HTTP/1.1\r\nHost: x\r\n\r\n")
                        guard let read = reader.readResponses(1, timeout: 20).first else {
                            return failures.withLock { $0.append("\(id): GET after PATCH \(value) unanswered") }
                        }
                        guard read.status == 200, let seen = read.json?["desiredCapacity"] as? Double else {
                            return failures.withLock { $0.append("\(id): GET answered \(read.statusLine) \(read.body)") }
                        }
                        reads.withLock { $0.append((id, started, Clock.seconds(), seen)) }
                    }
                }
            }.start()
        }
        let readers = Locked(0)
        for reader in 0..<6 {
            Thread {
                readers.withLock { $0 += 1 }
                defer { readers.withLock { $0 -= 1 } }
                let connections = ports.compactMap { try? RawConnection(port: $0) }
                guard connections.count == 3 else { return failures.withLock { $0.append("connect") } }
                var turn = reader
                while !done.withLock({ $0 }) {
                    turn += 1
                    let id = ids[turn % ids.count]
                    let started = Clock.seconds()
                    connections[turn % 3].send("GET /v1/scalableTargetDimensions/\(id) HTTP/1.1\r\nHost: x\r\n\r\n")
                    guard let response = connections[turn % 3].readResponses(1, timeout: 20).first else {
                        return failures.withLock { $0.append("\(id): GET unanswered") }
                    }
                    guard response.status == 200, let value = response.json?["desiredCapacity"] as? Double else {
                        return failures.withLock { $0.append("\(id): GET answered \(response.statusLine) \(response.body)") }
                    }
                    reads.withLock { $0.append((id, started, Clock.seconds(), value)) }
                }
            }.start()
        }
        group.wait()
        done.withLock { $0 = true }
        while readers.withLock({ $0 }) > 0 { usleep(10_000) }
        #expect(failures.withLock { $0 } == [])

        let patches = history.withLock { $0 }
        var checked = 0
        for read in reads.withLock({ $0 }) {
            let mine = patches[read.id] ?? []
            #expect(read.value == 1 || mine.contains { Double($0.value) == read.value },
                    "\(read.id): a GET showed \(read.value), which no PATCH sent")
            // The PATCH acknowledged last before this GET started; if the next one was sent only after it
            // finished, the GET had to see exactly that value.
            guard let last = mine.lastIndex(where: { $0.acknowledged < read.started }) else { continue }
            if last + 1 == mine.count || mine[last + 1].sent > read.finished {
                checked += 1
                #expect(read.value == Double(mine[last].value),
                        "\(read.id): a GET between PATCH \(mine[last].value) and the next showed \(read.value)")
            }
        }
        // Every writer's own read is checked (180 PATCHes × 2); fewer means the check above skipped reads it must not.
        #expect(checked >= ids.count * patchesPerID * 2, "only \(checked) GETs were checked against the PATCH before them")
        for id in ids {
            let last = Double(patches[id]?.last?.value ?? -1)
            for server in servers {
                #expect(try curl(server.baseURL + "/v1/scalableTargetDimensions/\(id)").json?["desiredCapacity"] as? Double == last)
            }
        }
        print("three instances: \(patches.values.map(\.count).reduce(0, +)) PATCHes and \(reads.withLock { $0.count }) GETs answered, \(checked) GETs checked against the PATCH before them")
        for server in servers { #expect(server.stop() == 0) }
    }
}

/// A value behind a lock, for the threads of one test.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&value) } }
}

enum Clock {
    /// Seconds on the monotonic clock.
    static func seconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
