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
            let heard = Locked<[StoreChange]>([])
            let unseen = Locked<[String]>([])
            let reads = DispatchGroup()
            store.observeChanges { change in
                heard.withLock { $0.append(change) }
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
            func hear(_ count: Int) -> [StoreChange] {
                for _ in 0..<1000 where heard.withLock({ $0.count }) < count { usleep(10_000) }
                return heard.withLock { $0 }
            }
            #expect(hear(2) == [.changed(id("a"), revision: created), .changed(id("a"), revision: changed)])
            #expect(reads.wait(timeout: .now() + 10) == .success)
            #expect(unseen.withLock { $0 } == [])
            _ = try store.deleteAndWait(id("a")).get()
            #expect(hear(3).last == .changed(id("a"), revision: 0))
            usleep(50_000)
            #expect(heard.withLock { $0.count } == 3)
        }
    }
}
