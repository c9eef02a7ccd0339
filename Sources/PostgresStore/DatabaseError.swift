/// How talking to PostgreSQL fails. Whether a change may have taken effect is what tells the cases apart, and
/// what decides the answer: nothing of an unknown outcome is retried or reported as done.
public enum DatabaseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No connection could be made (address, credentials, TLS, a timeout): nothing was sent.
    case connect(String)
    /// The connection broke, or the server stopped answering, after a statement was sent: it may or may not have
    /// committed.
    case lost(String)
    /// The server answered with an error (its SQLSTATE and message): the statement took no effect.
    case refused(sqlstate: String, message: String)

    public var description: String {
        switch self {
        case .connect(let message): "cannot connect to the database: \(message)"
        case .lost(let message): "the database connection was lost: \(message)"
        case .refused(let sqlstate, let message): "the database refused a statement: \(message) (SQLSTATE \(sqlstate))"
        }
    }
}
