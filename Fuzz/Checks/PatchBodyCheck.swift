import CapacityAPI
import FileStore
import Scaling

/// A PATCH body from the network: it is refused with a client error, or it is accepted in some mode and the
/// dimension it produces is one the store can write and read back unchanged. A value that could be acknowledged
/// but not recovered after a restart (NaN, a huge reason, a string that does not survive JSON) fails here.
public enum PatchBodyCheck {
    static let start = Dimension(id: try! DimensionID("fuzz"), version: "MyVersion", resourceName: "MyService",
                                 dimensionName: "MyDimension", actualCapacity: 1, desiredCapacity: 1,
                                 scalingStatus: .successful, failureReason: "earlier")

    public static func run(_ input: [UInt8]) {
        let update: DimensionUpdate
        do {
            update = try UpdateDecoder.decode(input)
        } catch {
            switch error {
            case .invalidUpdate, .unknownFields: return
            default: preconditionFailure("decoding a body failed with \(error), not a client error")
            }
        }
        for mode in ScalingMode.allCases {
            do {
                try update.validate(in: mode)
            } catch {
                switch error {
                case .invalidUpdate, .operatorFieldsNotAllowed: continue
                default: preconditionFailure("validation failed with \(error), not a client error")
                }
            }
            let after = ScalingMachine.apply(update, to: start)
            precondition(after.id == start.id, "an update changed the id")
            precondition(after.desiredCapacity.isFinite && after.desiredCapacity >= 0, "desired \(after.desiredCapacity)")
            precondition(after.actualCapacity.isFinite && after.actualCapacity >= 0, "actual \(after.actualCapacity)")
            precondition((after.failureReason?.utf8.count ?? 0) <= DimensionUpdate.maxFailureReasonLength, "reason too long")
            StoreRecoveryCheck.checkRoundTrip(.dimension(after))
            StoreRecoveryCheck.checkRoundTrip(.dimension(ScalingMachine.observe(after, mode: mode)))
        }
    }
}
