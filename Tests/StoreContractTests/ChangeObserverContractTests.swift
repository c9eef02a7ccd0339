import StoreContract
import Dispatch
import Scaling
import SystemIO
import Glibc
import Testing

@Suite("Store contract: change observers")
struct ChangeObserverContractTests {
    /// Fails if an observer misses a change or a deletion, hears of one before a read can see it, hears of one
    /// with another revision than its result's, or hears of a result that changed nothing or a failed write.
    @Test("the observer learns of each durable change once it is visible, and of nothing else", arguments: storeHarnesses)
    func observerLearnsOfChanges(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let store = subject.store
            let heard = HeardChanges()
            let unseen = Locked<[String]>([])
            let reads = DispatchGroup()
            store.observeChanges { change in
                heard.append(change)
                guard case .changed(let id, let revision) = change, revision > 0 else { return }
                // Asked from the observer without waiting, as a waiting request does: it must see the change.
                reads.enter()
                store.dimension(id) { read in
                    if ((try? read.get()) ?? nil)?.revision ?? 0 < revision {
                        unseen.withLock { $0.append("\(id.value)@\(revision)") }
                    }
                    reads.leave()
                }
            }
            let created = try put(store, sample("a", desired: 2)).after.revision
            _ = try put(store, sample("a", desired: 2))  // changes nothing
            subject.faults.failNext()
            #expect(throws: (any Error).self) { try put(store, sample("a", desired: 9)) }
            let changed = try put(store, sample("a", desired: 3)).after.revision
            // A store may tell after it answers: wait for it, and for the reads it started, before deleting.
            #expect(heard.waitFor(2) == [.changed(id("a"), revision: created), .changed(id("a"), revision: changed)])
            #expect(reads.wait(timeout: .now() + 10) == .success)
            #expect(unseen.withLock { $0 } == [])
            _ = try store.deleteAndWait(id("a")).get()
            #expect(heard.waitFor(3).last == .changed(id("a"), revision: 0))
            usleep(50_000)
            #expect(heard.all.count == 3)
        }
    }

    /// Fails if an observer of one instance of a shared store misses a change or a deletion made through another
    /// instance, hears of it with another revision than that instance reported, or hears of a result that changed
    /// nothing, a refused update or a failed write there.
    @Test("the observer learns of the changes other instances make, and of nothing else",
          arguments: storeHarnesses.filter(\.isShared))
    func observerLearnsOfOtherInstancesChanges(harness: any StoreHarness) throws {
        try withStore(harness) { subject in
            let heard = HeardChanges()
            subject.store.observeChanges { heard.append($0) }
            let faults = WriteFaults()
            let sibling = try harness.openSibling(of: subject.store, faults: faults)
            defer { sibling.close() }

            let created = try put(sibling, sample("a", desired: 2)).after.revision
            _ = try put(sibling, sample("a", desired: 2))  // changes nothing
            let refused = sibling.updateAndWait(id("a")) { _ throws(ScalingError) in throw .alreadyExists(id("a")) }
            #expect(refused.failure == .alreadyExists(id("a")))
            faults.failNext()
            #expect(throws: (any Error).self) { try put(sibling, sample("a", desired: 9)) }
            let changed = try put(sibling, sample("a", desired: 3)).after.revision
            _ = try sibling.deleteAndWait(id("a")).get()
            #expect(heard.waitFor(3) == [.changed(id("a"), revision: created), .changed(id("a"), revision: changed),
                                         .changed(id("a"), revision: 0)])
            usleep(200_000)
            #expect(heard.all.count == 3, "\(heard.all)")
        }
    }
}
