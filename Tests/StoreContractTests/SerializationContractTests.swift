import StoreContract
import Dispatch
import Scaling
import Testing

/// Serialized per id: updates of one id take effect one after the other, each computed from the one before.
@Suite("Store contract: serialized per id")
struct SerializationContractTests {
    /// Half the threads wait for each update (`updateAndWait`), half send all theirs with completions and wait at
    /// the end, so both paths race on one id. Fails if a store computes two updates from the same state (a lost
    /// increment: the final value is short and two changes share a `before`) or reports a before/after that is not
    /// what it stored.
    @Test("N threads × M increments of one id lose nothing and form one chain", arguments: storeHarnesses)
    func oneID(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let store = subject.store
            let counter = id("counter")
            let threads = 8
            let perThread = 40
            let results = Collected<Result<DimensionChange, ScalingError>>()
            onThreads(threads) { thread in
                let tags = (0..<perThread).map { "t\(thread)-\($0)" }
                if thread.isMultiple(of: 2) {
                    for tag in tags { results.append(store.updateAndWait(counter, increment(counter, tag: tag))) }
                } else {
                    let group = DispatchGroup()
                    for tag in tags { update(store, counter, increment(counter, tag: tag), group: group, into: results) }
                    group.wait()
                }
            }
            let outcomes = results.all
            #expect(outcomes.count == threads * perThread)
            #expect(outcomes.compactMap(\.failure) == [])
            let final = try read(store, counter)
            #expect(final?.desiredCapacity == Double(threads * perThread))
            expectOneChain(outcomes.compactMap(\.success), from: nil, to: final)
        }
    }

    /// A store several processes share, opened twice (two pools, two caches of last-seen states, as two capacityd
    /// processes have): threads increment one id through both at once. Fails if an update through one instance is
    /// computed from a state the other had already replaced (a lost increment), or if an instance reports a change
    /// that is not the one it stored.
    @Test("two instances on one shared store: increments through both lose nothing and form one chain",
          arguments: storeHarnesses.filter(\.isShared))
    func twoInstances(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let instances = [subject.store, try harness.openSibling(of: subject.store)]
            defer { instances[1].close() }
            let counter = id("shared-counter")
            let threads = 8
            let perThread = 30
            let results = Collected<Result<DimensionChange, ScalingError>>()
            onThreads(threads) { thread in
                let store = instances[thread % 2]
                let group = DispatchGroup()
                for index in 0..<perThread {
                    update(store, counter, increment(counter, tag: "t\(thread)-\(index)"), group: group, into: results)
                }
                group.wait()
            }
            let outcomes = results.all
            #expect(outcomes.count == threads * perThread)
            #expect(outcomes.compactMap(\.failure) == [])
            let final = try read(instances[1], counter)
            #expect(final?.desiredCapacity == Double(threads * perThread))
            #expect(try read(instances[0], counter) == final)
            expectOneChain(outcomes.compactMap(\.success), from: nil, to: final)
        }
    }

    /// A store several processes share, opened twice: an update one instance refuses (the id missing, or already
    /// there) must be refused on the state as it is, not on what that instance saw before the other one created or
    /// deleted the id. Fails if a store answers a refusal from a remembered state (a stale 404 or 409 after
    /// another instance's 200).
    @Test("two instances on one shared store: a refusal stands only on the state the other instance left",
          arguments: storeHarnesses.filter(\.isShared))
    func refusalsSeeTheOtherInstance(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let instances = [subject.store, try harness.openSibling(of: subject.store)]
            defer { instances[1].close() }
            let target = id("elsewhere")
            let mustExist: Change = { current throws(ScalingError) in
                guard var next = current else { throw .notFound(target) }
                next.desiredCapacity += 1
                return next
            }
            let mustNotExist: Change = { current throws(ScalingError) in
                guard current == nil else { throw .alreadyExists(target) }
                return sample("elsewhere", desired: 9)
            }
            #expect(instances[0].updateAndWait(target, mustExist) == .failure(.notFound(target)))
            try put(instances[1], sample("elsewhere", desired: 3))
            #expect(instances[0].updateAndWait(target, mustExist).map(\.after) == .success(sample("elsewhere", desired: 4)))
            #expect(instances[0].updateAndWait(target, mustNotExist) == .failure(.alreadyExists(target)))
            #expect(instances[1].deleteAndWait(target) == .success(sample("elsewhere", desired: 4)))
            #expect(instances[0].updateAndWait(target, mustNotExist).map(\.after) == .success(sample("elsewhere", desired: 9)))
            #expect(try read(instances[1], target) == sample("elsewhere", desired: 9))
        }
    }

    /// Threads spread their increments over several ids, so updates of different ids interleave (and, in the file
    /// store, share batches). Fails if an update of one id is computed from, or lands in, another id's state, or if
    /// any id loses an increment.
    @Test("concurrent increments of several ids lose nothing, per id", arguments: storeHarnesses)
    func severalIDs(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let store = subject.store
            let ids = (0..<5).map { id("id-\($0)") }
            let threads = 6
            let perThread = 30
            let results = Collected<(DimensionID, Result<DimensionChange, ScalingError>)>()
            onThreads(threads) { thread in
                let group = DispatchGroup()
                for index in 0..<perThread {
                    let target = ids[(thread + index) % ids.count]
                    let change = increment(target, tag: "t\(thread)-\(index)")
                    if index.isMultiple(of: 3) {
                        results.append((target, store.updateAndWait(target, change)))
                    } else {
                        group.enter()
                        store.update(target, change, completion: { outcome in
                            results.append((target, outcome))
                            group.leave()
                        })
                    }
                }
                group.wait()
            }
            let outcomes = results.all
            #expect(outcomes.count == threads * perThread)
            #expect(outcomes.compactMap { $0.1.failure } == [])
            let stored = try list(store)
            #expect(stored.map(\.id) == ids)
            for target in ids {
                let changes = outcomes.filter { $0.0 == target }.compactMap { $0.1.success }
                #expect(changes.allSatisfy { $0.before?.id ?? target == target && $0.after.id == target })
                let final = try read(store, target)
                #expect(final?.desiredCapacity == Double(changes.count), "\(target)")
                expectOneChain(changes, from: nil, to: final)
            }
        }
    }
}
