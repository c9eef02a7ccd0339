import StoreContract
import Dispatch
import Scaling
import SystemIO
import Testing

@Suite("Store contract: revisions")
struct RevisionContractTests {
    /// Fails if a change does not take a revision above the one before, if a result that changed nothing moves it,
    /// if a read or the list shows another, or if a reopen loses it.
    @Test("every change takes a higher revision, and a result that changes nothing keeps it", arguments: storeHarnesses)
    func changesTakeHigherRevisions(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let store = subject.store
            let created = try put(store, sample("a", desired: 2)).after.revision
            #expect(created > 0)
            let unchanged = try put(store, sample("a", desired: 2))
            #expect(!unchanged.changed && unchanged.after.revision == created)
            let changed = try put(store, sample("a", desired: 3)).after.revision
            #expect(changed > created)
            #expect(try read(store, id("a"))?.revision == changed)
            #expect(try list(store).map(\.revision) == [changed])
            let other = try put(store, sample("b")).after.revision
            #expect(other > 0)
            guard subject.isDurable else { return }
            try subject.reopen()
            #expect(try read(subject.store, id("a"))?.revision == changed)
            #expect(try put(subject.store, sample("a", desired: 4)).after.revision > max(changed, other))
        }
    }

    /// Fails if an id deleted and created again can be at a revision it had before: an `ETag` a client kept from
    /// the old dimension would then match the new one.
    @Test("a revision never comes back for an id, across a deletion and a reopen", arguments: storeHarnesses)
    func revisionsDoNotComeBack(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            _ = try put(subject.store, sample("a", desired: 2))
            let last = try put(subject.store, sample("a", desired: 3)).after.revision
            _ = try subject.store.deleteAndWait(id("a")).get()
            if subject.isDurable { try subject.reopen() }
            #expect(try put(subject.store, sample("a", desired: 2)).after.revision > last)
        }
    }

    /// Fails if a dimension brought in whole loses the higher revision it brings (a copy between stores would
    /// invalidate every ETag clients hold), or if the next change does not go above it.
    @Test("an import keeps a higher revision it brings", arguments: storeHarnesses)
    func importKeepsRevision(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            var imported = sample("a", desired: 2)
            imported.revision = 1_000
            let change = try subject.store.updateAndWait(imported.id, DimensionImport(imported, overwrite: false)).get()
            #expect(change.after.revision == 1_000)
            #expect(try read(subject.store, id("a"))?.revision == 1_000)
            #expect(try put(subject.store, sample("a", desired: 3)).after.revision > 1_000)
        }
    }

    /// Fails if two updates that require the same revision can both apply: the condition must be checked under
    /// the store's serialization of the id, against the state the update is computed from.
    @Test("of updates requiring one revision, exactly one applies", arguments: storeHarnesses)
    func oneConditionalUpdateWins(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let store = subject.store
            let start = try put(store, sample("a", desired: 1)).after.revision
            let outcomes = Locked<[Result<DimensionChange, ScalingError>]>([])
            DispatchQueue.concurrentPerform(iterations: 16) { index in
                let request = ScalingRequest(update: DimensionUpdate(desiredCapacity: Double(index + 2)), mode: .production,
                                             creation: nil, condition: RevisionCondition(ifMatch: .listed([start])))
                let outcome = store.updateAndWait(id("a"), request)
                outcomes.withLock { $0.append(outcome) }
            }
            let all = outcomes.withLock { $0 }
            let winners = all.compactMap { try? $0.get() }
            #expect(winners.count == 1)
            let refusals = all.filter { if case .failure(.preconditionFailed(id("a"), _)) = $0 { true } else { false } }
            #expect(refusals.count == 15)
            #expect(try read(store, id("a")) == winners.first?.after)
        }
    }
}
