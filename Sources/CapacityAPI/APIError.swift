import HTTP1
import JSON
import Scaling

/// The one place where errors become HTTP: every error response is `{"message": "..."}` with its status.
enum APIError {
    static func status(for error: ScalingError) -> HTTPStatus {
        switch error {
        case .invalidID, .invalidUpdate, .unknownFields, .operatorFieldsNotAllowed: .badRequest
        case .operatorKeyMissing: .unauthorized
        case .operatorKeyRejected: .forbidden
        case .notFound, .store(.notFound): .notFound
        case .alreadyExists: .conflict
        case .preconditionFailed: .preconditionFailed
        case .store(.unavailable): .serviceUnavailable
        }
    }

    /// The message the client reads: the error's own, but for the store's failures only the part before the cause.
    /// The cause names the store's insides (a file's path and errno, libpq's text with the database's socket or
    /// host), which are for the operator: the access log records it, and `/readyz` says why the store is not ready.
    static func message(for error: ScalingError) -> String {
        switch error {
        case .store(.unavailable): StoreError.unavailableMessage
        default: error.message
        }
    }

    static func response(for error: ScalingError) -> HTTPResponse {
        // RFC 9110 §11.6.1: a 401 names the scheme that would work; §10.2.3: a 503 says when to come back (the
        // store's trouble is usually brief: a reconnect, a failover), which Application Auto Scaling honours.
        let headers: [(name: String, value: String)] = switch error {
        case .operatorKeyMissing: [("WWW-Authenticate", "Bearer")]
        case .store(.unavailable): [("Retry-After", "1")]
        default: []
        }
        return response(status: status(for: error), message: message(for: error), headers: headers,
                        logged: error.message)
    }

    /// `logged`: what the access log records as the error, when it says more than the client may read.
    static func response(status: HTTPStatus, message: String, headers: [(name: String, value: String)] = [],
                         logged: String? = nil) -> HTTPResponse {
        var body: [UInt8] = Array("{\"message\": ".utf8)
        JSONWriter.appendString(message, to: &body)
        body.append(UInt8(ascii: "}"))
        var response = HTTPResponse(status: status, headers: [JSONContent.header] + headers, body: body)
        // The access log says why a request was refused; the transition log has only what was done.
        response.accessLogFields = [AccessLogField("error", .string(logged ?? message))]
        return response
    }
}

enum JSONContent {
    static let header = (name: "Content-Type", value: "application/json")
    /// Shared, so a response costs no header array of its own.
    static let headers = [header]

    static func response(_ body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: headers, body: body)
    }
}
