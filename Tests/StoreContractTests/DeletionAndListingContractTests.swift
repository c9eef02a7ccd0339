import StoreContract
import Dispatch
import Scaling
import Testing

@Suite("Store contract: deletions")
struct DeletionContractTests {
    /// Fails if a deletion reports anything but the dimension as it was last stored, leaves it readable or listed,
    /// reports a missing id as anything but `.notFound(id)`, or comes undone after reopening.
    @Test("a deletion removes the dimension and reports it as it was", arguments: storeHarnesses)
    func deletion(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let store = subject.store
            let a = id("a")
            try put(store, sample("a", desired: 2))
            try put(store, sample("a", desired: 3, reason: "latest"))
            try put(store, sample("b", desired: 4))
            #expect(store.deleteAndWait(a) == .success(sample("a", desired: 3, reason: "latest")))
            #expect(try read(store, a) == nil)
            #expect(try list(store) == [sample("b", desired: 4)])
            #expect(store.deleteAndWait(a) == .failure(.notFound(a)))
            #expect(store.deleteAndWait(id("never")) == .failure(.notFound(id("never"))))
            // An update after the deletion starts from nothing.
            let recreated = try put(store, sample("c", desired: 5))
            #expect(recreated.before == nil)
            guard subject.isDurable else { return }
            try subject.reopen()
            #expect(try read(subject.store, a) == nil)
            #expect(try list(subject.store) == [sample("b", desired: 4), sample("c", desired: 5)])
            #expect(subject.store.deleteAndWait(a) == .failure(.notFound(a)))
        }
    }

    /// Fails if the first result after a deletion does not name the last one before it: the transition log would
    /// hold its lines for ever, or let a line from before the deletion be overtaken and then never written.
    @Test("result numbers run on across a deletion", arguments: storeHarnesses)
    func numbersRunOnAcrossADeletion(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let store = subject.store
            let before = try #require(try put(store, sample("a", desired: 2)).numbers)
            #expect(store.deleteAndWait(id("a")) == .success(sample("a", desired: 2)))
            let after = try #require(try put(store, sample("a", desired: 3)).numbers)
            #expect(after.before == before.after)
        }
    }

    /// A deletion sent while an update of the same id is still on its way (the update sent with a completion,
    /// the deletion right after), and the other way round. Fails if either is computed without the other: the
    /// deletion reporting the state before the update (or `.notFound` for an id the update creates), or the
    /// update after a deletion seeing the deleted state.
    @Test("a deletion queued right behind an update sees it, and the other way round", arguments: storeHarnesses)
    func deletionBehindAnUpdate(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let store = subject.store
            let group = DispatchGroup()
            let updates = Collected<Result<DimensionChange, ScalingError>>()
            for index in 0..<10 {
                let target = id("x\(index)")
                if index.isMultiple(of: 2) { try put(store, sample(target.value, desired: 1)) }
                update(store, target, setTo(sample(target.value, desired: 5)), group: group, into: updates)
                #expect(store.deleteAndWait(target) == .success(sample(target.value, desired: 5)), "\(target)")
            }
            group.wait()
            #expect(updates.all.count == 10)
            #expect(updates.all.compactMap(\.failure) == [])
            #expect(try list(store) == [])

            let deletions = Collected<Result<Dimension, StoreError>>()
            for index in 0..<10 {
                let target = id("y\(index)")
                try put(store, sample(target.value, desired: 1))
                group.enter()
                store.delete(target) { outcome in
                    deletions.append(outcome)
                    group.leave()
                }
                let seen = Collected<Dimension?>()
                let recreated = store.updateAndWait(target) { current throws(ScalingError) in
                    seen.append(current)
                    return sample(target.value, desired: 7)
                }
                #expect(seen.all.allSatisfy { $0 == nil }, "\(target): \(seen.all)")
                #expect(try recreated.get().before == nil, "\(target)")
            }
            group.wait()
            #expect(deletions.all.count == 10)
            #expect(deletions.all.allSatisfy { $0.success?.desiredCapacity == 1 }, "\(deletions.all)")
            let expected = (0..<10).map { sample("y\($0)", desired: 7) }
            #expect(try list(store) == expected)
            guard subject.isDurable else { return }
            try subject.reopen()
            #expect(try list(subject.store) == expected)
        }
    }
}

@Suite("Store contract: listing")
struct ListingContractTests {
    /// Fails if the list is not sorted by id in byte order (a database's locale collation would put `Z` after
    /// `a`), misses or duplicates a dimension, shows a stale state after an update or deletion, or differs after
    /// reopening; and if an empty store lists anything.
    @Test("allDimensions is sorted by id and follows creates, updates and deletes", arguments: storeHarnesses)
    func listing(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let store = subject.store
            #expect(try list(store) == [])
            for name in ["m", "b", "a.2", "a", "Z", "0-x", "b:1", "a_1", "A-"] {
                try put(store, sample(name, desired: 1))
            }
            let order = ["0-x", "A-", "Z", "a", "a.2", "a_1", "b", "b:1", "m"]
            #expect(try list(store).map(\.id.value) == order)
            #expect(try list(store) == order.map { sample($0, desired: 1) })

            try put(store, sample("b", desired: 6))
            #expect(try store.deleteAndWait(id("a")).get() == sample("a", desired: 1))
            try put(store, sample("c", desired: 2))
            var expected = order.filter { $0 != "a" }.map { sample($0, desired: $0 == "b" ? 6 : 1) }
            expected.insert(sample("c", desired: 2), at: expected.firstIndex { $0.id.value == "m" }!)
            #expect(try list(store) == expected)
            if subject.isDurable {
                try subject.reopen()
                #expect(try list(subject.store) == expected)
            }
            for dimension in expected { _ = subject.store.deleteAndWait(dimension.id) }
            #expect(try list(subject.store) == [])
        }
    }

    /// Ids as wide as AWS allows. Fails if a store changes an id's bytes (a normalisation, an escape gone wrong),
    /// takes two spellings of one character for one id, or loses any of them over a reopen.
    @Test("ids are kept byte for byte, two spellings of a character are two ids", arguments: storeHarnesses)
    func wideIDs(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let names = ["caf\u{e9}", "cafe\u{301}", "orders@prod", "my service", "\u{1F600}", "a\\b\"c'd",
                         String(repeating: "\u{e9}", count: 800)]
            for (index, name) in names.enumerated() { try put(subject.store, sample(name, desired: Double(index))) }
            let expected = names.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
            func check(_ store: any DimensionStore) throws {
                #expect(try list(store).map { Array($0.id.value.utf8) } == expected)
                for (index, name) in names.enumerated() {
                    #expect(try read(store, id(name))?.desiredCapacity == Double(index), "\(name)")
                }
            }
            try check(subject.store)
            if subject.isDurable {
                try subject.reopen()
                try check(subject.store)
            }
        }
    }
}
