/// Everything that can go wrong with a dimension request, as typed values. The HTTP layer maps each case to one
/// status in one place; the domain knows nothing of HTTP.
public enum ScalingError: Error, Equatable, Sendable {
    /// The id in the path is not a valid dimension id.
    case invalidID(String)
    /// The update body is not acceptable (not an object, wrong type, out of range).
    case invalidUpdate(String)
    /// The update body names fields this API does not have.
    case unknownFields([String])
    /// Operator fields were sent while the mode lets only AWS's desiredCapacity in.
    case operatorFieldsNotAllowed(fields: [String], mode: ScalingMode)
    /// Operator fields (or an administrator's request) were sent without a key, and the server requires one.
    case operatorKeyMissing
    /// Operator fields were sent with a key the server does not know.
    case operatorKeyRejected
    /// An administrator asked to create a dimension that exists.
    case alreadyExists(DimensionID)
    /// A request's `If-Match` or `If-None-Match` does not hold for the dimension (at `revision`, or nil when it
    /// does not exist); nothing changed.
    case preconditionFailed(DimensionID, revision: UInt64?)
    /// No such dimension, and auto-creation is off.
    case notFound(DimensionID)
    /// The store failed; nothing changed.
    case store(StoreError)

    public var message: String {
        switch self {
        case .invalidID(let reason): reason
        case .invalidUpdate(let reason): reason
        case .unknownFields(let fields):
            "Unknown field\(fields.count == 1 ? "" : "s"): \(fields.joined(separator: ", "))"
        case .operatorFieldsNotAllowed(let fields, let mode):
            "\(fields.joined(separator: ", ")) can only be set in production mode (this server runs in \(mode.rawValue) mode)"
        case .operatorKeyMissing:
            "This request needs an API key (x-api-key or Authorization: Bearer): it sets operator fields or administers dimensions"
        case .operatorKeyRejected: "The API key is not valid"
        case .alreadyExists(let id): "Dimension \(id.value) already exists"
        case .preconditionFailed(let id, let revision?):
            "Dimension \(id.value) is at revision \(revision) (ETag \"\(revision)\"), which the request's precondition does not allow; nothing changed"
        case .preconditionFailed(let id, nil):
            "Dimension \(id.value) does not exist, which the request's precondition does not allow; nothing changed"
        case .notFound(let id): "Dimension \(id.value) does not exist"
        case .store(let error): error.message
        }
    }
}
