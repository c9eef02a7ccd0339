import HTTP1

/// Routes by method and path to a value that names the route (an enum of the application's). A path pattern is a literal path or a prefix ending in `/*`, whose remainder (one
/// non-empty segment, no further `/`) is passed to the handler. Unknown paths get 404; a known path with another
/// method gets 405 with `Allow` (RFC 9110 §15.5.6); HEAD is served by every GET route (RFC 9110 §9.3.2).
public struct Router<Target: Sendable>: Sendable {
    private struct Route: Sendable {
        let method: HTTPMethod
        let target: Target
    }

    private var exact: [String: [Route]] = [:]
    private var prefixes: [(prefix: String, routes: [Route])] = []

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
        } else {
            exact[pattern, default: []].append(route)
        }
    }

    public enum Match {
        case found(Target, parameter: Substring)
        case methodNotAllowed(allow: String)
        case notFound
    }

    public func match(method: HTTPMethod, path: Substring) -> Match {
        if let routes = exact[String(path)] { return select(routes, method: method, parameter: "") }
        for entry in prefixes where path.hasPrefix(entry.prefix) {
            let parameter = path.dropFirst(entry.prefix.count)
            guard !parameter.isEmpty, !parameter.contains("/") else { continue }
            return select(entry.routes, method: method, parameter: parameter)
        }
        return .notFound
    }

    private func select(_ routes: [Route], method: HTTPMethod, parameter: Substring) -> Match {
        let lookup = method == .head ? HTTPMethod.get : method
        if let route = routes.first(where: { $0.method == lookup }) { return .found(route.target, parameter: parameter) }
        var allowed = routes.map(\.method.name)
        if allowed.contains("GET") { allowed.insert("HEAD", at: allowed.firstIndex(of: "GET")! + 1) }
        return .methodNotAllowed(allow: allowed.joined(separator: ", "))
    }
}
