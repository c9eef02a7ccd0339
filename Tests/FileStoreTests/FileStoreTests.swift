import Foundation
import Testing
@testable import FileStore
import StoreContract
import Scaling
import SystemIO

private typealias Dimension = Scaling.Dimension

private func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "capacityd-store-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Opens the store in `directory`, waiting out a lock that this process has just released. A flock(2) lock belongs
/// to the open file description, and a child that another test's thread is spawning (curl, a server, PostgreSQL)
/// shares it from its fork until its exec closes it; for that moment a directory closed here still reads as in use.
private func openStore(_ directory: String, options: FileStore.Options = FileStore.Options()) throws -> FileStore {
    let deadline = ContinuousClock.now + .seconds(10)
    var opened = Result { () throws(FileStore.OpenError) in try FileStore(directory: directory, options: options) }
    while case .failure(let error) = opened, error.inUse, ContinuousClock.now < deadline {
        usleep(10_000)
        opened = Result { () throws(FileStore.OpenError) in try FileStore(directory: directory, options: options) }
    }
    return try opened.get()
}

private func sample(_ name: String, desired: Double = 1, status: ScalingStatus = .successful) -> Dimension {
    Dimension(id: try! DimensionID(name), version: "V", resourceName: "R", dimensionName: "D",
              actualCapacity: 1, desiredCapacity: desired, scalingStatus: status)
}

private func put(_ store: FileStore, _ dimension: Dimension) throws {
    _ = try store.updateAndWait(dimension.id) { _ throws(ScalingError) in dimension }.get()
}

@Suite("File store")
struct FileStoreTests {
    @Test func survivesReopen() throws {
        let directory = temporaryDirectory()
        do {
            let store = try openStore(directory)
            try put(store, sample("a", desired: 2))
            try put(store, sample("b", desired: 3))
            try put(store, sample("a", desired: 4, status: .pending))
            #expect(try store.dimensionAndWait(try DimensionID("a")).get()?.desiredCapacity == 4)
            store.close()
        }
        let reopened = try openStore(directory)
        defer { reopened.close() }
        #expect(try reopened.allDimensionsAndWait().get() == [sample("a", desired: 4, status: .pending), sample("b", desired: 3)])
    }

    @Test func anUnchangedUpdateWritesNothing() throws {
        let directory = temporaryDirectory()
        let store = try openStore(directory)
        defer { store.close() }
        try put(store, sample("a"))
        let before = store.statistics
        let change = try store.updateAndWait(try DimensionID("a")) { current throws(ScalingError) in current! }.get()
        #expect(!change.changed)
        #expect(store.statistics.records == before.records)
    }

    @Test func aRefusedChangeWritesNothing() throws {
        let store = try openStore(temporaryDirectory())
        defer { store.close() }
        let id = try DimensionID("missing")
        let result = store.updateAndWait(id) { _ throws(ScalingError) in throw .notFound(id) }
        #expect(throws: ScalingError.notFound(id)) { try result.get() }
        #expect(try store.dimensionAndWait(id).get() == nil)
        #expect(store.statistics.records == 0)
    }

    @Test func aTornTailIsCutOff() throws {
        let directory = temporaryDirectory()
        do {
            let store = try openStore(directory)
            try put(store, sample("a", desired: 2))
            store.close()
        }
        let logPath = directory + "/dimensions.log"
        let whole = try Data(contentsOf: URL(fileURLWithPath: logPath))
        var line: [UInt8] = []
        RecordFormat.appendLine(sample("a", desired: 9), to: &line)
        // Every strict prefix of the next record is what a crash mid-write can leave.
        for cut in [1, 8, 9, 30, line.count - 1] {
            try (whole + Data(line[0..<cut])).write(to: URL(fileURLWithPath: logPath))
            let store = try openStore(directory)
            #expect(try store.dimensionAndWait(try DimensionID("a")).get()?.desiredCapacity == 2, "cut at \(cut)")
            store.close()
            #expect(try Data(contentsOf: URL(fileURLWithPath: logPath)) == whole, "cut at \(cut)")
        }
        // Zeros are what a file extended but never written looks like after a power loss.
        try (whole + Data(repeating: 0, count: 4096)).write(to: URL(fileURLWithPath: logPath))
        let store = try openStore(directory)
        #expect(try store.dimensionAndWait(try DimensionID("a")).get()?.desiredCapacity == 2)
        store.close()
    }

    @Test func damageFollowedByWholeRecordsRefusesToStart() throws {
        let directory = temporaryDirectory()
        var bytes: [UInt8] = []
        RecordFormat.appendLine(sample("a"), to: &bytes)
        bytes[12] ^= 0x20  // a flipped bit inside the first record's JSON
        RecordFormat.appendLine(sample("b"), to: &bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: directory + "/dimensions.log"))
        #expect(throws: FileStore.OpenError.self) { try FileStore(directory: directory) }
    }

    @Test func aDamagedSnapshotRefusesToStart() throws {
        let directory = temporaryDirectory()
        try Data("00000000 {}\n".utf8).write(to: URL(fileURLWithPath: directory + "/dimensions.snapshot"))
        #expect(throws: FileStore.OpenError.self) { try FileStore(directory: directory) }
    }

    @Test func aLeftoverTemporarySnapshotIsRemoved() throws {
        let directory = temporaryDirectory()
        let temporary = directory + "/dimensions.snapshot.tmp"
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: temporary))
        let store = try openStore(directory)
        store.close()
        #expect(!FileManager.default.fileExists(atPath: temporary))
    }

    @Test func oneProcessAtATime() throws {
        let directory = temporaryDirectory()
        let store = try openStore(directory)
        defer { store.close() }
        #expect(throws: FileStore.OpenError.self) { try FileStore(directory: directory) }
    }

    @Test func compactionKeepsEverythingAndEmptiesTheLog() throws {
        let directory = temporaryDirectory()
        do {
            let store = try openStore(directory, options: .init(compactionThresholdBytes: 4096))
            for round in 0..<40 {
                for name in ["a", "b", "c"] { try put(store, sample(name, desired: Double(round))) }
            }
            store.close()
        }
        let logSize = try FileManager.default.attributesOfItem(atPath: directory + "/dimensions.log")[.size] as! Int
        #expect(logSize < 4096 + 1024)
        #expect(FileManager.default.fileExists(atPath: directory + "/dimensions.snapshot"))
        let reopened = try openStore(directory)
        defer { reopened.close() }
        #expect(try reopened.allDimensionsAndWait().get().map(\.desiredCapacity) == [39, 39, 39])
    }

    @Test func deletionsAreDurableAndSurviveCompaction() throws {
        let directory = temporaryDirectory()
        do {
            let store = try openStore(directory)
            try put(store, sample("a", desired: 2))
            try put(store, sample("b", desired: 3))
            #expect(try store.deleteAndWait(DimensionID("a")).get() == sample("a", desired: 2))
            #expect(try store.dimensionAndWait(try DimensionID("a")).get() == nil)
            #expect(store.deleteAndWait(try DimensionID("a")) == .failure(.notFound(try DimensionID("a"))))
            store.close()
        }
        do {
            let reopened = try openStore(directory)
            #expect(try reopened.allDimensionsAndWait().get() == [sample("b", desired: 3)])
            try put(reopened, sample("a", desired: 7))  // an id can come back
            _ = reopened.deleteAndWait(try DimensionID("b"))
            reopened.close()
        }
        let log = try String(contentsOfFile: directory + "/dimensions.log", encoding: .utf8)
        #expect(log.contains(#"{"deletedDimensionId": "b"}"#))
        let compacting = try openStore(directory, options: .init(compactionThresholdBytes: 1, compactionWaitsForSnapshotSize: false))
        try put(compacting, sample("c"))
        compacting.close()
        let snapshot = try String(contentsOfFile: directory + "/dimensions.snapshot", encoding: .utf8)
        #expect(!snapshot.contains("deletedDimensionId") && !snapshot.contains("\"b\""))
        let final = try openStore(directory)
        defer { final.close() }
        #expect(try final.allDimensionsAndWait().get().map(\.id.value) == ["a", "c"])
    }

    /// Fails if records written without a revision do not get distinct ones, in file order, the same at every
    /// opening, or if a later write can repeat one.
    @Test func recordsWithoutRevisionsGetThemInFileOrder() throws {
        let directory = temporaryDirectory()
        var bytes: [UInt8] = []
        for record in [sample("a"), sample("b"), sample("a", desired: 2)] { RecordFormat.appendLine(record, to: &bytes) }
        #expect(!String(decoding: bytes, as: UTF8.self).contains("revision"))
        try Data(bytes).write(to: URL(fileURLWithPath: directory + "/dimensions.log"))
        for _ in 0..<2 {
            let store = try openStore(directory)
            #expect(try store.allDimensionsAndWait().get().map(\.revision) == [3, 2])
            store.close()
        }
        let store = try openStore(directory)
        defer { store.close() }
        #expect(try store.updateAndWait(try DimensionID("b")) { _ throws(ScalingError) in sample("b", desired: 5) }.get().after.revision == 4)
    }

    /// Fails if a compaction forgets the highest revision given when its dimension was deleted: the id created
    /// again would be at a revision it had before, and an ETag kept from then would match.
    @Test func compactionKeepsTheRevisionCounter() throws {
        let directory = temporaryDirectory()
        let compacting = try openStore(directory, options: .init(compactionThresholdBytes: 1, compactionWaitsForSnapshotSize: false))
        try put(compacting, sample("a"))
        try put(compacting, sample("b"))
        try put(compacting, sample("b", desired: 2))
        _ = try compacting.deleteAndWait(try DimensionID("b")).get()  // and compacts: the snapshot holds a at 1
        compacting.close()
        let snapshot = try String(contentsOfFile: directory + "/dimensions.snapshot", encoding: .utf8)
        #expect(snapshot.contains(#"{"lastRevision": 3}"#) && !snapshot.contains("\"b\""))
        let reopened = try openStore(directory)
        defer { reopened.close() }
        #expect(try reopened.updateAndWait(try DimensionID("b")) { _ throws(ScalingError) in sample("b") }.get().after.revision == 4)
    }

    /// Fails if a compaction loses an undelivered event, keeps a delivered one, or loses a settlement's state.
    @Test func compactionKeepsTheUndeliveredEvents() throws {
        let directory = temporaryDirectory()
        var options = FileStore.Options(compactionThresholdBytes: 1, compactionWaitsForSnapshotSize: false)
        options.eventReceivers = ["http://127.0.0.1/hook"]
        let store = try openStore(directory, options: options)
        try put(store, sample("a"))
        try put(store, sample("b"))
        try put(store, sample("b", desired: 2))
        let entries = try store.outboxEntries().get()
        #expect(entries.count == 3)
        try store.settle(entries[0], .delivered).get()
        try store.settle(entries[1], .retry(at: 42)).get()  // and compacts
        store.close()
        let snapshot = try String(contentsOfFile: directory + "/dimensions.snapshot", encoding: .utf8)
        #expect(snapshot.components(separatedBy: "{\"event\": ").count == 3)
        let reopened = try openStore(directory, options: options)
        defer { reopened.close() }
        let kept = try reopened.outboxEntries().get()
        #expect(kept.map(\.event.key) == Array(entries.dropFirst()).map(\.event.key))
        #expect(kept.first?.attempts == 1 && kept.first?.dueAt == 42)
    }

    /// Fails if a snapshot holding a backlog of undelivered events is written again before the log has grown to its
    /// size (with a receiver down, every few changes would rewrite the whole backlog), if it loses or misorders an
    /// event, or if it outlives the backlog's delivery.
    @Test func aBacklogIsRewrittenOnlyOnceTheLogHasGrownAsLarge() throws {
        let directory = temporaryDirectory()
        var options = FileStore.Options(compactionThresholdBytes: 1)
        options.eventReceivers = ["http://127.0.0.1/hook"]
        do {
            let store = try openStore(directory, options: options)
            for round in 0..<200 { try put(store, sample("id-\(round % 5)", desired: Double(round))) }
            store.close()
            // Nothing is delivered, so each snapshot outgrows the last: a compaction every few writes at first, then
            // ever fewer (about 10 in all); compacting at every write past the threshold makes 200.
            #expect((3...20).contains(store.statistics.compactions))
        }
        let reopened = try openStore(directory, options: options)
        let entries = try reopened.outboxEntries().get()
        #expect(entries.count == 200)
        let firsts = Dictionary(grouping: entries, by: \.event.key.id).mapValues { $0.map(\.event.key.revision).min()! }
        let claimed = try reopened.claimDue(now: Clock.epochMilliseconds(), limit: 100, leaseMilliseconds: 1000).get()
        #expect(claimed.count == firsts.count)
        #expect(Dictionary(claimed.map { ($0.event.key.id, $0.event.key.revision) }, uniquingKeysWith: min) == firsts)

        // Delivered, the backlog leaves a snapshot of the five dimensions alone, however little log follows.
        try reopened.settle(entries.map { Settlement($0, .delivered) }).get()
        reopened.close()
        let snapshot = try String(contentsOfFile: directory + "/dimensions.snapshot", encoding: .utf8)
        #expect(!snapshot.contains("{\"event\": ") && snapshot.split(separator: "\n").count == 6)
    }

    /// Fails if a failed attempt's settlement, on its way to disk when the event was claimed again, ends that new
    /// claim once written (a third claim would deliver while the second is under way), or if the new claim's own
    /// settlement is then refused. The writer is held in the write-fault seam while the event is claimed again.
    @Test func aSettlementOnItsWayLeavesTheClaimTakenMeanwhile() throws {
        let gate = WriterGate()
        var options = FileStore.Options()
        options.eventReceivers = ["http://127.0.0.1/hook"]
        options.writeFault = gate.fault
        let store = try openStore(temporaryDirectory(), options: options)
        defer { store.close() }
        defer { gate.release() }  // runs before the close: a writer still held would never let it finish
        try put(store, sample("a"))
        let now = Clock.epochMilliseconds() + 1_000
        let first = try #require(try store.claimDue(now: now, limit: 1, leaseMilliseconds: 1_000).get().first)

        gate.hold()
        let settled = DispatchSemaphore(value: 0)
        Thread {
            _ = store.settle(first, .retry(at: now + 1_200))
            settled.signal()
        }.start()
        try #require(gate.waitUntilHeld())
        let second = try #require(try store.claimDue(now: now + 1_000, limit: 1, leaseMilliseconds: 1_000).get().first)
        gate.release()
        try #require(settled.wait(timeout: .now() + 10) == .success)

        #expect(try store.claimDue(now: now + 1_500, limit: 1, leaseMilliseconds: 1_000).get().isEmpty)
        try store.settle(second, .retry(at: now + 5_000)).get()
        #expect(try store.outboxEntries().get().map(\.attempts) == [2])
    }

    @Test func aDeletionQueuedBehindAnUpdateSeesIt() throws {
        let store = try openStore(temporaryDirectory())
        defer { store.close() }
        let id = try DimensionID("x")
        let group = DispatchGroup()
        group.enter()
        store.update(id, { _ throws(ScalingError) in sample("x", desired: 5) }, completion: { _ in group.leave() })
        // Queued while the update may still be on its way to disk: it must see the pending state.
        #expect(store.deleteAndWait(id).map(\.desiredCapacity) == .success(5))
        group.wait()
        #expect(try store.dimensionAndWait(id).get() == nil)
    }

    /// `unchangedResult` shows only durable states, and none of an id whose write is on its way (a GET then waits
    /// for that write through `update`). The writer is held in the write-fault seam, before it writes the batch.
    @Test func aKnownDimensionIsDurableAndNoneWhileItsWriteIsOnItsWay() throws {
        let gate = WriterGate()
        var options = FileStore.Options()
        options.writeFault = gate.fault
        let store = try openStore(temporaryDirectory(), options: options)
        defer { store.close() }
        defer { gate.release() }  // runs before the close: a writer still held would never let it finish
        try put(store, sample("x", desired: 1))
        try put(store, sample("y", desired: 1))
        let x = try DimensionID("x")
        let y = try DimensionID("y")
        #expect(store.knownDimension(x) == sample("x", desired: 1))
        #expect(store.knownDimension(try DimensionID("absent")) == nil)

        gate.hold()
        let written = DispatchSemaphore(value: 0)
        store.update(x, { _ throws(ScalingError) in sample("x", desired: 2) }, completion: { _ in written.signal() })
        try #require(gate.waitUntilHeld())
        #expect(store.knownDimension(x) == nil, "a write of x is on its way")
        #expect(store.knownDimension(y) == sample("y", desired: 1), "nothing of y is")
        #expect(try store.dimensionAndWait(x).get()?.desiredCapacity == 1, "not durable yet")
        gate.release()
        try #require(written.wait(timeout: .now() + 10) == .success)
        #expect(store.knownDimension(x) == sample("x", desired: 2))
    }

    /// Serialized per id: concurrent read-modify-write increments from real threads lose nothing.
    @Test func concurrentUpdatesOfOneIDAreSerialized() throws {
        let directory = temporaryDirectory()
        let store = try openStore(directory)
        let id = try DimensionID("counter")
        try put(store, sample("counter", desired: 0))
        let threads = 8
        let perThread = 50
        let group = DispatchGroup()
        for _ in 0..<threads {
            group.enter()
            Thread {
                for _ in 0..<perThread {
                    _ = store.updateAndWait(id) { current throws(ScalingError) in
                        var next = current!
                        next.desiredCapacity += 1
                        return next
                    }
                }
                group.leave()
            }.start()
        }
        group.wait()
        #expect(try store.dimensionAndWait(id).get()?.desiredCapacity == Double(threads * perThread))
        #expect(store.statistics.records == UInt64(threads * perThread + 1))
        store.close()
        let reopened = try openStore(directory)
        defer { reopened.close() }
        #expect(try reopened.dimensionAndWait(id).get()?.desiredCapacity == Double(threads * perThread))
    }

    /// Group commit: updates queued while a sync runs go to disk together, each acknowledged only after its sync.
    @Test func queuedUpdatesShareSyncs() throws {
        let directory = temporaryDirectory()
        let store = try openStore(directory)
        let group = DispatchGroup()
        let updates = 200
        for index in 0..<updates {
            group.enter()
            store.update(try DimensionID("id-\(index % 20)"), { _ throws(ScalingError) in
                sample("id-\(index % 20)", desired: Double(index))
            }, completion: { outcome in
                if case .failure(let error) = outcome { Issue.record("\(error)") }
                group.leave()
            })
        }
        group.wait()
        let statistics = store.statistics
        #expect(statistics.records == UInt64(updates))
        // A sync takes far longer than queueing 200 updates, so all but the first few share syncs.
        #expect(statistics.syncs < statistics.records / 4, "\(statistics)")
        store.close()
        let reopened = try openStore(directory)
        defer { reopened.close() }
        for dimension in try reopened.allDimensionsAndWait().get() {
            #expect(dimension.desiredCapacity == Double(180 + Int(dimension.id.value.dropFirst(3))!))
        }
        #expect(try reopened.allDimensionsAndWait().get().count == 20)
    }
}

@Suite("Record format")
struct RecordFormatTests {
    @Test func linesAreChecksummedJSON() throws {
        var bytes: [UInt8] = []
        RecordFormat.appendLine(sample("a"), to: &bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasSuffix("\"scalingStatus\": \"Successful\"}\n"))
        #expect(text.dropFirst(9).hasPrefix("{\"scalableTargetDimensionId\": \"a\""))
        let scan = RecordFormat.scan(bytes)
        #expect(scan.dimensions == [sample("a")])
        #expect(scan.firstBad == nil)
        #expect(scan.validLength == bytes.count)
    }

    /// Fails if the checksum is not CRC-32 (IEEE): the files written by every earlier capacityd carry it.
    @Test func theChecksumIsCRC32() {
        #expect(CRC32.checksum(Array("123456789".utf8)[...]) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)[...]) == 0x414F_A339)
    }

    @Test func everyFlippedByteIsDetected() {
        var bytes: [UInt8] = []
        RecordFormat.appendLine(sample("a"), to: &bytes)
        for index in 0..<(bytes.count - 1) {
            var damaged = bytes
            damaged[index] ^= 0x01
            let scan = RecordFormat.scan(damaged)
            #expect(scan.dimensions.isEmpty, "flip at \(index)")
        }
    }
}

/// A reader without the lock (`capacityd dimensions list|get` while a server runs), racing a writer that compacts
/// every few dozen records and whose writes sometimes fail.
@Suite("File store, read without the lock")
struct FileStoreReadOnlyTests {
    /// Fails if the outbox read without the lock differs from the one the holder of the lock has: an event
    /// missed, a delivered one kept, or a settlement's state lost.
    @Test func theOutboxIsReadAsItsHolderHasIt() throws {
        let directory = temporaryDirectory()
        var options = FileStore.Options()
        options.eventReceivers = ["http://127.0.0.1/a", "http://127.0.0.1/b"]
        let store = try openStore(directory, options: options)
        defer { store.close() }
        try put(store, sample("a"))
        try put(store, sample("b"))
        let entries = try store.outboxEntries().get()
        #expect(entries.count == 4)
        try store.settle(entries[0], .delivered).get()
        try store.settle(entries[1], .dropped).get()
        try store.settle(entries[2], .retry(at: 42)).get()
        let read = try FileStore.readCommittedOutbox(directory: directory)
        #expect(read == (try store.outboxEntries().get()))
        #expect(read.map(\.dropped) == [true, false, false] && read.map(\.attempts) == [1, 1, 0])
    }

    /// Fails if a read misses a change acknowledged before it began (stale: a compaction between reading the
    /// snapshot and the log), shows a value that was never acknowledged (a record written but not durable, or a
    /// failed write's), loses an id, or fails.
    @Test func readsWhileTheWriterCompactsSeeExactlyWhatWasAcknowledged() throws {
        let directory = temporaryDirectory()
        let failures = LockedBox(0)
        let failEvery = 7
        var options = FileStore.Options(compactionThresholdBytes: 4096)
        options.writeFault = {
            failures.update { $0 += 1; return $0 % failEvery == 0 } ? SystemError(call: "pwrite", errno: EIO) : nil
        }
        let store = try openStore(directory, options: options)
        defer { store.close() }
        let names = ["a", "b", "c", "d"]
        for name in names { try put(store, sample(name, desired: 0)) }
        // Per id: the last acknowledged value, and every value acknowledged so far.
        let acknowledged = LockedBox(Dictionary(uniqueKeysWithValues: names.map { ($0, 0.0) }))
        let everAcknowledged = LockedBox(Set(names.map { "\($0)=0.0" }))
        let done = LockedBox(false)
        let readsSoFar = LockedBox(0)
        let writer = Thread {
            // Until enough reads have raced it, however fast or slow either side is on this machine.
            var value = 0
            while value < 1500 || readsSoFar.update({ $0 }) < 300 {
                value += 1
                let name = names[value % names.count]
                let desired = Double(value)
                if case .success = store.updateAndWait(try! DimensionID(name), { _ throws(ScalingError) in sample(name, desired: desired) }) {
                    everAcknowledged.update { $0.insert("\(name)=\(Double(value))") }
                    acknowledged.update { $0[name] = Double(value) }
                }
            }
            done.update { $0 = true }
        }
        writer.start()
        var reads = 0
        var problems: [String] = []
        var observed = Set<String>()
        while !done.update({ $0 }) {
            let before = acknowledged.update { $0 }
            let seen: [Dimension]
            do {
                seen = try FileStore.readCommitted(directory: directory)
            } catch {
                problems.append("read failed: \(error)")
                readsSoFar.update { $0 = .max }  // the writer stops at its 1,500th write
                break
            }
            reads += 1
            readsSoFar.update { $0 = reads }
            if seen.map(\.id.value) != names { problems.append("ids \(seen.map(\.id.value))") }
            for dimension in seen {
                let name = dimension.id.value
                if dimension.desiredCapacity < before[name]! { problems.append("\(name) stale: \(dimension.desiredCapacity) < \(before[name]!)") }
                observed.insert("\(name)=\(dimension.desiredCapacity)")
            }
        }
        // A reader may see a change between its fdatasync and its acknowledgement; by now every durable change
        // has been acknowledged, and a failed one never is.
        while writer.isExecuting { usleep(1_000) }
        let never = observed.subtracting(everAcknowledged.update { $0 })
        #expect(never.isEmpty, "seen but never acknowledged: \(never.prefix(5))")
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(reads >= 300)
        #expect(try FileStore.readCommitted(directory: directory) == (try store.allDimensionsAndWait().get()))
    }
}

/// A value behind a lock, for the threads of one test.
/// Holds the store's writer in its write-fault seam (`Options.writeFault = gate.fault`): once `hold()` is called,
/// the next batch waits there, before it is written, until `release()`.
private final class WriterGate: Sendable {
    private let reached = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)
    private let holding = LockedBox(false)

    var fault: @Sendable () -> SystemError? {
        { [self] in
            if holding.update({ $0 }) {
                reached.signal()
                released.wait()
            }
            return nil
        }
    }

    func hold() { holding.update { $0 = true } }

    /// Whether a batch reached the seam within 10 s of `hold()`.
    func waitUntilHeld() -> Bool { reached.wait(timeout: .now() + 10) == .success }

    /// Lets a held batch go, and the next ones pass.
    func release() {
        guard holding.update({ held in defer { held = false }; return held }) else { return }
        released.signal()
    }
}

private final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    @discardableResult
    func update<R>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&value) } }
}

extension DimensionStore {
    /// What a production-mode GET is answered with from the store's memory, if it can be.
    fileprivate func knownDimension(_ id: DimensionID) -> Dimension? {
        unchangedResult(id, ScalingRequest(update: nil, mode: .production, creation: nil))?.after
    }
}
