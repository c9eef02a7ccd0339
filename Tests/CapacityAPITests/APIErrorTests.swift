@testable import CapacityAPI
import HTTP1
import Scaling
import Testing

/// Each error as the client receives it: the status, the exact body and the headers; and what the access log
/// records. The store's failures carry causes from inside the server (a file's path, libpq's text with the
/// database's socket); those must reach the access log and never the body.
@Suite("API errors as HTTP")
struct APIErrorTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let error: ScalingError
        let status: Int
        let message: String
        let headers: [String: String]
        var testDescription: String { "\(status) \(message)" }
    }

    static let id = try! DimensionID("orders")
    /// What the PostgreSQL store reports once `pg_ctl stop -m fast` ended its sessions.
    static let libpqCause = "the database connection was lost: FATAL: terminating connection due to administrator command; "
        + "server closed the connection unexpectedly; This probably means the server terminated abnormally"
    /// What the PostgreSQL store reports while it cannot connect.
    static let unreachableCause = #"cannot connect to the database: connection to server on socket "/tmp/pg/.s.PGSQL.5432" failed: No such file or directory"#
    /// What the file store reports when a write cannot be made durable.
    static let fileCause = "could not write the state: fdatasync: Input/output error (errno 5)"

    static let rows: [Row] = [
        Row(error: .store(.unavailable(cause: libpqCause)), status: 503, message: "The state store is unavailable",
            headers: ["Retry-After": "1"]),
        Row(error: .store(.unavailable(cause: unreachableCause)), status: 503, message: "The state store is unavailable",
            headers: ["Retry-After": "1"]),
        Row(error: .store(.unavailable(cause: fileCause)), status: 503, message: "The state store is unavailable",
            headers: ["Retry-After": "1"]),
        Row(error: .store(.notFound(id)), status: 404, message: "Dimension orders does not exist", headers: [:]),
        Row(error: .notFound(id), status: 404, message: "Dimension orders does not exist", headers: [:]),
        Row(error: .alreadyExists(id), status: 409, message: "Dimension orders already exists", headers: [:]),
        Row(error: .invalidUpdate("desiredCapacity must be a number"), status: 400,
            message: "desiredCapacity must be a number", headers: [:]),
        Row(error: .operatorKeyMissing, status: 401,
            message: "This request needs an API key (x-api-key or Authorization: Bearer): it sets operator fields or administers dimensions",
            headers: ["WWW-Authenticate": "Bearer"]),
        Row(error: .operatorKeyRejected, status: 403, message: "The API key is not valid", headers: [:]),
    ]

    /// Fails if a status, body or header differs from the row, in particular if a store's cause shows in the body.
    @Test(arguments: rows)
    func theClientGetsTheStatusTheMessageAndTheHeaders(row: Row) throws {
        let response = APIError.response(for: row.error)
        #expect(response.status.code == row.status)
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(body == #"{"message": "\#(row.message)"}"#)
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name] = header.value }
        #expect(headers == row.headers.merging(["Content-Type": "application/json"]) { $1 })
    }

    /// Fails if the access log loses the cause that the body leaves out, records anything but the error's whole
    /// message, or, for a store's failure, does not begin with what the client read (an operator searches the
    /// log for the message a client reported).
    @Test(arguments: rows)
    func theAccessLogKeepsTheWholeError(row: Row) {
        let response = APIError.response(for: row.error)
        #expect(response.accessLogFields == [AccessLogField("error", .string(row.error.message))])
        if case .store(.unavailable(let cause)) = row.error {
            #expect(row.error.message == "\(row.message): \(cause)")
        }
    }
}
