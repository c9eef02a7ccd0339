import StoreContract
import Dispatch
import Scaling
import SystemIO
import Testing

/// Durable before visible: a change is reported, and seen by reads, only once it is durable; what is reported is
/// then what reads see, also after a restart.
@Suite("Store contract: visible only once durable")
struct VisibilityContractTests {
    /// Many updates in flight at once; each completion reads back (and asks what the store knows). Fails if a store
    /// reports a change before reads show it (e.g. the file store calling completions before publishing the batch),
    /// and — through the unchanged update queued behind a change — if an unchanged result is reported while the
    /// change it saw is not durable.
    @Test("a read issued from an update's completion sees that update", arguments: storeHarnesses)
    func readFromCompletion(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let store = subject.store
            let group = DispatchGroup()
            // Distinct ids: nothing else writes each one, so the read must be exactly what was reported.
            let own = Collected<(reported: Result<DimensionChange, ScalingError>, read: Result<Dimension?, StoreError>,
                                 known: Dimension?)>()
            for index in 0..<30 {
                let target = id("own-\(index)")
                group.enter()
                store.update(target, setTo(sample(target.value, desired: Double(index))), completion: { outcome in
                    let known = store.knownDimension(target)
                    store.dimension(target) { read in
                        own.append((outcome, read, known))
                        group.leave()
                    }
                })
            }
            // One id, many increments queued: a read may see later ones, never an earlier state.
            let counter = id("counter")
            let shared = Collected<(reported: Result<DimensionChange, ScalingError>, read: Result<Dimension?, StoreError>)>()
            for index in 0..<30 {
                group.enter()
                store.update(counter, increment(counter, tag: "c\(index)"), completion: { outcome in
                    store.dimension(counter) { read in
                        shared.append((outcome, read))
                        group.leave()
                    }
                })
            }
            // An unchanged result right behind a change reports the state that change made, so it must be durable.
            let queued = id("queued")
            let unchanged = Collected<(reported: Result<DimensionChange, ScalingError>, read: Result<Dimension?, StoreError>)>()
            for index in 0..<10 {
                group.enter()
                store.update(queued, increment(queued, tag: "q\(index)"), completion: { _ in group.leave() })
                group.enter()
                store.update(queued, { current throws(ScalingError) in
                    guard let current else { throw .notFound(queued) }
                    return current
                }, completion: { outcome in
                    store.dimension(queued) { read in
                        unchanged.append((outcome, read))
                        group.leave()
                    }
                })
            }
            group.wait()

            #expect(own.all.count == 30)
            for (reported, read, known) in own.all {
                let change = try reported.get()
                #expect(try read.get() == change.after)
                #expect(known == (subject.knowsItsDimensions ? change.after : nil))
            }
            #expect(shared.all.count == 30)
            for (reported, read) in shared.all {
                let change = try reported.get()
                let seen = try #require(try read.get())
                #expect(seen.desiredCapacity >= change.after.desiredCapacity, "reported \(change.after.version), read \(seen.version)")
            }
            #expect(unchanged.all.count == 10)
            for (reported, read) in unchanged.all {
                let change = try reported.get()
                #expect(!change.changed)
                let seen = try #require(try read.get(), "an unchanged result was reported before the change it saw was readable")
                #expect(seen.desiredCapacity >= change.after.desiredCapacity, "reported \(change.after.version), read \(seen.version)")
            }
            #expect(try read(store, queued)?.desiredCapacity == 10)
        }
    }

    /// Writers increment one id while every 4th write fails; a reader reads all along, and asks what the store
    /// knows. Every update tags the state it makes, so what the reader saw can be traced. Fails if a read, or a
    /// known dimension, ever shows a state that was never reported (a write made visible before it was durable,
    /// then refused) or one from a failed write.
    @Test("a concurrent reader sees only reported states, never a failed write's", arguments: storeHarnesses)
    func concurrentReader(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let store = subject.store
            let counter = id("counter")
            let initial = try put(store, sample("counter", desired: 0, version: "initial")).after
            subject.faults.failEvery(4)
            let writers = 4
            let perWriter = 30
            let results = Collected<(tag: String, Result<DimensionChange, ScalingError>)>()
            let seen = Collected<String>()
            let writing = Locked(writers)
            let knownSeen = Locked(0)
            onThreads(writers + 1) { thread in
                guard thread < writers else {
                    // The reader: until the last writer is done, and once more after.
                    var done = false
                    while !done {
                        done = writing.withLock { $0 == 0 }
                        if case .success(let state?) = store.dimensionAndWait(counter) { seen.append(state.version) }
                        if let known = store.knownDimension(counter) {
                            seen.append(known.version)
                            knownSeen.withLock { $0 += 1 }
                        }
                        if case .success(let all) = store.allDimensionsAndWait() {
                            for state in all { seen.append(state.version) }
                        }
                    }
                    return
                }
                for index in 0..<perWriter {
                    let tag = "w\(thread)-\(index)"
                    results.append((tag, store.updateAndWait(counter, increment(counter, tag: tag))))
                }
                writing.withLock { $0 -= 1 }
            }
            subject.faults.clear()

            let outcomes = results.all
            let reported = Set(outcomes.compactMap { $0.1.success?.after.version }).union([initial.version])
            let failed = Set(outcomes.filter { $0.1.failure != nil }.map(\.tag))
            #expect(subject.faults.injected > 0)
            #expect((knownSeen.withLock { $0 } > 0) == subject.knowsItsDimensions)
            #expect(!failed.isEmpty, "no write failed: the test proves nothing")
            #expect(failed.count < outcomes.count, "every write failed: the test proves nothing")
            #expect(outcomes.allSatisfy { $0.1.failure?.isStoreUnavailable ?? true })
            let versions = Set(seen.all)
            #expect(versions.isSubset(of: reported), "read but never reported: \(versions.subtracting(reported).sorted())")
            #expect(versions.isDisjoint(with: failed), "read from failed writes: \(versions.intersection(failed).sorted())")
            // The failures left no trace in what succeeded either.
            expectOneChain(outcomes.compactMap { $0.1.success }, from: initial, to: try read(store, counter))
        }
    }

    /// Fails if an acknowledged change (an update, a creation, a deletion) is missing or different after the store
    /// is reopened — e.g. a store acknowledging before fsync or commit and losing the tail on close. For a store
    /// that keeps nothing, only the in-process part is checked.
    @Test("an acknowledged change is there after reopening", arguments: storeHarnesses)
    func acknowledgedChangesSurviveReopen(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            // Every field, a fractional capacity and a reason that needs escaping, so nothing is lost on the way.
            var rich = sample("rich", desired: 2.5, version: "v\"1\\", reason: "line\nbreak, \"quoted\", ünïcode ✓")
            rich.actualCapacity = 0.1
            rich.scalingStatus = .failed
            try put(subject.store, rich)
            try put(subject.store, sample("gone", desired: 4))
            let counter = id("counter")
            let group = DispatchGroup()
            let results = Collected<Result<DimensionChange, ScalingError>>()
            for index in 0..<20 { update(subject.store, counter, increment(counter, tag: "c\(index)"), group: group, into: results) }
            group.wait()
            #expect(try subject.store.deleteAndWait(id("gone")).get().desiredCapacity == 4)
            #expect(results.all.compactMap(\.failure) == [])
            let expected = try list(subject.store)
            #expect(expected.map(\.id.value) == ["counter", "rich"])
            #expect(try read(subject.store, id("rich")) == rich)
            #expect(expected.first?.desiredCapacity == 20)
            guard subject.isDurable else { return }
            try subject.reopen()
            #expect(try list(subject.store) == expected)
            #expect(try read(subject.store, id("rich")) == rich)
            #expect(try read(subject.store, id("gone")) == nil)
            // And the reopened store goes on from there.
            #expect(try subject.store.updateAndWait(counter, increment(counter, tag: "after")).get().before == expected.first)
        }
    }
}

extension DimensionStore {
    /// What a production-mode GET is answered with from the store's memory, if it can be.
    func knownDimension(_ id: DimensionID) -> Dimension? {
        unchangedResult(id, ScalingRequest(update: nil, mode: .production, creation: nil))?.after
    }
}
