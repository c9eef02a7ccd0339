@testable import StoreContract
import Testing

@Suite("The outbox's heap of claimable heads")
struct MinHeapTests {
    /// Fails if the heap ever hands out an element that is not the least of those it holds.
    @Test(arguments: [[], [5], [3, 1, 2], [1, 1, 1, 0], Array((0..<200).reversed()), (0..<300).map { ($0 * 7919) % 101 }])
    func popsInOrder(values: [Int]) {
        var heap = MinHeap<Int>()
        var held: [Int] = []
        for (index, value) in values.enumerated() {
            heap.push(value)
            held.append(value)
            // Interleaved: every third push is followed by a pop.
            if index % 3 == 2 {
                #expect(heap.popMin() == held.min())
                held.remove(at: held.firstIndex(of: held.min()!)!)
            }
        }
        var popped: [Int] = []
        while let least = heap.popMin() { popped.append(least) }
        #expect(popped == held.sorted())
        #expect(heap.isEmpty && heap.min == nil)
    }
}
