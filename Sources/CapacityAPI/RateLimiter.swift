import SystemIO

/// A token bucket per client (`--rate-limit N/s`, `--rate-burst B`): a client may make `burst` requests at once and
/// `perSecond` a second after that. Shared by every event loop (a client's connections may land on any of them),
/// in shards so that loops seldom wait for each other.
///
/// Memory is bounded however many clients there are: a shard that is full first forgets the buckets that have
/// refilled (they say nothing a fresh bucket would not), then, if clients keep arriving faster than buckets refill,
/// arbitrary ones; a forgotten client starts again with a full bucket, so under such a flood the limit errs on
/// the side of letting requests through rather than growing.
public final class RateLimiter: Sendable {
    public struct Settings: Sendable, Equatable {
        public var perSecond: Double
        public var burst: Double
        /// Clients remembered at most.
        public var maxClients: Int

        public init(perSecond: Double, burst: Double, maxClients: Int = 100_000) {
            self.perSecond = perSecond
            self.burst = burst
            self.maxClients = maxClients
        }
    }

    private struct Bucket {
        var tokens: Double
        var updatedMicroseconds: Int64
    }

    public let settings: Settings
    private let shards: [Locked<[String: Bucket]>]
    private let perShard: Int
    private let limited = Locked<UInt64>(0)
    private let now: @Sendable () -> Int64

    /// `now`: monotonic microseconds (injected by tests).
    public init(_ settings: Settings, now: @escaping @Sendable () -> Int64 = { Clock.monotonicMicroseconds() }) {
        self.settings = settings
        let count = settings.maxClients >= 1024 ? 16 : 1
        shards = (0..<count).map { _ in Locked([:]) }
        perShard = max(1, settings.maxClients / count)
        self.now = now
    }

    /// Takes a token for `client`: nil if the request may go on, otherwise the seconds until one is due.
    public func take(_ client: String) -> Double? {
        let time = now()
        let shard = shards[Int(UInt(bitPattern: client.hashValue) % UInt(shards.count))]
        let wait: Double? = shard.withLock { buckets in
            var bucket = buckets[client] ?? Bucket(tokens: settings.burst, updatedMicroseconds: time)
            if buckets[client] == nil, buckets.count >= perShard { forgetSome(&buckets, at: time) }
            bucket.tokens = min(settings.burst, bucket.tokens + refill(since: bucket.updatedMicroseconds, at: time))
            bucket.updatedMicroseconds = time
            guard bucket.tokens >= 1 else {
                buckets[client] = bucket
                return (1 - bucket.tokens) / settings.perSecond
            }
            bucket.tokens -= 1
            buckets[client] = bucket
            return nil
        }
        if wait != nil { limited.withLock { $0 += 1 } }
        return wait
    }

    /// Clients remembered now, and requests refused so far.
    public var figures: (clients: Int, limited: UInt64) {
        (shards.reduce(0) { $0 + $1.withLock { $0.count } }, limited.withLock { $0 })
    }

    private func refill(since then: Int64, at time: Int64) -> Double {
        Double(max(0, time - then)) / 1_000_000 * settings.perSecond
    }

    /// Frees an eighth of a full shard at least: first the buckets that are full again, then arbitrary ones, so the
    /// next arrivals find room without another sweep.
    private func forgetSome(_ buckets: inout [String: Bucket], at time: Int64) {
        buckets = buckets.filter { $0.value.tokens + refill(since: $0.value.updatedMicroseconds, at: time) < settings.burst }
        let target = perShard - max(1, perShard / 8)
        while buckets.count > target { buckets.remove(at: buckets.startIndex) }
    }
}
