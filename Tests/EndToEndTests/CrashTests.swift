import Foundation
import Testing

/// What one worker sent and what the server acknowledged, per id.
private final class Ledger: @unchecked Sendable {
    private let lock = NSLock()
    /// The last value that got a 200, per id.
    private var acknowledged: [String: Double] = [:]
    /// The value of a PATCH sent but not answered when the server died (it may or may not have landed).
    private var inFlight: [String: Double] = [:]

    func sending(_ id: String, _ value: Double) { lock.withLock { inFlight[id] = value } }

    func acknowledge(_ id: String, _ value: Double) {
        lock.withLock {
            acknowledged[id] = value
            inFlight[id] = nil
        }
    }

    /// The values the store may hold for `id` after a crash.
    func allowed(_ id: String, initial: Double) -> Set<Double> {
        lock.withLock { [acknowledged[id] ?? initial, inFlight[id] ?? acknowledged[id] ?? initial] }
    }

    func clearInFlight() { lock.withLock { inFlight.removeAll() } }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    func add(_ count: Int) { lock.withLock { total += count } }
    var value: Int { lock.withLock { total } }
}

@Suite("Crash consistency")
struct CrashTests {
    static let ids = (0..<24).map { "crash-\($0)" }
    static let workers = 12
    /// 6 in the suite; `scripts/crash-cycles N` runs the same test with more.
    static let cycles = Int(ProcessInfo.processInfo.environment["CAPACITYD_CRASH_CYCLES"] ?? "") ?? 6

    /// Many concurrent PATCHes, `kill -9` at a random moment, restart: every acknowledged PATCH is there, the
    /// store opens (nothing torn), and an unanswered PATCH is either fully there or not at all.
    ///
    /// With `powerLoss`, each kill is followed by what a power cut may do on top of it: the log loses an arbitrary
    /// part of what was written after its last successful fdatasync (the fault shim records that point), and the
    /// part it keeps may end in zeros (space allocated, data never written). Synced bytes are never touched: that
    /// is the promise fdatasync makes. Its disk is slow (each fdatasync 3 ms longer), so that most kills land while
    /// written bytes are not yet synced.
    @Test(arguments: [false, true])
    func everyAcknowledgedPatchSurvivesKill9(powerLoss: Bool) throws {
        let directory = ServerProcess.temporaryDirectory()
        let synced = directory + "/synced-log-size"
        let environment = powerLoss ? ["LD_PRELOAD": try buildFaultShim(into: directory), "FAULTFS_SYNCED": synced,
                                       "FAULTFS_SYNC_DELAY_US": "3000"] : [:]
        let server = try ServerProcess(["--mode", "production", "--no-access-log"], environment: environment,
                                       directory: directory)
        var unsyncedTailsCut = 0
        let ledger = Ledger()
        var counter = 1.0
        let totalAcknowledged = Counter()
        var cycle = 0
        // A kill can land between two batches, with nothing unsynced to lose: the power-loss run goes on (up to
        // four times as long) until at least one cut has happened.
        while cycle < Self.cycles || (powerLoss && unsyncedTailsCut == 0 && cycle < Self.cycles * 4) {
            if cycle > 0 { try server.start() }
            let group = DispatchGroup()
            for worker in 0..<Self.workers {
                let mine = Self.ids.enumerated().filter { $0.offset % Self.workers == worker }.map(\.element)
                let base = counter + Double(worker) * 100_000
                group.enter()
                let thread = Thread { [port = server.port] in
                    defer { group.leave() }
                    Self.hammer(port: port, ids: mine, firstValue: base, ledger: ledger, acknowledged: totalAcknowledged)
                }
                thread.start()
            }
            // The kill lands in the steady state: after every worker's first answer (a new process first syncs its
            // directory, and a sanitized one warms up slowly), then at a random moment.
            let steadyFrom = totalAcknowledged.value + Self.workers
            let warmUpEnds = Date().addingTimeInterval(20)
            while totalAcknowledged.value < steadyFrom && Date() < warmUpEnds { usleep(5_000) }
            usleep(UInt32.random(in: 50_000...500_000))
            server.crash()
            #expect(group.wait(timeout: .now() + 30) == .success)
            counter += 1_000_000
            if powerLoss, try Self.losePower(log: server.stateDirectory + "/dimensions.log", syncedSizeFile: synced) {
                unsyncedTailsCut += 1
            }

            try server.start()
            for id in Self.ids {
                let response = try curl(server.baseURL + "/v1/scalableTargetDimensions/" + id)
                #expect(response.status == 200)
                let desired = response.json?["desiredCapacity"] as? Double ?? -1
                let allowed = ledger.allowed(id, initial: 1)
                #expect(allowed.contains(desired), "cycle \(cycle) \(id): \(desired) not in \(allowed)")
                // Whatever landed is now the acknowledged state.
                ledger.acknowledge(id, desired)
            }
            ledger.clearInFlight()
            server.crash()
            cycle += 1
        }
        print("crash test\(powerLoss ? " with power loss" : ""): \(cycle) kill -9 cycles"
              + (powerLoss ? " (\(unsyncedTailsCut) with an unsynced log tail cut)" : "")
              + ", \(totalAcknowledged.value) acknowledged PATCHes, all present after restart")
        #expect(totalAcknowledged.value > Self.cycles * 10, "too few PATCHes were acknowledged for the test to mean much")
        if powerLoss { #expect(unsyncedTailsCut > 0, "no cycle had unsynced bytes to lose") }
    }

    /// Cuts the log to a random length from its last synced size to just short of its size now, and sometimes
    /// zeroes the end of what is kept. Answers whether there was anything unsynced to lose.
    private static func losePower(log: String, syncedSizeFile: String) throws -> Bool {
        let record = (try? String(contentsOfFile: syncedSizeFile, encoding: .utf8)) ?? ""
        let syncedSize = Int(record.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: log)))
        guard bytes.count > syncedSize else { return false }
        let kept = Int.random(in: syncedSize..<bytes.count)
        bytes.removeSubrange(kept...)
        if Bool.random() {
            let zeroFrom = Int.random(in: syncedSize...kept)
            bytes.replaceSubrange(zeroFrom..<kept, with: repeatElement(0, count: kept - zeroFrom))
        }
        try Data(bytes).write(to: URL(fileURLWithPath: log))
        // What survived the cut is on disk now: the next cut must not take it (the restart may not sync again).
        try "\(kept)\n".write(toFile: syncedSizeFile, atomically: false, encoding: .utf8)
        return true
    }

    /// One worker: PATCHes its ids in turn on one keep-alive connection until the server dies, counting each
    /// acknowledgement as it comes.
    private static func hammer(port: UInt16, ids: [String], firstValue: Double, ledger: Ledger, acknowledged: Counter) {
        guard let connection = try? RawConnection(port: port) else { return }
        var value = firstValue
        while true {
            for id in ids {
                value += 1
                let body = "{\"desiredCapacity\": \(Int(value))}"
                ledger.sending(id, value)
                connection.send("PATCH /v1/scalableTargetDimensions/\(id) HTTP/1.1\r\nHost: x\r\n"
                                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
                guard let response = connection.readResponses(1, timeout: 10).first else { return }
                guard response.status == 200, response.body.contains("\"desiredCapacity\": \(Int(value))") else {
                    Issue.record("unexpected answer \(response.statusLine) \(response.body)")
                    return
                }
                ledger.acknowledge(id, value)
                acknowledged.add(1)
            }
        }
    }
}
