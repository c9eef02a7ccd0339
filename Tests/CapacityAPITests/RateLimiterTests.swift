@testable import CapacityAPI
import Synchronization
import Testing

/// The token buckets on a clock the test moves.
@Suite("Rate limiter")
struct RateLimiterTests {
    final class ManualClock: Sendable {
        let microseconds = Atomic<Int64>(0)
        func advance(seconds: Double) { microseconds.add(Int64(seconds * 1_000_000), ordering: .relaxed) }
        var now: @Sendable () -> Int64 { { [self] in microseconds.load(ordering: .relaxed) } }
    }

    /// Each step: seconds to move the clock, the client, and the wait expected (nil: let through).
    static let steps: [(advance: Double, client: String, wait: Double?)] = [
        (0, "a", nil), (0, "a", nil), (0, "a", nil),  // the burst of 3
        (0, "a", 1.0),  // empty: a token in 1 s at 1/s
        (0, "b", nil),  // another client has a bucket of its own
        (0.5, "a", 0.5),
        (0.5, "a", nil),  // one token came back
        (0, "a", 1.0),
        (10, "a", nil), (0, "a", nil), (0, "a", nil),  // refilled, never past the burst
        (0, "a", 1.0),
    ]

    @Test func bucketsRefillAtTheRateUpToTheBurst() {
        let clock = ManualClock()
        let limiter = RateLimiter(.init(perSecond: 1, burst: 3), now: clock.now)
        for (index, step) in Self.steps.enumerated() {
            clock.advance(seconds: step.advance)
            let wait = limiter.take(step.client)
            #expect(wait.map { ($0 * 1000).rounded() / 1000 } == step.wait, "step \(index)")
        }
        #expect(limiter.figures.limited == 4)
    }

    /// Fails if 100,000 distinct clients make the limiter remember more than its bound, or if a client is not
    /// limited after them.
    @Test func memoryIsBoundedHoweverManyClients() {
        let clock = ManualClock()
        let limiter = RateLimiter(.init(perSecond: 1, burst: 2, maxClients: 2048), now: clock.now)
        var most = 0
        for index in 0..<100_000 {
            #expect(limiter.take("client-\(index)") == nil)
            if index % 1000 == 0 {
                clock.advance(seconds: 0.001)
                most = max(most, limiter.figures.clients)
            }
        }
        #expect(most <= 2048 && limiter.figures.clients <= 2048, "\(most)")
        // After the churn a client is limited as before.
        #expect(limiter.take("busy") == nil)
        #expect(limiter.take("busy") == nil)
        #expect(limiter.take("busy") != nil)
    }

    @Test(arguments: [
        ("127.0.0.1:40000", "127.0.0.1"), ("[::1]:40000", "0:0:0:0::/64"),
        ("[2001:db8::1]:443", "2001:db8:0:0::/64"), ("[2001:DB8:0:0:ffff::2]:1", "2001:db8:0:0::/64"),
        ("[2001:db8:1:2:3:4:5:6]:9", "2001:db8:1:2::/64"), ("[fe80::1:2:3:4]:5", "fe80:0:0:0::/64"),
        ("[::ffff:10.0.0.1]:80", "10.0.0.1"),
    ])
    func clientsAreAddressesWithoutPortsAndIPv6ByItsSlash64(_ row: (String, String)) {
        #expect(RateLimitPolicy.client(ofPeer: row.0) == row.1)
    }

    /// A rate as small as the option allows: the answer's Retry-After stays a day at most instead of overflowing.
    @Test func aTinyRateWaitsADayAtMost() {
        let limiter = RateLimiter(.init(perSecond: 1e-19, burst: 1))
        _ = limiter.take("a")
        #expect((limiter.take("a") ?? 0) > 86_400)
    }
}
