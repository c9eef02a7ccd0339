import HTTP1
import HTTPServer

/// Answers one method of a route: the request, the path parameter (empty for a literal path) and the connection's
/// facts. Runs on an event loop: a handler that waits defers its response (`context.deferResponse()`) and
/// returns nil.
public typealias RouteHandler = @Sendable (HTTPRequest, Substring, RequestContext) -> HTTPResponse?

/// One route, declared once: its path pattern, its methods with their OpenAPI operations and handlers, and the
/// policies that guard it. Routing, the metrics label and `/openapi.json` all read this declaration, so a route
/// cannot be served without being counted and documented.
public struct Route: Sendable {
    public struct Operation: Sendable {
        let method: HTTPMethod
        /// The OpenAPI 3.0 operation object, as JSON text.
        let openAPI: String
        var handler: RouteHandler

        public init(_ method: HTTPMethod, openAPI: String, handler: @escaping RouteHandler) {
            self.method = method
            self.openAPI = openAPI
            self.handler = handler
        }
    }

    /// The path parameter of a pattern such as `/v1/scalableTargetDimensions/{id}`: its name in the OpenAPI
    /// document and the JSON of its declaration there.
    public struct Parameter: Sendable {
        let name: String
        let schema: String

        public init(name: String, schema: String) {
            self.name = name
            self.schema = schema
        }
    }

    /// `/time`, or a prefix and one parameter segment (`/v1/scalableTargetDimensions/{id}`: one non-empty segment,
    /// no further `/`). Also the route's metrics label: a pattern, never a raw path, so a scanner cannot make the
    /// label set grow.
    public let pattern: String
    let parameter: Parameter?
    var operations: [Operation]
    /// Checked after the method matched, before the handler (client certificate, API key).
    let policies: [any RequestPolicy]
    /// Whether the listener's own policies (the HTTPS redirect) apply; an ACME challenge must be answered over
    /// plain HTTP, and so must a health probe, so their routes opt out.
    let listenerPoliciesApply: Bool
    /// For a pattern with a parameter, everything before it (`/v1/scalableTargetDimensions/`).
    let prefix: String?

    public init(_ pattern: String, parameter: Parameter? = nil, policies: [any RequestPolicy] = [],
                listenerPoliciesApply: Bool = true, _ operations: [Operation]) {
        self.pattern = pattern
        self.parameter = parameter
        self.operations = operations
        self.policies = policies
        self.listenerPoliciesApply = listenerPoliciesApply
        if pattern.hasSuffix("}"), let open = pattern.lastIndex(of: "{") {
            prefix = String(pattern[..<open])
        } else {
            prefix = nil
        }
    }

    /// The path as OpenAPI writes it: the parameter under its documented name.
    var openAPIPath: String {
        guard let prefix, let parameter else { return pattern }
        return prefix + "{" + parameter.name + "}"
    }
}

/// A rule checked before a handler runs: nil lets the request through, a response refuses it.
public protocol RequestPolicy: Sendable {
    func check(_ request: HTTPRequest, context: RequestContext) -> HTTPResponse?
}
