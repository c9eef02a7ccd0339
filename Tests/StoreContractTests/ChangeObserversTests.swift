import StoreContract
import Scaling
import SystemIO
import Testing

@Suite("The store's change observer")
struct ChangeObserversTests {
    /// Fails if telling the observer costs more with each change told: a closure kept in a generic container and
    /// read back through `inout` is wrapped in two more conversion thunks on every read, so the call would go
    /// down one more pair of frames each time, until the thread's stack runs out.
    @Test func tellingCostsTheSameStackEveryTime() {
        let observers = ChangeObservers()
        let depths = Locked<[Int]>([])
        observers.set { _ in
            var marker = 0
            let address = withUnsafeMutablePointer(to: &marker) { Int(bitPattern: $0) }
            depths.withLock { $0.append(address) }
        }
        for revision in 1...20_000 { observers.tell([.changed(id("a"), revision: UInt64(revision))]) }
        let addresses = depths.withLock { $0 }
        #expect(addresses.count == 20_000)
        // The stack grows down: a deeper call has a lower address.
        #expect(addresses.first! - addresses.min()! < 4096, "the call went \(addresses.first! - addresses.min()!) bytes deeper")
    }
}
