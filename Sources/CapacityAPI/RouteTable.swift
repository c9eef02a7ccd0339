import HTTP1
import HTTPServer

/// The routes one listener serves, and how a request finds its route: an unknown path is 404, a known path with
/// another method 405 with `Allow` (RFC 9110 §15.5.6), and HEAD is served by every GET route (RFC 9110 §9.3.2).
/// The listener's policies (the HTTPS redirect) run first, for every request, found or not, but routes that opt
/// out; a route's own policies run once its method matched.
public struct RouteTable: Sendable {
    public let routes: [Route]
    let listenerPolicies: [any RequestPolicy]
    /// How a path finds its route, without the routes' handlers: what the metrics keep to label requests.
    public let paths: RoutePaths

    public init(_ routes: [Route], listenerPolicies: [any RequestPolicy] = []) {
        self.routes = routes
        self.listenerPolicies = listenerPolicies
        paths = RoutePaths(routes)
    }

    public func respond(to request: HTTPRequest, context: RequestContext) -> HTTPResponse? {
        let found = paths.route(of: request.head)
        // Which route served the request, for the metrics: they need not match the target again.
        if let found { context.setResponderTag(found.index) }
        if found.map({ routes[$0.index].listenerPoliciesApply }) ?? true,
           let refusal = Self.firstRefusal(listenerPolicies, request, context) {
            return refusal
        }
        guard let (index, parameter) = found else {
            return APIError.response(status: .notFound, message: "No such resource: \(request.head.path)")
        }
        // By index, not `let route = routes[index]`: a copy of the route would retain and release its every field.
        let method = request.head.method == .head ? HTTPMethod.get : request.head.method
        guard let operation = routes[index].operations.first(where: { $0.method == method }) else {
            var allowed = routes[index].operations.map(\.method.name)
            if let get = allowed.firstIndex(of: "GET") { allowed.insert("HEAD", at: get + 1) }
            return APIError.response(status: .methodNotAllowed, message: "Method \(request.head.method.name) is not allowed here",
                                     headers: [("Allow", allowed.joined(separator: ", "))])
        }
        if !routes[index].policies.isEmpty, let refusal = Self.firstRefusal(routes[index].policies, request, context) {
            return refusal
        }
        return operation.handler(request, parameter, context)
    }

    private static func firstRefusal(_ policies: [any RequestPolicy], _ request: HTTPRequest,
                                     _ context: RequestContext) -> HTTPResponse? {
        for policy in policies {
            if let refusal = policy.check(request, context: context) { return refusal }
        }
        return nil
    }
}
