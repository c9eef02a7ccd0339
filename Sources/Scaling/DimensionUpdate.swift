/// The fields a PATCH may carry. AWS sends only `desiredCapacity`; the operator fields report what the real
/// scaling system did and are accepted only in production mode.
public struct DimensionUpdate: Sendable, Equatable {
    public var desiredCapacity: Double?
    public var actualCapacity: Double?
    public var scalingStatus: ScalingStatus?
    /// `.some(nil)` clears the reason (`"failureReason": null`); nil leaves it alone.
    public var failureReason: String??

    public static let fieldNames: Set<String> = ["desiredCapacity", "actualCapacity", "scalingStatus", "failureReason"]
    public static let operatorFieldNames = ["actualCapacity", "scalingStatus", "failureReason"]
    /// A failure reason is free text from an operator; it is bounded so a dimension's record stays small.
    public static let maxFailureReasonLength = 1024
    /// Application Auto Scaling's capacities are 32-bit integers (`MaxCapacity` at most 2,147,483,647), so nothing
    /// legitimate is larger; `--max-capacity` may lower the bound.
    public static let defaultMaxCapacity: Double = 2_147_483_647

    public init(desiredCapacity: Double? = nil, actualCapacity: Double? = nil, scalingStatus: ScalingStatus? = nil,
                failureReason: String?? = nil) {
        self.desiredCapacity = desiredCapacity
        self.actualCapacity = actualCapacity
        self.scalingStatus = scalingStatus
        self.failureReason = failureReason
    }

    /// The operator fields this update carries, in a stable order.
    public var operatorFields: [String] {
        var fields: [String] = []
        if actualCapacity != nil { fields.append("actualCapacity") }
        if scalingStatus != nil { fields.append("scalingStatus") }
        if failureReason != nil { fields.append("failureReason") }
        return fields
    }

    /// Checks the values and the mode's rules; nothing is written unless this passes.
    public func validate(in mode: ScalingMode, maxCapacity: Double = defaultMaxCapacity) throws(ScalingError) {
        guard desiredCapacity != nil || !operatorFields.isEmpty else {
            throw .invalidUpdate("The body must set at least one of desiredCapacity, actualCapacity, scalingStatus, failureReason")
        }
        if mode != .production, !operatorFields.isEmpty {
            throw .operatorFieldsNotAllowed(fields: operatorFields, mode: mode)
        }
        try Self.checkCapacity(desiredCapacity, name: "desiredCapacity", maxCapacity: maxCapacity)
        try Self.checkCapacity(actualCapacity, name: "actualCapacity", maxCapacity: maxCapacity)
        if case .some(.some(let reason)) = failureReason {
            if reason.utf8.count > Self.maxFailureReasonLength {
                throw .invalidUpdate("failureReason must be at most \(Self.maxFailureReasonLength) bytes")
            }
            try Dimension.checkText(reason, name: "failureReason")
        }
    }

    /// A capacity is a finite number in `[0, maxCapacity]`; the message names the field and the bound.
    public static func checkCapacity(_ value: Double?, name: String, maxCapacity: Double) throws(ScalingError) {
        guard let value else { return }
        guard value.isFinite, value >= 0 else { throw .invalidUpdate("\(name) must be a finite number >= 0") }
        guard value <= maxCapacity else { throw .invalidUpdate("\(name) must be at most \(describe(maxCapacity))") }
    }

    /// `2147483647`, not `2147483647.0`: a whole bound reads as the integer it is.
    public static func describe(_ bound: Double) -> String {
        bound == bound.rounded() && abs(bound) < 1e15 ? String(Int64(bound)) : String(bound)
    }
}
