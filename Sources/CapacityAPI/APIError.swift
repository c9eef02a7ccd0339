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
        case .store(.unavailable): .serviceUnavailable
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
        return response(status: status(for: error), message: error.message, headers: headers)
    }

    static func response(status: HTTPStatus, message: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        var body: [UInt8] = Array("{\"message\": ".utf8)
        JSONWriter.appendString(message, to: &body)
        body.append(UInt8(ascii: "}"))
        var response = HTTPResponse(status: status, headers: [JSONContent.header] + headers, body: body)
        // The access log says why a request was refused; the transition log has only what was done.
        response.accessLogFields = [AccessLogField("error", .string(message))]
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
