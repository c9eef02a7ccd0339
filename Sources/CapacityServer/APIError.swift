import HTTP1
import JSON
import Scaling

/// The one place where errors become HTTP: every error response is `{"message": "..."}` with its status.
enum APIError {
    static func status(for error: ScalingError) -> HTTPStatus {
        switch error {
        case .invalidID, .invalidUpdate, .unknownFields, .operatorFieldsNotAllowed: .badRequest
        case .notFound: .notFound
        case .storeUnavailable: .serviceUnavailable
        }
    }

    static func response(for error: ScalingError) -> HTTPResponse {
        response(status: status(for: error), message: error.message)
    }

    static func response(status: HTTPStatus, message: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        var body: [UInt8] = Array("{\"message\": ".utf8)
        JSONWriter.appendString(message, to: &body)
        body.append(UInt8(ascii: "}"))
        return HTTPResponse(status: status, headers: [JSONContent.header] + headers, body: body)
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
