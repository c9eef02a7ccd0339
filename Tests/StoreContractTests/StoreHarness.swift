import StoreContract
import FileStore
import Foundation
import PostgresStore
import PostgresTestServer
import Scaling
import SystemIO
import Testing

/// How the contract suite gets at one kind of store. Every contract test runs once per entry of `storeHarnesses`:
/// a new store (PostgreSQL) joins the suite by conforming one type to this protocol and adding it to that list.
protocol StoreHarness: Sendable, CustomTestStringConvertible {
    /// Whether an acknowledged change survives `reopen` (a store keeping nothing only promises the in-process part).
    var isDurable: Bool { get }

    /// Whether `unchangedResult` answers from this process's memory; false for a store that always asks elsewhere
    /// (and so always answers nil).
    var knowsItsDimensions: Bool { get }

    /// Whether the store counts the records (or rows) it writes among its `health.figures`: the count must not
    /// move when nothing is written. false skips that part of the check.
    var countsRecordsWritten: Bool { get }

    /// A fresh, empty store in a place of its own (a new directory, schema, database), whose writes fail while
    /// `faults` says so — asked once per write, batch of writes or transaction, as the store makes them — and whose
    /// changes make events for `receivers` (`EventOutbox`) if it keeps events.
    func makeStore(faults: WriteFaults, receivers: [String]) throws -> any DimensionStore

    /// The same place again, as after a restart: a durable store is closed and a new one opened on what it left
    /// (with the same `faults` and `receivers`); a store keeping nothing returns `store` itself.
    func reopen(_ store: any DimensionStore, faults: WriteFaults, receivers: [String]) throws -> any DimensionStore

    /// Closes `store` (it may have been closed already by a failed `reopen`) and removes its place.
    func discard(_ store: any DimensionStore)

    /// Whether several processes may open the same place at once (a database): then `openSibling` opens another
    /// instance on it, with its own connections and memory, as a second capacityd process would, whose writes
    /// fail while `faults` says so, and whose changes make events for `receivers`.
    var isShared: Bool { get }
    func openSibling(of store: any DimensionStore, faults: WriteFaults, receivers: [String]) throws -> any DimensionStore
}

extension StoreHarness {
    var isShared: Bool { false }
    func openSibling(of store: any DimensionStore, faults: WriteFaults, receivers: [String]) throws -> any DimensionStore {
        preconditionFailure("\(testDescription) admits one process at a time")
    }

    func openSibling(of store: any DimensionStore, faults: WriteFaults) throws -> any DimensionStore {
        try openSibling(of: store, faults: faults, receivers: [])
    }

    /// A sibling whose writes never fail.
    func openSibling(of store: any DimensionStore) throws -> any DimensionStore {
        try openSibling(of: store, faults: WriteFaults())
    }
}

/// Every store the contract suite runs against.
let storeHarnesses: [any StoreHarness] = [MemoryStoreHarness(), FileStoreHarness(), PostgresStoreHarness()]

/// The in-memory reference store: nothing survives, so `reopen` hands back the same instance.
struct MemoryStoreHarness: StoreHarness {
    var testDescription: String { "memory" }
    var isDurable: Bool { false }
    var knowsItsDimensions: Bool { true }
    var countsRecordsWritten: Bool { true }

    func makeStore(faults: WriteFaults, receivers: [String]) throws -> any DimensionStore {
        MemoryStore(receivers: receivers, writeFault: { faults.nextWriteFailure() })
    }

    func reopen(_ store: any DimensionStore, faults: WriteFaults, receivers: [String]) throws -> any DimensionStore { store }

    func discard(_ store: any DimensionStore) { store.close() }
}

/// The durable file store, each in a new directory under NSTemporaryDirectory(); `reopen` closes it and opens the
/// directory again, which replays the snapshot and log exactly as a restart does.
struct FileStoreHarness: StoreHarness {
    var testDescription: String { "file" }
    var isDurable: Bool { true }
    var knowsItsDimensions: Bool { true }
    var countsRecordsWritten: Bool { true }

    func makeStore(faults: WriteFaults, receivers: [String]) throws -> any DimensionStore {
        let directory = NSTemporaryDirectory() + "capacityd-contract-" + UUID().uuidString
        return try FileStore(directory: directory, options: options(faults, receivers))
    }

    /// Waits out a lock that this process has just released: a flock(2) lock belongs to the open file description,
    /// and a child that another test's thread is spawning (curl, a server, PostgreSQL) shares it from its fork until
    /// its exec closes it, so for that moment the directory closed here still reads as in use.
    func reopen(_ store: any DimensionStore, faults: WriteFaults, receivers: [String]) throws -> any DimensionStore {
        let directory = fileStore(store).directory
        store.close()
        let deadline = ContinuousClock.now + .seconds(10)
        let options = options(faults, receivers)
        var opened = Result { () throws(FileStore.OpenError) in try FileStore(directory: directory, options: options) }
        while case .failure(let error) = opened, error.inUse, ContinuousClock.now < deadline {
            usleep(10_000)
            opened = Result { () throws(FileStore.OpenError) in try FileStore(directory: directory, options: options) }
        }
        return try opened.get()
    }

    func discard(_ store: any DimensionStore) {
        let directory = fileStore(store).directory
        store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func options(_ faults: WriteFaults, _ receivers: [String]) -> FileStore.Options {
        var options = FileStore.Options()
        options.eventReceivers = receivers
        // What a failed pwrite or fdatasync reports.
        options.writeFault = { faults.nextWriteFailure().map { _ in SystemError(call: "fdatasync", errno: EIO) } }
        return options
    }

    private func fileStore(_ store: any DimensionStore) -> FileStore {
        guard let store = store as? FileStore else { preconditionFailure("FileStoreHarness was given \(type(of: store))") }
        return store
    }
}

/// The PostgreSQL store, each in a new database on the suite's throwaway server (migrated as `capacityd db migrate`
/// would); `reopen` closes it and opens the database again, as a restart of capacityd does.
struct PostgresStoreHarness: StoreHarness {
    var testDescription: String { "postgres" }
    var isDurable: Bool { true }
    var knowsItsDimensions: Bool { false }
    var countsRecordsWritten: Bool { true }

    func makeStore(faults: WriteFaults, receivers: [String]) throws -> any DimensionStore {
        let settings = DatabaseSettings(url: try PostgresTestServer.shared.createDatabase())
        _ = try PostgresStore.migrate(settings)
        return try PostgresStore(settings: settings, options: options(faults, receivers))
    }

    func reopen(_ store: any DimensionStore, faults: WriteFaults, receivers: [String]) throws -> any DimensionStore {
        let settings = postgresStore(store).settings
        store.close()
        return try PostgresStore(settings: settings, options: options(faults, receivers))
    }

    var isShared: Bool { true }

    func openSibling(of store: any DimensionStore, faults: WriteFaults, receivers: [String]) throws -> any DimensionStore {
        try PostgresStore(settings: postgresStore(store).settings, options: options(faults, receivers))
    }

    func discard(_ store: any DimensionStore) {
        let url = postgresStore(store).settings.url
        store.close()
        PostgresTestServer.shared.dropDatabase(url: url)
    }

    private func options(_ faults: WriteFaults, _ receivers: [String] = []) -> PostgresStore.Options {
        var options = PostgresStore.Options()
        options.eventReceivers = receivers
        options.writeFault = { faults.nextWriteFailure() }
        return options
    }

    private func postgresStore(_ store: any DimensionStore) -> PostgresStore {
        guard let store = store as? PostgresStore else { preconditionFailure("PostgresStoreHarness was given \(type(of: store))") }
        return store
    }
}

/// When the stores' writes fail, switched by the test while the store runs. Off until told otherwise.
final class WriteFaults: Sendable {
    enum Mode: Sendable {
        case off
        /// Every write fails until `clear()`.
        case always
        /// The next write fails, then writes succeed again.
        case once
        /// Every `n`th write fails.
        case every(Int)
    }

    private struct State {
        var mode = Mode.off
        var asked = 0
        var injected = 0
    }

    private let state = Locked(State())

    func failAll() { set(.always) }
    func failNext() { set(.once) }
    func failEvery(_ count: Int) { set(.every(count)) }
    func clear() { set(.off) }

    /// How many writes were made to fail so far.
    var injected: Int { state.withLock { $0.injected } }

    /// The store's side: asked before each write; a cause fails it, nil lets it through.
    func nextWriteFailure() -> String? {
        state.withLock { state in
            state.asked += 1
            let fail: Bool
            switch state.mode {
            case .off: fail = false
            case .always: fail = true
            case .once:
                fail = true
                state.mode = .off
            case .every(let count): fail = state.asked % count == 0
            }
            if fail { state.injected += 1 }
            return fail ? "injected write failure" : nil
        }
    }

    private func set(_ mode: Mode) {
        state.withLock { state in
            state.mode = mode
            state.asked = 0
        }
    }
}

/// One store for one test: the harness's store, its fault switch, and reopening it in place.
final class StoreUnderTest {
    let harness: any StoreHarness
    let faults = WriteFaults()
    private(set) var store: any DimensionStore

    /// The webhook receivers the store makes events for.
    let receivers: [String]

    init(_ harness: any StoreHarness, receivers: [String] = []) throws {
        self.harness = harness
        self.receivers = receivers
        store = try harness.makeStore(faults: faults, receivers: receivers)
    }

    var isDurable: Bool { harness.isDurable }
    var knowsItsDimensions: Bool { harness.knowsItsDimensions }

    /// Closes and opens the store again where the harness keeps it; `store` is then the new instance.
    func reopen() throws {
        store = try harness.reopen(store, faults: faults, receivers: receivers)
    }

    /// The store's count of records written, when its harness says it keeps one.
    func recordsWritten(sourceLocation: SourceLocation = #_sourceLocation) throws -> UInt64? {
        guard harness.countsRecordsWritten else { return nil }
        let written = store.health.figures.lazy.compactMap { figure -> UInt64? in
            switch figure {
            case .recordsWritten(let count), .rowsWritten(let count): count
            default: nil
            }
        }.first
        let count: UInt64 = try #require(written, "\(harness.testDescription) reports no records written", sourceLocation: sourceLocation)
        return count
    }

    fileprivate func discard() { harness.discard(store) }
}

/// Runs `body` with a fresh store from `harness`, and discards the store (and its files) afterwards, even if it
/// throws.
func withStore<R>(_ harness: any StoreHarness, receivers: [String] = [], _ body: (StoreUnderTest) throws -> R) throws -> R {
    let subject = try StoreUnderTest(harness, receivers: receivers)
    defer { subject.discard() }
    return try body(subject)
}
