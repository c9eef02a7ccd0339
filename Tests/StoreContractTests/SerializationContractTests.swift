import DimensionStorage
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
