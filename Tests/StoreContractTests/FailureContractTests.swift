import StoreContract
import Dispatch
import Scaling
import Testing

/// A failure changes nothing: a write that could not be made durable is reported as unavailable, no read ever
/// sees it, the store says it is not ready until a write succeeds again, and a restart does not bring it back.
@Suite("Store contract: a failure changes nothing")
struct FailureContractTests {
    /// Fails if a failed update or deletion is reported as anything but unavailable, shows in a read or the list,
    /// counts as written, leaves health saying all is well, keeps health failing after a write succeeds again, or
    /// comes back after reopening.
    @Test("failed updates and deletions change nothing, and the store recovers", arguments: storeHarnesses)
    func failedWritesChangeNothing(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let a = sample("a", desired: 2)
            let b = sample("b", desired: 3)
            try put(subject.store, a)
            try put(subject.store, b)
            #expect(subject.store.health.problem == nil)
            let written = try subject.recordsWritten()

            subject.faults.failAll()
            let store = subject.store
            let updated = store.updateAndWait(a.id, setTo(sample("a", desired: 9)))
            #expect(updated.failure?.isStoreUnavailable == true, "\(updated)")
            let created = store.updateAndWait(id("new"), setTo(sample("new")))
            #expect(created.failure?.isStoreUnavailable == true, "\(created)")
            let deleted = store.deleteAndWait(b.id)
            #expect(deleted.failure?.isUnavailable == true, "\(deleted)")
            // The same through completions, several in flight at once.
            let group = DispatchGroup()
            let results = Collected<Result<DimensionChange, ScalingError>>()
            for index in 0..<5 { update(store, a.id, increment(a.id, tag: "f\(index)"), group: group, into: results) }
            group.wait()
            #expect(results.all.count == 5)
            #expect(results.all.allSatisfy { $0.failure?.isStoreUnavailable == true }, "\(results.all)")
            // An unchanged result right behind a failing change: it may fail with it, or answer from the stored
            // state, but must never report the state that was not written.
            let unchanged = Collected<Result<DimensionChange, ScalingError>>()
            for index in 0..<5 {
                update(store, a.id, setTo(sample("a", desired: Double(20 + index))), group: group, into: results)
                update(store, a.id, { current throws(ScalingError) in
                    guard let current else { throw .notFound(a.id) }
                    return current
                }, group: group, into: unchanged)
            }
            group.wait()
            #expect(results.all.count == 10)
            #expect(results.all.allSatisfy { $0.failure?.isStoreUnavailable == true }, "\(results.all)")
            #expect(unchanged.all.count == 5)
            for outcome in unchanged.all {
                if case .success(let change) = outcome {
                    #expect(change == DimensionChange(before: a, after: a), "reported a state that was never written")
                } else {
                    #expect(outcome.failure?.isStoreUnavailable == true, "\(outcome)")
                }
            }

            #expect(try read(store, a.id) == a)
            #expect(try read(store, b.id) == b)
            #expect(try read(store, id("new")) == nil)
            #expect(try list(store) == [a, b])
            #expect(store.health.problem != nil)
            #expect(try subject.recordsWritten() == written)

            subject.faults.clear()
            let next = try store.updateAndWait(a.id, increment(a.id, tag: "after")).get()
            #expect(next.before == a)
            #expect(next.after.desiredCapacity == 3)
            #expect(store.health.problem == nil, "\(store.health.problem ?? "")")
            #expect(try list(store) == [next.after, b])
            guard subject.isDurable else { return }
            try subject.reopen()
            #expect(try list(subject.store) == [next.after, b])
            #expect(try read(subject.store, id("new")) == nil)
        }
    }

    /// The next write fails while more updates of the same id are in flight, then one more is sent. Whatever a
    /// store does with those in flight (the file store refuses every update queued behind a failed batch; the
    /// memory store computes them afresh), what succeeds must chain from the state before the failure. Fails if a
    /// later update is computed on top of the failed one and stored — a state built on something that never
    /// existed (in the file store: a queued update not refused, or the failed state left pending).
    @Test("no update builds on a failed one", arguments: storeHarnesses)
    func nothingBuildsOnAFailure(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let store = subject.store
            let counter = id("counter")
            let initial = try put(store, sample("counter", desired: 0, version: "initial")).after
            for round in 0..<5 {
                let before = try read(store, counter)
                subject.faults.failNext()
                let group = DispatchGroup()
                let results = Collected<Result<DimensionChange, ScalingError>>()
                for index in 0..<10 {
                    update(store, counter, increment(counter, tag: "r\(round)-\(index)"), group: group, into: results)
                }
                group.wait()
                // Sent once the failure is over: it must succeed, and from the state before the failure.
                let followUp = store.updateAndWait(counter, increment(counter, tag: "r\(round)-after"))
                #expect(followUp.failure == nil)
                results.append(followUp)
                let outcomes = results.all
                #expect(outcomes.count == 11)
                #expect(subject.faults.injected == round + 1)
                #expect(outcomes.contains { $0.failure != nil })
                #expect(outcomes.allSatisfy { $0.failure?.isStoreUnavailable ?? true }, "\(outcomes)")
                expectOneChain(outcomes.compactMap(\.success), from: before, to: try read(store, counter))
            }
            subject.faults.clear()
            let final = try read(store, counter)
            #expect(final != initial, "every update failed: the test proves nothing")
            guard subject.isDurable else { return }
            try subject.reopen()
            #expect(try read(subject.store, counter) == final)
        }
    }
}
