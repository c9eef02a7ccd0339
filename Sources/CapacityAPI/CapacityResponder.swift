import HTTP1
import HTTPServer

/// A listener's routes seen from the engine: every request goes through the table, every error the engine
/// makes itself (parse errors, timeouts, overload) gets the API's one error shape.
public final class CapacityResponder: HTTPResponder {
    public let table: RouteTable

    public init(_ table: RouteTable) {
        self.table = table
    }

    public func respond(to request: HTTPRequest, context: RequestContext) -> HTTPResponse? {
        table.respond(to: request, context: context)
    }

    public func errorResponse(status: HTTPStatus, message: String) -> HTTPResponse {
        APIError.response(status: status, message: message)
    }
}
