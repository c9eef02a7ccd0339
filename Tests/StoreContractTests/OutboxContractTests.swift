import Dispatch
import StoreContract
import Scaling
import SystemIO
import Testing

private let receivers = ["https://a.example/hook", "http://10.0.0.1/hook"]

/// The stores that keep events (`EventOutbox`); the others answer nil for `outbox` and are not asked.
private func withOutbox(_ harness: any StoreHarness, _ body: (StoreUnderTest, () throws -> any EventOutbox) throws -> Void) throws {
    try withStore(harness, receivers: receivers) { subject in
        guard subject.store.outbox != nil else { return }
        try body(subject) { try #require(subject.store.outbox) }
    }
}

@Suite("Store contract: the outbox of events")
struct OutboxContractTests {
    /// Fails if a change does not make one event per receiver with its after and before states (exactly: 0.1 + 0.2
    /// is no round number), if a result that changed nothing or a failed write makes one, or if the events do not
    /// survive a reopen.
    @Test("each change makes one event per receiver, durable with it", arguments: storeHarnesses)
    func changesMakeEvents(harness: any StoreHarness) throws {
        try withOutbox(harness) { subject, outbox in
            let created = try put(subject.store, sample("a", desired: 2)).after
            _ = try put(subject.store, sample("a", desired: 2))
            subject.faults.failNext()
            #expect(throws: (any Error).self) { try put(subject.store, sample("a", desired: 9)) }
            let changed = try put(subject.store, sample("a", desired: 0.1 + 0.2)).after
            var entries = try outbox().outboxEntries().get()
            #expect(entries.map(\.event.receiver) == [receivers[1], receivers[0], receivers[1], receivers[0]])
            #expect(entries.map(\.event.dimension.revision) == [created.revision, created.revision, changed.revision, changed.revision])
            #expect(entries[0].event.previous == nil && entries[0].event.dimension == created)
            #expect(entries[2].event.previous == created && entries[2].event.dimension == changed)
            #expect(entries.allSatisfy { $0.attempts == 0 && !$0.dropped && $0.event.epochMilliseconds > 0 })
            guard subject.isDurable else { return }
            try subject.reopen()
            entries = try outbox().outboxEntries().get()
            #expect(entries.count == 4 && entries[2].event.previous == created && entries[2].event.dimension == changed)
            #expect(entries[2].event.dimension.revision == changed.revision)
        }
    }

    /// Fails if a claim returns a later event of an id before an earlier one is settled, returns a claimed event
    /// again before its lease ends, or never again after it lapses.
    @Test("claims go in revision order per id and receiver, and hold for their lease", arguments: storeHarnesses)
    func claimsKeepOrder(harness: any StoreHarness) throws {
        try withOutbox(harness) { subject, outbox in
            let first = try put(subject.store, sample("a", desired: 2)).after.revision
            let second = try put(subject.store, sample("a", desired: 3)).after.revision
            _ = try put(subject.store, sample("b"))
            let now = Clock.epochMilliseconds() + 1_000
            let claimed = try outbox().claimDue(now: now, limit: 10, leaseMilliseconds: 5_000).get()
            #expect(claimed.count == 4)
            #expect(claimed.filter { $0.event.dimension.id == id("a") }.allSatisfy { $0.event.dimension.revision == first })
            #expect(try outbox().claimDue(now: now + 1, limit: 10, leaseMilliseconds: 5_000).get().isEmpty)
            let key = EventKey(id: id("a"), revision: first, receiver: receivers[0])
            try outbox().settle(try #require(claimed.first { $0.event.key == key }), .delivered).get()
            let next = try outbox().claimDue(now: now + 2, limit: 10, leaseMilliseconds: 5_000).get()
            #expect(next.map(\.event.key) == [EventKey(id: id("a"), revision: second, receiver: receivers[0])])
            // The other claims lapse: claimed again, and the limit holds.
            let lapsed = try outbox().claimDue(now: now + 6_000, limit: 2, leaseMilliseconds: 5_000).get()
            #expect(lapsed.count == 2)
        }
    }

    /// Fails if a retry is due before its time, an attempt is not counted, a dropped event holds back the next of
    /// its id or is claimed, a resend does not make it due again, or any of it is lost on a reopen.
    @Test("retries, drops and resends are durable", arguments: storeHarnesses)
    func retriesDropsAndResends(harness: any StoreHarness) throws {
        try withOutbox(harness) { subject, outbox in
            let first = try put(subject.store, sample("a", desired: 2)).after.revision
            let second = try put(subject.store, sample("a", desired: 3)).after.revision
            let now = Clock.epochMilliseconds() + 1_000
            let one = EventKey(id: id("a"), revision: first, receiver: receivers[0])
            let other = EventKey(id: id("a"), revision: first, receiver: receivers[1])
            // Long leases: a settlement ends its claim, so a retry is due at its time, not the lease's end.
            let claimed = try outbox().claimDue(now: now, limit: 10, leaseMilliseconds: 60_000).get()
            try outbox().settle(try #require(claimed.first { $0.event.key == one }), .retry(at: now + 10_000)).get()
            try outbox().settle(try #require(claimed.first { $0.event.key == other }), .dropped).get()
            if subject.isDurable { try subject.reopen() }
            let due = try outbox().claimDue(now: now + 1_000, limit: 10, leaseMilliseconds: 60_000).get()
            #expect(due.map(\.event.key) == [EventKey(id: id("a"), revision: second, receiver: receivers[1])])
            #expect(try outbox().claimDue(now: now + 9_999, limit: 10, leaseMilliseconds: 100).get().isEmpty)
            let figures = try outbox().outboxFigures(now: now + 1_000)
            #expect(figures.pending == 3 && figures.dropped == 1 && figures.oldestPendingAgeMilliseconds >= 1_000)
            let entries = try outbox().outboxEntries().get()
            #expect(entries.first { $0.event.key == one }.map { ($0.attempts, $0.dueAt, $0.dropped) }! == (1, now + 10_000, false))
            #expect(entries.first { $0.event.key == other }.map { ($0.attempts, $0.dropped) }! == (1, true))
            #expect(try outbox().claimDue(now: now + 10_000, limit: 10, leaseMilliseconds: 100).get().map(\.event.key) == [one])
            #expect(try outbox().resend(one, now: now) == .success(false))
            #expect(try outbox().resend(other, now: now + 20_000) == .success(true))
            if subject.isDurable { try subject.reopen() }
            let resent = try outbox().outboxEntries().get().first { $0.event.key == other }
            #expect(resent.map { ($0.attempts, $0.dueAt, $0.dropped) }! == (0, now + 20_000, false))
        }
    }

    /// Fails if a failed attempt settled after its claim lapsed and the event was claimed again ends the new claim
    /// (a third claim would then deliver while the second is under way) or counts an attempt, or if a delivery
    /// settled late is not final.
    @Test("a late settlement leaves the claim that followed it alone, unless it delivered", arguments: storeHarnesses)
    func lateSettlement(harness: any StoreHarness) throws {
        try withOutbox(harness) { subject, outbox in
            _ = try put(subject.store, sample("a"))
            let now = Clock.epochMilliseconds() + 1_000
            let first = try outbox().claimDue(now: now, limit: 10, leaseMilliseconds: 1_000).get()
            let second = try outbox().claimDue(now: now + 1_000, limit: 10, leaseMilliseconds: 1_000).get()
            #expect(first.count == 2 && Set(second.map(\.event.key)) == Set(first.map(\.event.key)))
            let lateRetry = try #require(first.first { $0.event.receiver == receivers[0] })
            try outbox().settle(lateRetry, .retry(at: now)).get()
            #expect(try outbox().claimDue(now: now + 1_500, limit: 10, leaseMilliseconds: 1_000).get().isEmpty)
            #expect(try outbox().outboxEntries().get().allSatisfy { $0.attempts == 0 })

            let current = try #require(second.first { $0.event.key == lateRetry.event.key })
            try outbox().settle(current, .retry(at: now + 1_200)).get()
            #expect(try outbox().outboxEntries().get().first { $0.event.key == current.event.key }?.attempts == 1)
            let lateDelivery = try #require(first.first { $0.event.receiver == receivers[1] })
            try outbox().settle(lateDelivery, .delivered).get()
            #expect(try outbox().outboxEntries().get().map(\.event.key) == [current.event.key])
        }
    }

    /// Fails if two instances on one store claim the same event while its lease runs, if one does not take the
    /// other's lapsed claims, or if an instance claims events of a receiver it was not opened with.
    @Test("instances sharing a store claim each event once per lease, and only their receivers'",
          arguments: storeHarnesses.filter(\.isShared))
    func instancesShareClaims(harness: any StoreHarness) throws {
        try withOutbox(harness) { subject, outbox in
            for name in ["a", "b", "c", "d"] { _ = try put(subject.store, sample(name)) }
            let sibling = try harness.openSibling(of: subject.store, faults: WriteFaults(), receivers: receivers)
            defer { sibling.close() }
            let stranger = try harness.openSibling(of: subject.store, faults: WriteFaults(), receivers: ["http://other/hook"])
            defer { stranger.close() }
            let outboxes = [try outbox(), try #require(sibling.outbox)]
            let now = Clock.epochMilliseconds() + 1_000
            #expect(try #require(stranger.outbox).claimDue(now: now, limit: 100, leaseMilliseconds: 5_000).get().isEmpty)

            // Both instances claim one at a time, at once, until nothing is left: each event goes to one of them.
            let claimed = Locked<[[EventKey]]>([[], []])
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                while case .success(let entries) = outboxes[index].claimDue(now: now, limit: 1, leaseMilliseconds: 5_000),
                      !entries.isEmpty {
                    claimed.withLock { $0[index] += entries.map(\.event.key) }
                }
            }
            let all = claimed.withLock { $0[0] + $0[1] }
            #expect(all.count == 8 && Set(all).count == 8, "\(claimed.withLock { $0 })")

            let lapsed = try outboxes[1].claimDue(now: now + 5_000, limit: 100, leaseMilliseconds: 5_000).get()
            #expect(Set(lapsed.map(\.event.key)) == Set(all))
            try outboxes[0].settle(all.map { Settlement(key: $0, claimedUntil: 0, outcome: .delivered) }).get()
            #expect(try outboxes[1].outboxEntries().get().isEmpty)
        }
    }

    /// Fails if a settlement that could not be made durable changes anything.
    @Test("a failed settlement changes nothing", arguments: storeHarnesses)
    func failedSettlement(harness: any StoreHarness) throws {
        try withOutbox(harness) { subject, outbox in
            _ = try put(subject.store, sample("a"))
            let before = try outbox().outboxEntries().get()
            subject.faults.failNext()
            #expect(throws: StoreError.self) { try outbox().settle(before[0], .delivered).get() }
            #expect(try outbox().outboxEntries().get() == before)
        }
    }
}
