import StoreContract
import Glibc
import Metrics
import Scaling
import SystemIO

/// What the store has done since it opened: group commit shows as records per sync > 1.
struct StoreStatistics: Sendable {
    var syncs: UInt64 = 0
    var records: UInt64 = 0
    /// Batches whose write or sync failed (each answered 503).
    var failedWrites: UInt64 = 0
    /// Seconds per batch from write to the end of its fdatasync.
    var writeSeconds = Histogram()
    /// Snapshots written (each emptying the log).
    var compactions: UInt64 = 0
}

/// The embedded durable store: a snapshot plus an append-only log of whole dimension states in one directory.
///
/// Durable before visible: an update is computed at once against the latest state (so updates of one id are
/// serialized and see each other), queued, written and fdatasync'd by a single writer thread, and only then made
/// visible to readers and reported to its caller. Updates that arrive while a sync is running share the next one
/// (group commit), and no event loop thread ever waits for the disk.
///
/// After a failed write or sync the log's unsynced tail is cut off again, every queued update is refused, and
/// nothing in memory changes: since Linux may drop the dirty pages of a failed fsync ("fsyncgate"), the store
/// never retries a sync of the same bytes and never reports them as written.
public final class FileStore: DimensionStore, @unchecked Sendable {
    public struct Options: Sendable {
        /// Log size that triggers a new snapshot and an empty log.
        public var compactionThresholdBytes: Int
        /// Whether the log must also have grown to the last snapshot's size, unless half the events that snapshot
        /// holds have been delivered since. Then a compaction never rewrites more than was appended since the last
        /// one, however large the snapshot (a receiver's backlog of thousands of undelivered events), and a backlog
        /// delivered leaves no large snapshot behind for long. False: compact whenever the log passes the
        /// threshold.
        public var compactionWaitsForSnapshotSize: Bool
        /// The webhook receivers each change makes an event for (`EventOutbox`), written with the change.
        public var eventReceivers: [String] = []
        /// A test seam: asked before each batch is written; an error fails that batch as a failed write or sync
        /// would (nothing changes, every caller in it is answered 503).
        package var writeFault: (@Sendable () -> SystemError?)?

        public init(compactionThresholdBytes: Int = 8 << 20, compactionWaitsForSnapshotSize: Bool = true) {
            self.compactionThresholdBytes = compactionThresholdBytes
            self.compactionWaitsForSnapshotSize = compactionWaitsForSnapshotSize
        }
    }

    public struct OpenError: Error, CustomStringConvertible {
        public let description: String
        /// Another process (a server) holds the directory: `readCommitted(directory:)` can still read it.
        public var inUse = false
    }

    static let snapshotName = "dimensions.snapshot"
    static let logName = "dimensions.log"
    static let lockName = "LOCK"

    public let directory: String
    let options: Options
    private let lockFile: FileDescriptor
    let log: FileDescriptor
    /// Where the writer publishes how much of the log is durable, for readers without the lock.
    let synced: FileDescriptor

    let lock = ConditionLock()
    // Guarded by `lock`:
    /// Each with the number of its id's latest result (`ChangeNumbers`); 0 for what recovery read.
    var committed: [DimensionID: KnownDimension]
    /// States queued but not yet durable, with the number of their id's latest result; a nil dimension is a
    /// queued deletion.
    var pending: [DimensionID: (dimension: Dimension?, sequence: UInt64)] = [:]
    /// The number of a deleted id's latest result, until it is created again: what follows a deletion follows
    /// the results before it.
    var deletedNumbers: [DimensionID: UInt64] = [:]
    /// Every change queued takes its revision here, a failed one too: a revision is never given twice.
    var revisions: RevisionCounter
    /// The events not yet delivered, as durable: a change's events join it once the change is.
    var outboxTable: OutboxTable
    var queue: [QueuedWrite] = []
    var sequence: UInt64 = 0
    var lastFailure: String?
    var stopping = false
    var counters = StoreStatistics()

    // Writer thread only:
    var logSize: Int
    /// The snapshot's bytes and the events among its records, as recovery read it or the last compaction wrote it.
    var snapshotSize: Int
    var snapshotEvents: Int
    /// Bytes past `logSize` that a failed batch left and a failed truncate could not remove: cut before the next
    /// write, or a shorter batch would leave part of them behind it (records never acknowledged, which recovery
    /// would replay).
    var logNeedsTruncate = false
    /// Counts the log's emptyings, so a reader can tell the log it read from the log of another generation.
    var logGeneration: UInt64 = 0
    /// The state directory and its parent, synced before this process's first write: the log's name and the
    /// directory's own are then durable before any write is acknowledged, whichever process made them (one that
    /// made them and exited before writing, `check-config` or a start that failed later, synced nothing). Synced
    /// then rather than at start-up, where an fsync on a busy disk can take longer than everything else a start
    /// does.
    var unsyncedDirectories: [String]
    private var writer: PosixThread?
    let observers = ChangeObservers()

    struct QueuedWrite {
        let id: DimensionID
        /// The id's result number; 0 for a write of the outbox alone (a settlement), which leaves the id alone.
        let sequence: UInt64
        /// nil: nothing to write, the caller only waits for an earlier write of this id to become durable.
        let record: StoredRecord?
        /// Outbox records written in the same batch: a change's events, or a settlement.
        var events: [StoredRecord] = []
        /// Called once the record is durable (or failed), with the state before and after.
        let completion: @Sendable (Result<Void, StoreError>) -> Void
    }

    /// Opens (creating if needed) the store in `directory`, recovering from whatever a crash left behind.
    public init(directory: String, options: Options = Options()) throws(OpenError) {
        self.directory = directory
        self.options = options
        unsyncedDirectories = [directory, FileSystem.parentDirectory(of: directory)]
        do {
            try FileSystem.makeDirectory(directory)
            lockFile = try FileSystem.open(directory + "/" + Self.lockName, flags: O_RDWR | O_CREAT)
        } catch {
            throw OpenError(description: "state directory \(directory): \(FileSystem.describe(error, at: directory))")
        }
        guard flock(lockFile.rawValue, LOCK_EX | LOCK_NB) == 0 else {
            throw OpenError(description: "state directory \(directory) is in use by another capacityd process", inUse: true)
        }
        let recovered = try Self.recover(directory: directory)
        committed = recovered.replay.dimensions.mapValues { KnownDimension($0, number: 0) }
        revisions = recovered.replay.revisions
        outboxTable = recovered.replay.outbox
        log = recovered.log
        logSize = recovered.logSize
        snapshotSize = recovered.snapshotSize
        snapshotEvents = recovered.snapshotEvents
        do {
            synced = try FileSystem.open(directory + "/" + Self.syncedName, flags: O_RDWR | O_CREAT)
            // A reader that began before this process (a server restarting) must see another generation.
            logGeneration = Self.decodeSynced(try FileSystem.read(synced, count: 32, at: 0)).map { $0.generation &+ 1 } ?? 0
        } catch {
            throw OpenError(description: "state directory \(directory): \(error)")
        }
        publishSyncedLength(logSize)
        writer = try? PosixThread(name: "store-writer") { [unowned self] in self.runWriter() }
        guard writer != nil else { throw OpenError(description: "could not start the store's writer thread") }
    }

    public func observeChanges(_ observer: @escaping @Sendable (StoreChange) -> Void) {
        observers.set(observer)
    }

    public var outbox: (any EventOutbox)? { self }

    /// Finishes queued writes, stops the writer thread and releases the directory for another process.
    public func close() {
        lock.withLock {
            stopping = true
            lock.signal()
        }
        writer?.join()
        writer = nil
        log.close()
        synced.close()
        lockFile.close()
    }

    // MARK: DimensionStore

    /// Reads are answered from memory at once: the state in memory is exactly what is durable.
    public func dimension(_ id: DimensionID, completion: @escaping @Sendable (Result<Dimension?, StoreError>) -> Void) {
        completion(.success(lock.withLock { committed[id]?.dimension }))
    }

    public func unchangedResult(_ id: DimensionID, _ transition: some DimensionTransition) -> DimensionChange? {
        lock.withLock {
            // A write of `id` on its way: a GET that asks `update` waits for it and answers with it, as a GET that
            // follows a PATCH closely expects.
            guard pending.isEmpty || pending[id] == nil, let index = committed.index(forKey: id) else { return nil }
            let known = committed.values[index]
            guard (try? transition.next(known.dimension, id: id)) == known.dimension else { return nil }
            return numberRead(at: index)
        }
    }

    /// Numbers a result that changed nothing and waits for nothing (called with the lock held). By the entry's
    /// index: a GET hashes its id once here.
    private func numberRead(at index: Dictionary<DimensionID, KnownDimension>.Index) -> DimensionChange {
        sequence += 1
        let known = committed.values[index]
        committed.values[index].number = sequence
        return DimensionChange(before: known.dimension, after: known.dimension,
                               numbers: ChangeNumbers(before: known.number, after: sequence))
    }

    public func allDimensions(completion: @escaping @Sendable (Result<[Dimension], StoreError>) -> Void) {
        completion(.success(committedDimensions()))
    }

    func committedDimensions() -> [Dimension] {
        lock.withLock { committed.values.map(\.dimension) }.sorted { $0.id < $1.id }
    }

    /// The revision counter, the committed dimensions and the outbox, as a snapshot keeps them: copied under the
    /// lock, since the event loops' updates wait for it, and sorted after it. The events by id and revision, so
    /// replay appends each id's revisions in order, however long a receiver's backlog.
    func snapshotRecords() -> [StoredRecord] {
        let (last, dimensions, entries) = lock.withLock {
            (revisions.last, committed.values.map(\.dimension), Array(outboxTable.entries.values))
        }
        return [.lastRevision(last)] + dimensions.sorted { $0.id < $1.id }.map { .dimension($0) }
            + entries.sorted(by: OutboxEntry.listedBefore).map { .event($0) }
    }

    /// The events of a change, one per receiver, due at once.
    private func events(_ after: Dimension, before: Dimension?) -> [StoredRecord] {
        guard !options.eventReceivers.isEmpty else { return [] }
        let now = Clock.epochMilliseconds()
        return options.eventReceivers.map { receiver in
            .event(OutboxEntry(event: DimensionEvent(dimension: after, previous: before, epochMilliseconds: now,
                                                     receiver: receiver), dueAt: now))
        }
    }

    public func update(_ id: DimensionID, _ transition: some DimensionTransition,
                       completion: @escaping @Sendable (Result<DimensionChange, ScalingError>) -> Void) {
        let immediate: Result<DimensionChange, ScalingError>? = lock.withLock {
            // Most of the time nothing is pending: one hash of the id instead of two.
            let latestPending = pending.isEmpty ? nil : pending[id]
            let knownIndex = latestPending == nil ? committed.index(forKey: id) : nil
            let known = knownIndex.map { committed.values[$0] }
            let latest = latestPending.map { $0.dimension } ?? known?.dimension
            // The number of the id's latest result; after a deletion, that of the result before it.
            let latestNumber = latestPending.map { $0.dimension == nil ? deletedNumber(id) : $0.sequence }
                ?? known?.number ?? deletedNumber(id)
            var after: Dimension
            switch Result(catching: { () throws(ScalingError) -> Dimension in try transition.next(latest, id: id) }) {
            case .failure(let error): return .failure(error)
            case .success(let computed): after = computed
            }
            let unchanged = after == latest
            if unchanged, let knownIndex { return .success(numberRead(at: knownIndex)) }
            guard !stopping else { return .failure(.store(.unavailable(cause: "the server is shutting down"))) }
            // What is stored, with its revision: an unchanged result is the latest state, a change a new revision.
            if unchanged, let latest { after = latest } else { after = revisions.stamp(after, before: latest) }
            sequence += 1
            let result = DimensionChange(before: latest, after: after,
                                         numbers: ChangeNumbers(before: latestNumber, after: sequence))
            // A read waiting for the pending write is the id's latest result too.
            pending[id] = (after, sequence)
            var write = QueuedWrite(id: id, sequence: sequence, record: unchanged ? nil : .dimension(after),
                                    completion: { outcome in completion(outcome.map { result }.mapError { .store($0) }) })
            if !unchanged { write.events = events(after, before: latest) }
            queue.append(write)
            if queue.count == 1 { lock.signal() }
            return nil
        }
        if let immediate { completion(immediate) }
    }

    /// Removes `id`; `completion` gets the dimension as it was once the deletion is durable, or `.notFound`.
    /// (An administrator's operation: the API never deletes.)
    public func delete(_ id: DimensionID, completion: @escaping @Sendable (Result<Dimension, StoreError>) -> Void) {
        let refusal: StoreError? = lock.withLock {
            let latestPending = pending[id]
            guard let latest = latestPending.map({ $0.dimension }) ?? committed[id]?.dimension else { return .notFound(id) }
            guard !stopping else { return .unavailable(cause: "the store is closing") }
            deletedNumbers[id] = latestPending?.sequence ?? committed[id]?.number ?? 0
            sequence += 1
            pending[id] = (nil, sequence)
            queue.append(QueuedWrite(id: id, sequence: sequence, record: .deletion(id),
                                     completion: { outcome in completion(outcome.map { latest }) }))
            if queue.count == 1 { lock.signal() }
            return nil
        }
        if let refusal { completion(.failure(refusal)) }
    }

    /// The number of a deleted id's latest result; 0 when it was not deleted (called with the lock held).
    func deletedNumber(_ id: DimensionID) -> UInt64 {
        deletedNumbers.isEmpty ? 0 : deletedNumbers[id] ?? 0
    }

    // MARK: Health

    /// Below this much free space in the directory, writes are about to fail: not ready.
    public static let minimumFreeBytes: UInt64 = 1 << 20

    /// Not ready after a failed write (until one succeeds) or with less than 1 MiB free; figures for `/metrics`.
    public var health: StoreHealth {
        let (failure, statistics) = lock.withLock { (lastFailure, counters) }
        var problems: [String] = []
        if let failure { problems.append("the last store write failed: \(failure)") }
        if let free = FileSystem.freeBytes(directory), free < Self.minimumFreeBytes {
            problems.append("less than 1 MiB free in \(directory)")
        }
        return StoreHealth(problem: problems.isEmpty ? nil : problems.joined(separator: "; "), figures: [
            .syncs(statistics.syncs), .recordsWritten(statistics.records), .failedWriteBatches(statistics.failedWrites),
            .writeDuration(statistics.writeSeconds),
        ])
    }

    /// Syncs, records and failed writes since start, and how long each write+sync took.
    var statistics: StoreStatistics { lock.withLock { counters } }
}
