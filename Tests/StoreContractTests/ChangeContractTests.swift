import StoreContract
import Dispatch
import Scaling
import Testing

/// How a store treats the `change` it is given: called with the latest state, an unchanged result writes nothing,
/// a thrown `ScalingError` is the answer and writes nothing.
@Suite("Store contract: the change")
struct ChangeContractTests {
    /// Fails if an unchanged result is refused, reported as anything but the same dimension before and after,
    /// or written (the records counter moves); and, as a check on the check, if a real change does not move it.
    @Test("an unchanged result writes nothing and is answered", arguments: storeHarnesses)
    func unchangedWritesNothing(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let store = subject.store
            let a = sample("a", desired: 2, reason: "kept")
            try put(store, a)
            let written = try subject.recordsWritten()

            let same = store.updateAndWait(a.id) { current throws(ScalingError) in
                guard let current else { throw .notFound(a.id) }
                return current
            }
            #expect(same == .success(DimensionChange(before: a, after: a)))
            #expect(same.success?.changed == false)
            // An equal value built afresh is unchanged too.
            #expect(store.updateAndWait(a.id, setTo(sample("a", desired: 2, reason: "kept")))
                == .success(DimensionChange(before: a, after: a)))
            #expect(try subject.recordsWritten() == written)
            #expect(try read(store, a.id) == a)

            let changed = try store.updateAndWait(a.id, increment(a.id, tag: "moved")).get()
            #expect(changed.changed)
            if let written { #expect(try subject.recordsWritten() == written + 1) }
        }
    }

    /// Fails if a store wraps or replaces the error `change` threw, or writes anything when it throws — for an id
    /// that does not exist, one that does, and one with an update of its own still in flight.
    @Test("a ScalingError thrown by change is the answer, and nothing is written", arguments: storeHarnesses)
    func thrownErrorIsTheAnswer(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let store = subject.store
            let missing = id("missing")
            let errors: [ScalingError] = [
                .invalidUpdate("desiredCapacity must be a number"), .notFound(missing), .alreadyExists(missing),
                .operatorKeyMissing, .store(.unavailable(cause: "thrown by change itself")),
            ]
            for error in errors {
                #expect(store.updateAndWait(missing) { _ throws(ScalingError) in throw error } == .failure(error))
            }
            #expect(try read(store, missing) == nil)
            #expect(try list(store) == [])
            if let written = try subject.recordsWritten() { #expect(written == 0) }

            let a = sample("a", desired: 2)
            try put(store, a)
            let written = try subject.recordsWritten()
            for error in errors {
                #expect(store.updateAndWait(a.id) { _ throws(ScalingError) in throw error } == .failure(error))
            }
            #expect(try read(store, a.id) == a)
            #expect(try subject.recordsWritten() == written)

            // Behind an update still on its way: the error is still the answer, and the update is unharmed.
            let group = DispatchGroup()
            let results = Collected<Result<DimensionChange, ScalingError>>()
            update(store, a.id, setTo(sample("a", desired: 5)), group: group, into: results)
            let refused = store.updateAndWait(a.id) { current throws(ScalingError) in
                throw .invalidUpdate("saw \(current?.desiredCapacity ?? -1)")
            }
            #expect(refused == .failure(.invalidUpdate("saw 5.0")))
            group.wait()
            #expect(results.all == [.success(DimensionChange(before: a, after: sample("a", desired: 5)))])
            #expect(try read(store, a.id) == sample("a", desired: 5))
            if let written { #expect(try subject.recordsWritten() == written + 1) }
            guard subject.isDurable else { return }
            try subject.reopen()
            #expect(try list(subject.store) == [sample("a", desired: 5)])
        }
    }

    /// With nothing else going on, `change` gets exactly what a read returned just before: nil for an id that
    /// does not exist (also once deleted), the stored state otherwise — not a failed write's state, and after
    /// reopening the state that survived. Fails if a store passes stale, cached, or speculative state to `change`.
    @Test("change is called with the latest state", arguments: storeHarnesses)
    func changeSeesTheLatestState(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let target = id("x")
            /// Updates `target` to `next` and returns every state `change` was called with (a store may call it
            /// more than once).
            func arguments(_ next: Dimension) -> (Result<DimensionChange, ScalingError>, [Dimension?]) {
                let seen = Collected<Dimension?>()
                let outcome = subject.store.updateAndWait(target) { current throws(ScalingError) in
                    seen.append(current)
                    return next
                }
                return (outcome, seen.all)
            }
            func expectLatest(_ next: Dimension, sourceLocation: SourceLocation = #_sourceLocation) throws {
                let latest = try read(subject.store, target)
                let (outcome, seen) = arguments(next)
                #expect(!seen.isEmpty, sourceLocation: sourceLocation)
                #expect(seen.allSatisfy { $0 == latest }, "read \(String(describing: latest)), change saw \(seen)",
                        sourceLocation: sourceLocation)
                #expect(try outcome.get().before == latest, sourceLocation: sourceLocation)
            }

            try expectLatest(sample("x", desired: 1))
            try expectLatest(sample("x", desired: 2))
            try expectLatest(sample("x", desired: 2))  // unchanged
            subject.faults.failAll()
            let (failed, _) = arguments(sample("x", desired: 9))
            #expect(failed.failure?.isStoreUnavailable == true)
            subject.faults.clear()
            try expectLatest(sample("x", desired: 3))
            #expect(try subject.store.deleteAndWait(target).get() == sample("x", desired: 3))
            try expectLatest(sample("x", desired: 4))
            if subject.isDurable { try subject.reopen() }
            try expectLatest(sample("x", desired: 5))
        }
    }
}
