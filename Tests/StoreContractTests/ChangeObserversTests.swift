import Foundation
import StoreContract
import Scaling
import SystemIO
import Testing

@Suite("The store's change observer")
struct ChangeObserversTests {
    /// Fails if telling the observer costs more with each change told: a closure kept in a generic container and
    /// read back through `inout` is wrapped in two more conversion thunks on every read, so the call would go
    /// down one more pair of frames each time, until the thread's stack runs out. Counted in frames, not stack
    /// addresses, which AddressSanitizer's fake stacks scatter.
    @Test func tellingCostsTheSameStackEveryTime() {
        let observers = ChangeObservers()
        let depths = Locked<[Int]>([])
        let told = 20_000
        observers.set { change in
            guard case .changed(_, let revision) = change, revision == 1 || revision == told else { return }
            let depth = Thread.callStackReturnAddresses.count
            depths.withLock { $0.append(depth) }
        }
        for revision in 1...told { observers.tell([.changed(id("a"), revision: UInt64(revision))]) }
        let counted = depths.withLock { $0 }
        #expect(counted.count == 2 && counted.first == counted.last, "frames at the first and the last change: \(counted)")
    }
}
