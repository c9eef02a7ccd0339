/// How a store operation fails, whatever the store (a file here, a database elsewhere).
public enum StoreError: Error, Equatable, Sendable {
    /// There is no such dimension (a deletion of an id that does not exist; reads answer nil instead).
    case notFound(DimensionID)
    /// The store could not be read, or could not make a change durable; nothing changed. The cause (a path, an
    /// errno, the database's words; never a credential) is for operators: the logs, `/readyz`, the commands that
    /// open a store. API clients get a fixed message without it (`APIError`).
    case unavailable(cause: String)

    /// What `unavailable` says without its cause: the whole of what an API client is told, and the start of what
    /// the logs record, so that the two read alike.
    public static let unavailableMessage = "The state store is unavailable"

    public var message: String {
        switch self {
        case .notFound(let id): "Dimension \(id.value) does not exist"
        case .unavailable(let cause): "\(Self.unavailableMessage): \(cause)"
        }
    }
}
