import Scaling
@testable import StoreContract
import Testing

@Suite("The outbox's table: entries applied in any order")
struct OutboxTableTests {
    /// Fails if the order entries are applied in (a log's, a snapshot's, a replay's) changes what is claimed: for
    /// each id, only its lowest pending revision, never a dropped one, and nothing of an id with none pending. Each
    /// argument orders the 15 entries by `index × stride mod 15`, a permutation (each stride is prime to 15): 1 is
    /// file order, 14 all but reversed.
    @Test(arguments: [1, 14, 7, 4, 11, 2])
    func claimsDoNotDependOnTheOrderOfApplying(stride: Int) {
        // a: 5 pending. b: its first 2 dropped, then 3 pending. c: all dropped.
        var entries: [OutboxEntry] = []
        for (name, droppedBelow) in [("a", 0), ("b", 2), ("c", 5)] {
            for revision in 1...5 as ClosedRange<UInt64> {
                var dimension = sample(name)
                dimension.revision = revision * 10
                entries.append(OutboxEntry(event: DimensionEvent(dimension: dimension, previous: nil, epochMilliseconds: 1,
                                                                 receiver: "r"),
                                           dueAt: 1, dropped: revision <= droppedBelow))
            }
        }
        func ordered(by stride: Int) -> [OutboxEntry] {
            entries.indices.sorted { $0 * stride % entries.count < $1 * stride % entries.count }.map { entries[$0] }
        }
        var table = OutboxTable()
        for entry in ordered(by: stride) { table.apply(.replace(entry)) }
        // Each again, in another order, as a replay of a log that wrote an entry twice does.
        for entry in ordered(by: stride * 2 % entries.count) { table.apply(.replace(entry)) }

        let claimed = table.claimDue(now: 1, limit: 100, leaseMilliseconds: 1_000)
        #expect(Set(claimed.map { "\($0.event.dimension.id.value)@\($0.event.dimension.revision)" }) == ["a@10", "b@30"])
        #expect(claimed.allSatisfy { $0.claimedUntil == 1_001 })
        #expect(table.entries.count == 15)
    }
}
