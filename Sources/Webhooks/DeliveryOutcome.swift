/// What one delivery attempt came to: delivered when the receiver answered 2xx, failed otherwise.
public struct DeliveryOutcome: Sendable, Equatable, CustomStringConvertible {
    /// The receiver's status, if it answered at all.
    public let status: Int?
    /// A few words for the log: the status, or why there was none.
    public let reason: String
    /// From the start of the attempt to its end.
    public let elapsed: Duration

    public init(status: Int?, reason: String, elapsed: Duration) {
        self.status = status
        self.reason = reason
        self.elapsed = elapsed
    }

    public var isDelivered: Bool { status.map { (200...299).contains($0) } ?? false }

    public var description: String {
        "\(isDelivered ? "delivered" : "failed"): \(reason), after \(elapsed)"
    }
}
