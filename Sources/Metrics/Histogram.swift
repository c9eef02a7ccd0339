/// A Prometheus histogram: counts per upper bound (cumulative when rendered), a sum and a count.
public struct Histogram: Sendable {
    public let bounds: [Double]
    /// Observations per bucket, not cumulative; the last slot is +Inf.
    public private(set) var counts: [UInt64]
    public private(set) var sum: Double = 0
    public private(set) var count: UInt64 = 0

    /// Latency buckets in seconds, from 100 µs (a keep-alive GET) to 2.5 s (a stalled disk).
    public static let latencyBounds: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                 0.1, 0.25, 0.5, 1, 2.5]

    public init(bounds: [Double] = Histogram.latencyBounds) {
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count + 1)
    }

    public mutating func observe(_ value: Double) {
        var index = 0
        while index < bounds.count && value > bounds[index] { index += 1 }
        counts[index] += 1
        sum += value
        count += 1
    }
}
