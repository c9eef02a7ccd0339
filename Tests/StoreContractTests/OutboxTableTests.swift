import Scaling
@testable import StoreContract
import Testing

@Suite("The outbox's table: entries applied in any order")
struct OutboxTableTests {
    /// Fails if the order entries are applied in (a log's, a snapshot's, a replay's) changes what is claimed: for
    /// each id, only its lowest pending revision, never a dropped one, and nothing of an id with none pending.
    @Test(arguments: [0, 1, 2, 3, 4, 5] as [UInt64])
    func claimsDoNotDependOnTheOrderOfApplying(seed: UInt64) {
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
        var random = SplitMix(state: seed)
        var table = OutboxTable()
        for entry in seed == 0 ? entries : entries.shuffled(using: &random) { table.apply(.replace(entry)) }
        // Each again, as a replay of a log that wrote an entry twice does.
        for entry in entries.shuffled(using: &random) { table.apply(.replace(entry)) }

        let claimed = table.claimDue(now: 1, limit: 100, leaseMilliseconds: 1_000)
        #expect(Set(claimed.map { "\($0.event.dimension.id.value)@\($0.event.dimension.revision)" }) == ["a@10", "b@30"])
        #expect(claimed.allSatisfy { $0.claimedUntil == 1_001 })
        #expect(table.entries.count == 15)
    }
}

/// A seeded generator, so each argument shuffles the same way on every run.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
