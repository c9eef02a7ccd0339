import StoreContract
import Dispatch
import Glibc
import Scaling
import SystemIO
import Testing

typealias Dimension = Scaling.Dimension
typealias Change = @Sendable (Dimension?) throws(ScalingError) -> Dimension

func id(_ value: String) -> DimensionID { try! DimensionID(value) }

func sample(_ name: String, desired: Double = 1, version: String = "V", reason: String? = nil) -> Dimension {
    Dimension(id: id(name), version: version, resourceName: "R", dimensionName: "D", actualCapacity: 1,
              desiredCapacity: desired, scalingStatus: .successful, failureReason: reason)
}

/// A change that sets `id` to `dimension` whatever it was.
func setTo(_ dimension: Dimension) -> Change {
    { _ throws(ScalingError) in dimension }
}

/// A read-modify-write: `desiredCapacity += 1` (from 0 when `id` does not exist yet), tagged in `version` with a
/// name unique to this update, so a state seen anywhere tells which update made it. Pure: the same argument always
/// gives the same result, however often a store runs it.
func increment(_ id: DimensionID, tag: String) -> Change {
    { current throws(ScalingError) in
        var next = current ?? Dimension(id: id, version: "", resourceName: "R", dimensionName: "D",
                                        actualCapacity: 1, desiredCapacity: 0, scalingStatus: .successful)
        next.desiredCapacity += 1
        next.version = tag
        return next
    }
}

/// Stores `dimension` as it is; a failure throws (and fails the test).
@discardableResult
func put(_ store: any DimensionStore, _ dimension: Dimension) throws -> DimensionChange {
    try store.updateAndWait(dimension.id, setTo(dimension)).get()
}

func read(_ store: any DimensionStore, _ id: DimensionID) throws -> Dimension? {
    try store.dimensionAndWait(id).get()
}

func list(_ store: any DimensionStore) throws -> [Dimension] {
    try store.allDimensionsAndWait().get()
}

/// Checks that `changes` — every successful update of one id, as reported, in any order — form one chain from
/// `start` to `end`: each update's `before` is the `after` of exactly one other (or `start`), no two updates saw
/// the same `before`, and none is left over. Needs the states along the chain to be distinct (tags do that).
func expectOneChain(_ changes: [DimensionChange], from start: Dimension?, to end: Dimension?,
                    sourceLocation: SourceLocation = #_sourceLocation) {
    func key(_ state: Dimension?) -> String { state.map { "\($0.version)@\($0.desiredCapacity)" } ?? "nothing" }
    var successor: [String: DimensionChange] = [:]
    for change in changes {
        if let other = successor.updateValue(change, forKey: key(change.before)) {
            Issue.record("two updates saw the same before \(key(change.before)): → \(key(other.after)) and → \(key(change.after))",
                         sourceLocation: sourceLocation)
        }
    }
    var current = start
    var steps = 0
    while let next = successor.removeValue(forKey: key(current)) {
        #expect(next.before == current, sourceLocation: sourceLocation)
        current = next.after
        steps += 1
    }
    let leftOver = successor.count
    #expect(leftOver == 0, "updates not on the chain from \(key(start)) (\(steps) are): \(successor.keys.sorted().prefix(10))",
            sourceLocation: sourceLocation)
    let (reached, stored) = (key(current), key(end))
    #expect(reached == stored, "the chain ends where the store does not", sourceLocation: sourceLocation)
    #expect(current == end, sourceLocation: sourceLocation)
}

/// Starts `count` real threads at once (they wait at a gate until all exist), runs `body(index)` on each, and
/// joins them all.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let gate = Gate(count)
    let threads = (0..<count).map { index in
        try! PosixThread(name: "contract-\(index)") {
            gate.arriveAndWait()
            body(index)
        }
    }
    for thread in threads { thread.join() }
}

/// Lets threads through only once `count` of them wait at it, so they start their work together.
final class Gate: @unchecked Sendable {
    private let lock = ConditionLock()
    private var waiting: Int  // guarded by `lock`

    init(_ count: Int) { waiting = count }

    func arriveAndWait() {
        lock.withLock {
            waiting -= 1
            while waiting > 0 { lock.wait() }
            // ConditionLock only signals one waiter: each one let through wakes the next.
            lock.signal()
        }
    }
}

/// Values collected from completions on any thread.
final class Collected<Element: Sendable>: Sendable {
    private let items = Locked<[Element]>([])

    func append(_ item: Element) { items.withLock { $0.append(item) } }
    var all: [Element] { items.withLock { $0 } }
}

/// What a store's observer was told (`observeChanges`), in order.
final class HeardChanges: Sendable {
    private let changes = Locked<[StoreChange]>([])

    func append(_ change: StoreChange) { changes.withLock { $0.append(change) } }
    var all: [StoreChange] { changes.withLock { $0 } }

    /// What was told once there are `count` changes, or after 10 s (a store may tell after it answers, and
    /// another process's change comes through the database).
    func waitFor(_ count: Int) -> [StoreChange] {
        for _ in 0..<1000 where changes.withLock({ $0.count }) < count { usleep(10_000) }
        return all
    }
}

/// Sends an update with a completion and keeps what it reports; `group` is left when it has.
func update(_ store: any DimensionStore, _ id: DimensionID, _ change: @escaping Change, group: DispatchGroup,
            into results: Collected<Result<DimensionChange, ScalingError>>) {
    group.enter()
    store.update(id, change, completion: { outcome in
        results.append(outcome)
        group.leave()
    })
}

extension Result {
    var success: Success? { if case .success(let value) = self { value } else { nil } }
    var failure: Failure? { if case .failure(let error) = self { error } else { nil } }
}

extension ScalingError {
    var isStoreUnavailable: Bool { if case .store(.unavailable) = self { true } else { false } }
}

extension StoreError {
    var isUnavailable: Bool { if case .unavailable = self { true } else { false } }
}
