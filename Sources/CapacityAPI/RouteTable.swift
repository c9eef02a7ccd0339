import HTTP1
import HTTPServer

/// The routes one listener serves, and how a request finds its route: an unknown path is 404, a known path with
/// another method 405 with `Allow` (RFC 9110 §15.5.6), and HEAD is served by every GET route (RFC 9110 §9.3.2).
/// The listener's policies (the HTTPS redirect) run first, for every request, found or not, but routes that opt
/// out; a route's own policies run once its method matched.
public struct RouteTable: Sendable {
    public let routes: [Route]
    let listenerPolicies: [any RequestPolicy]

    public init(_ routes: [Route], listenerPolicies: [any RequestPolicy] = []) {
        self.routes = routes
        self.listenerPolicies = listenerPolicies
    }

    public func respond(to request: HTTPRequest, context: RequestContext) -> HTTPResponse? {
        let head = request.head
        let found = routeIndex(ofPath: head.path)
        if found.map({ routes[$0.index].listenerPoliciesApply }) ?? true,
           let refusal = Self.firstRefusal(listenerPolicies, request, context) {
            return refusal
        }
        guard let (index, parameter) = found else {
            return APIError.response(status: .notFound, message: "No such resource: \(head.path)")
        }
        let route = routes[index]
        let method = head.method == .head ? HTTPMethod.get : head.method
        guard let operation = route.operations.first(where: { $0.method == method }) else {
            var allowed = route.operations.map(\.method.name)
            if let get = allowed.firstIndex(of: "GET") { allowed.insert("HEAD", at: get + 1) }
            return APIError.response(status: .methodNotAllowed, message: "Method \(head.method.name) is not allowed here",
                                     headers: [("Allow", allowed.joined(separator: ", "))])
        }
        if let refusal = Self.firstRefusal(route.policies, request, context) { return refusal }
        return operation.handler(request, parameter, context)
    }

    /// The route whose pattern matches `path`, and its parameter. A linear scan with byte comparisons: for a
    /// handful of routes it beats hashing the path.
    func routeIndex(ofPath path: Substring) -> (index: Int, parameter: Substring)? {
        for index in routes.indices {
            if let parameter = routes[index].match(path) { return (index, parameter) }
        }
        return nil
    }

    /// The pattern of the route a request target (path and query) went to, or nil for none: the metrics label.
    public func pattern(ofTarget target: String) -> String? {
        let path = target.utf8.firstIndex(of: UInt8(ascii: "?")).map { target[..<$0] } ?? target[...]
        return routeIndex(ofPath: path).map { routes[$0.index].pattern }
    }

    private static func firstRefusal(_ policies: [any RequestPolicy], _ request: HTTPRequest,
                                     _ context: RequestContext) -> HTTPResponse? {
        for policy in policies {
            if let refusal = policy.check(request, context: context) { return refusal }
        }
        return nil
    }
}
