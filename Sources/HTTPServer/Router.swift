import HTTP1

/// Routes by method and path to a value that names the route (an enum of the application's). A pattern is a
/// literal path or a prefix ending in `/*`, whose remainder (one non-empty segment, no further `/`) comes back as
/// the match's parameter. Unknown paths get 404; a known path with another method gets 405 with `Allow`
/// (RFC 9110 §15.5.6); HEAD is served by every GET route (RFC 9110 §9.3.2). Inlinable, so that it is specialized
/// for the application's route type instead of going through generic metadata on every request.
public struct Router<Target: Sendable>: Sendable {
    @usableFromInline
    struct Route: Sendable {
        @usableFromInline let method: HTTPMethod
        @usableFromInline let target: Target
    }

    @usableFromInline var exact: [(path: String, routes: [Route])] = []
    @usableFromInline var prefixes: [(prefix: String, routes: [Route])] = []

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ target: Target) {
        let route = Route(method: method, target: target)
        if pattern.hasSuffix("/*") {
            let prefix = String(pattern.dropLast())
            if let index = prefixes.firstIndex(where: { $0.prefix == prefix }) {
                prefixes[index].routes.append(route)
            } else {
                prefixes.append((prefix, [route]))
            }
        } else if let index = exact.firstIndex(where: { $0.path == pattern }) {
            exact[index].routes.append(route)
        } else {
            exact.append((pattern, [route]))
        }
    }

    public enum Match {
        case found(Target, parameter: Substring)
        case methodNotAllowed(allow: String)
        case notFound
    }

    /// A linear scan with byte comparisons: for a handful of routes it beats hashing the path.
    @inlinable
    public func match(method: HTTPMethod, path: Substring) -> Match {
        let bytes = path.utf8
        for entry in exact where bytes.elementsEqual(entry.path.utf8) {
            return select(entry.routes, method: method, parameter: "")
        }
        for entry in prefixes where bytes.starts(with: entry.prefix.utf8) {
            let parameter = bytes.dropFirst(entry.prefix.utf8.count)
            guard !parameter.isEmpty, !parameter.contains(UInt8(ascii: "/")) else { continue }
            return select(entry.routes, method: method, parameter: Substring(parameter))
        }
        return .notFound
    }

    @inlinable
    func select(_ routes: [Route], method: HTTPMethod, parameter: Substring) -> Match {
        let lookup = method == .head ? HTTPMethod.get : method
        for route in routes where route.method == lookup { return .found(route.target, parameter: parameter) }
        var allowed = routes.map(\.method.name)
        if let get = allowed.firstIndex(of: "GET") { allowed.insert("HEAD", at: get + 1) }
        return .methodNotAllowed(allow: allowed.joined(separator: ", "))
    }
}
