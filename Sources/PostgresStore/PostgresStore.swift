import StoreContract
import Glibc
import Metrics
import Scaling
import SystemIO

/// The store several capacityd processes share: one PostgreSQL database, reached through libpq.
///
/// **Threads, not the event loops.** Each of `poolSize` database threads owns one connection and blocks on it (with
/// a deadline; see `DatabaseConnection`); requests hand their operation to a queue and are answered through their
/// completion, so an event loop never waits for the database. A thread takes every queued operation it can (up
/// to `maxBatch`, at most one per id) and serves them all with **one statement**: one round trip and one commit
/// for as many requests as arrived together, which is how a PATCH through capacityd can outrun pgbench's one
/// commit per row.
///
/// **Linearizable per id, across processes: optimistic compare-and-set.** Every row has a `revision`. An update is
/// computed in Swift (the pure `ScalingMachine`) from the last state this process saw of the id, and written only
/// if the row is still at that revision; an unchanged result is checked the same way, without writing. If another
/// process got there first, the same statement returns the row as it is now, and the update is computed again
/// from it (the contract lets `change` run more than once). So with a warm cache a request costs one round trip
/// when nothing conflicts, and no read is ever answered from memory: a plain read is a row in the statement too.
/// An update that keeps losing (one id written hard by several processes) falls back to `SELECT … FOR UPDATE` in
/// a transaction of its own: four round trips, but certain progress.
/// Within one process, operations on one id never run in two statements at once, so they do not conflict with
/// each other, and the store numbers each id's results in this process in the order it got them
/// (`ChangeNumbers`; other processes' writes do not take part: each process orders its own answers).
///
/// **Never a 200 for an unknown outcome.** A change is reported only after its statement returned (committed,
/// with `synchronous_commit=on` forced per session). If the connection breaks or the database stops answering
/// after the statement was sent, every operation in it is answered unavailable and nothing is retried: a retry
/// could apply a change twice.
///
/// **Database down.** An idle connection does not notice that the server went away, so each idle thread looks at
/// its connection every second (the socket: no round trip) and sends `SELECT 1` once it has gone ten seconds
/// without a statement; a connection that fails a check, or a statement, stops counting at once. A thread that
/// loses its connection reconnects at once, then with jittered exponential backoff (100 ms to 5 s). While no
/// connection works, `health` says the database is unreachable and why (libpq's words, also on the server's
/// log), and once a connection attempt has failed, operations are refused at once (503) instead of queueing; the
/// store comes back by itself when the database does, without waiting for a request to find out.
///
/// **Other instances' changes.** Every write also notifies (`ChangeNotification`); once an observer is set, a
/// thread of its own listens for the notifications (`PostgresStore+Listener`) and tells the observer of the other
/// instances' changes, as this instance tells it of its own when their statements return.
public final class PostgresStore: DimensionStore, @unchecked Sendable {
    public struct Options: Sendable {
        /// Most operations one statement carries.
        public var maxBatch = 256
        /// Most operations waiting for a database thread; past it, new ones are refused at once.
        public var maxQueued = 8192
        /// The webhook receivers each change makes an event for (`PostgresOutbox`), written with the change.
        public var eventReceivers: [String] = []
        /// A test seam: asked before each statement that writes; a cause fails it as a failed write would
        /// (nothing is sent, every operation in it is answered unavailable).
        package var writeFault: (@Sendable () -> String?)?

        public init() {}
    }

    public struct OpenError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Rounds of compare-and-set an update tries; one that loses them all (other processes kept writing the same
    /// id in between) is then served under a row lock, which guarantees it progress.
    static let optimisticRounds = 2

    /// How long a database thread waits for work before it looks at its idle connection's socket: a server that
    /// shut down or ended the session has closed it, which costs nothing to see.
    static let idleCheckMicroseconds: Int64 = 1_000_000
    /// How long a connection goes without a statement before its idle check also sends `SELECT 1`: a server that
    /// stopped answering (paused, partitioned, powered off) closes nothing, and the socket alone would show it
    /// only once TCP keepalives give up (`keepaliveIdleSeconds` and half a minute more).
    static let idleRoundTripMicroseconds: Int64 = 10_000_000

    public let settings: DatabaseSettings
    let options: Options
    /// The batch's statement, with the outbox's events when there are receivers.
    let batchStatement: String
    let eventOutbox: PostgresOutbox

    let lock = ConditionLock()
    // Guarded by `lock`:
    var queue: [Operation] = []
    /// Ids some thread has in a statement now.
    var inFlight: Set<DimensionID> = []
    /// The last state seen of each id (nil: seen absent) and its revision: the base an update is computed from.
    /// Only ever a guess: every write and every unchanged result is checked against the row.
    var known: [DimensionID: Known] = [:]
    let observers = ChangeObservers()
    /// The number of each id's latest result in this process, and the last number given (`ChangeNumbers`).
    var resultNumbers: [DimensionID: UInt64] = [:]
    var lastResultNumber: UInt64 = 0
    /// Connections that worked when last used or checked.
    var connections = 0
    /// The server processes of the database threads' connections: the notifications they send are this
    /// instance's own changes, which the listener leaves out.
    var poolBackends: Set<Int32> = []
    /// Whether `observeChanges` started the listener, and its thread.
    var listening = false
    var listener: PosixThread?
    /// Why the last connection attempt failed, while none works.
    var unreachable: String?
    /// Cleared by the next write that succeeds, or, when the connection broke under it, by the next connection made.
    var lastWriteFailure: WriteFailure?
    var counters = Counters()
    var stopping = false

    /// What a thread waits on between connection attempts. Not `lock`'s condition: `submit` wakes one waiter
    /// there, which must be a thread that can take the operation, never one sitting out its backoff.
    let backoff = ConditionLock()
    /// Guarded by `backoff`: the store is closing, so no more waiting between attempts.
    var backoffCancelled = false

    private var threads: [PosixThread] = []

    /// A row as this instance last saw it: its revision (0: no row) and its dimension, which carries the same.
    struct Known {
        var revision: Int64
        var dimension: Dimension?
    }

    /// `after` as a write sends it: with the least revision its row may take.
    static func proposed(_ after: Dimension, before: Dimension?) -> Dimension {
        var proposed = after
        proposed.revision = RevisionCounter.lowestRevision(of: after, before: before)
        return proposed
    }

    /// A written state as its row holds it, at the revision the database gave.
    static func stored(_ written: Dimension, at revision: Int64) -> Known {
        var dimension = written
        dimension.revision = UInt64(clamping: revision)
        return Known(revision: revision, dimension: dimension)
    }

    struct WriteFailure {
        var cause: String
        var connectionLost: Bool
    }

    struct Counters {
        var statements: UInt64 = 0
        var operations: UInt64 = 0
        var records: UInt64 = 0
        var conflicts: UInt64 = 0
        var failedWrites: UInt64 = 0
        var errors: UInt64 = 0
        var reconnects: UInt64 = 0
        var listenerReconnects: UInt64 = 0
        var statementSeconds = Histogram()
    }

    /// Connects once to check the schema (so a wrong address, password or version stops start-up with one line),
    /// then starts the database threads.
    public init(settings: DatabaseSettings, options: Options = Options()) throws(OpenError) {
        self.settings = settings
        self.options = options
        batchStatement = Self.batchStatement(keepingEvents: !options.eventReceivers.isEmpty)
        eventOutbox = PostgresOutbox(settings: settings, receivers: options.eventReceivers, writeFault: options.writeFault)
        let first: DatabaseConnection
        do {
            first = try DatabaseConnection(settings)
            if let problem = Schema.problem(installed: try Schema.installedVersion(first)) {
                throw OpenError(description: "\(settings.displayName): \(problem)")
            }
        } catch let error as OpenError {
            throw error
        } catch {
            throw OpenError(description: "\(settings.displayName): \(error)")
        }
        connections = 1
        for index in 0..<settings.poolSize {
            // The checked connection goes to the first thread; the others connect on their own.
            let initial = index == 0 ? first : nil
            do {
                threads.append(try PosixThread(name: "database-\(index)") { [unowned self] in self.runThread(initial) })
            } catch {
                close()
                throw OpenError(description: "could not start the database threads: \(error)")
            }
        }
    }

    /// Finishes what is queued, then closes the connections and stops the threads; the listener stops within
    /// `listenerWaitMilliseconds` (or, when it is connecting, its connect timeout).
    public func close() {
        let listener = lock.withLock {
            stopping = true
            lock.broadcast()
            defer { self.listener = nil }
            return self.listener
        }
        backoff.withLock {
            backoffCancelled = true
            backoff.broadcast()
        }
        for thread in threads { thread.join() }
        threads = []
        listener?.join()
        eventOutbox.close()
    }

    // MARK: DimensionStore

    public func dimension(_ id: DimensionID, completion: @escaping @Sendable (Result<Dimension?, StoreError>) -> Void) {
        submit(.read(id, completion))
    }

    /// Other processes write the same rows: only the database knows the latest state.
    public func unchangedResult(_ id: DimensionID, _ transition: some DimensionTransition) -> DimensionChange? { nil }

    public func allDimensions(completion: @escaping @Sendable (Result<[Dimension], StoreError>) -> Void) {
        submit(.list(completion))
    }

    public func update(_ id: DimensionID, _ transition: some DimensionTransition,
                       completion: @escaping @Sendable (Result<DimensionChange, ScalingError>) -> Void) {
        submit(.update(id, transition, completion))
    }

    public func delete(_ id: DimensionID, completion: @escaping @Sendable (Result<Dimension, StoreError>) -> Void) {
        submit(.delete(id, completion))
    }

    private func submit(_ operation: Operation) {
        let refusal: StoreError? = lock.withLock {
            if stopping { return .unavailable(cause: "the store is closing") }
            if connections == 0, let unreachable { return .unavailable(cause: unreachable) }
            if queue.count >= options.maxQueued { return .unavailable(cause: "too many requests are waiting for the database") }
            queue.append(operation)
            lock.signal()
            return nil
        }
        if let refusal { operation.fail(refusal) }
    }

    // MARK: Changes and health

    /// This process's own changes, as each statement that made them returns, and the other instances' as their
    /// notifications arrive: the first call starts the listener.
    public func observeChanges(_ observer: @escaping @Sendable (StoreChange) -> Void) {
        observers.set(observer)
        startListening()
    }

    /// The events table, which every instance on the database shares: this instance's changes make events only
    /// for the receivers it was opened with, and its deliveries claim only theirs.
    public var outbox: (any EventOutbox)? { eventOutbox }

    /// The batch statement's parameters after the entries: when the change is made, and the receivers.
    func eventParameters() -> [String?] {
        options.eventReceivers.isEmpty ? [] : [String(Clock.epochMilliseconds()), eventOutbox.receiversJSON]
    }

    public var health: StoreHealth {
        let (connections, unreachable, failure, counters, queued) = lock.withLock {
            (self.connections, self.unreachable, lastWriteFailure?.cause, self.counters, queue.count)
        }
        var problems: [String] = []
        if connections == 0 {
            problems.append("the database is unreachable: \(unreachable ?? "every connection was lost; reconnecting")")
        }
        if let failure { problems.append("the last database write failed: \(failure)") }
        return StoreHealth(problem: problems.isEmpty ? nil : problems.joined(separator: "; "), figures: [
            .databaseConnections(connections), .databasePoolSize(settings.poolSize), .queuedOperations(queued),
            .statements(counters.statements), .operations(counters.operations), .rowsWritten(counters.records),
            .conflicts(counters.conflicts), .failedWriteStatements(counters.failedWrites), .databaseErrors(counters.errors),
            .reconnects(counters.reconnects), .listenerReconnects(counters.listenerReconnects),
            .statementDuration(counters.statementSeconds),
        ])
    }
}

/// What a request asks of the store, with the completion that answers it.
enum Operation {
    case read(DimensionID, @Sendable (Result<Dimension?, StoreError>) -> Void)
    case update(DimensionID, any DimensionTransition, @Sendable (Result<DimensionChange, ScalingError>) -> Void)
    case delete(DimensionID, @Sendable (Result<Dimension, StoreError>) -> Void)
    case list(@Sendable (Result<[Dimension], StoreError>) -> Void)

    /// The id it works on; nil for the list, which runs alone.
    var id: DimensionID? {
        switch self {
        case .read(let id, _), .update(let id, _, _), .delete(let id, _): id
        case .list: nil
        }
    }

    func fail(_ error: StoreError) {
        switch self {
        case .read(_, let completion): completion(.failure(error))
        case .update(_, _, let completion): completion(.failure(.store(error)))
        case .delete(_, let completion): completion(.failure(error))
        case .list(let completion): completion(.failure(error))
        }
    }
}

extension PostgresStore {
    /// `capacityd db migrate`: brings the database to `Schema.current` (see `Schema.migrate`).
    public static func migrate(_ settings: DatabaseSettings) throws(DatabaseError) -> (from: Int, to: Int) {
        try Schema.migrate(try DatabaseConnection(settings))
    }

    /// Connects and reads the schema version: for `check-config`. nil when it is the one this capacityd uses (or
    /// an older one, with `migrating`); otherwise the problem, in one line.
    public static func check(_ settings: DatabaseSettings, migrating: Bool) -> String? {
        do {
            let installed = try Schema.installedVersion(try DatabaseConnection(settings))
            if migrating && installed < Schema.current { return nil }
            return Schema.problem(installed: installed).map { "\(settings.displayName): \($0)" }
        } catch {
            return "\(settings.displayName): \(error)"
        }
    }
}

extension PostgresStore {
    /// `change` with the next number of `id`'s results in this process. Called by the thread that has `id` in a
    /// statement, so the numbers follow the order of the results.
    func numbered(_ change: DimensionChange, id: DimensionID) -> DimensionChange {
        lock.withLock {
            lastResultNumber += 1
            let before = resultNumbers[id] ?? 0
            resultNumbers[id] = lastResultNumber
            var numbered = change
            numbered.numbers = ChangeNumbers(before: before, after: lastResultNumber)
            return numbered
        }
    }
}
