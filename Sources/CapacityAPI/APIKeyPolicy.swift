import HTTP1
import HTTPServer

/// The administrator's routes exist only with `--api-keys` (404 without, as if they were not there), and every
/// request to them needs a key.
public struct APIKeyPolicy: RequestPolicy {
    let keys: APIKeys?

    public init(keys: APIKeys?) {
        self.keys = keys
    }

    public func check(_ request: HTTPRequest, context: RequestContext) -> HTTPResponse? {
        guard let keys else {
            return APIError.response(status: .notFound, message: "No such resource: \(request.head.path)")
        }
        do {
            try keys.authorize(request.head)
            return nil
        } catch {
            return APIError.response(for: error)
        }
    }
}
