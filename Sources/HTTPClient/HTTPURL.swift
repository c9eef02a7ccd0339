/// An `http` or `https` URL as a client connects to it: scheme, host, port, and the path and query it asks
/// for. No user information (credentials do not belong in a URL that is configured and logged), no fragment
/// (never sent), visible ASCII only.
public struct HTTPURL: Sendable, Equatable, CustomStringConvertible {
    public enum Scheme: String, Sendable {
        case http, https

        var defaultPort: Int { self == .https ? 443 : 80 }
    }

    public let scheme: Scheme
    /// An IPv6 address without its brackets.
    public let host: String
    public let port: Int
    public let pathAndQuery: String
    /// The URL as given.
    public let description: String

    public init(_ text: String) throws(HTTPURLError) {
        guard text.utf8.count <= 2048, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }),
              let separator = text.firstRange(of: "://"), let scheme = Scheme(rawValue: text[..<separator.lowerBound].lowercased()) else {
            throw .notHTTP
        }
        let rest = text[separator.upperBound...]
        let slash = rest.firstIndex { (character: Character) in "/?#".contains(character) } ?? rest.endIndex
        let authority = rest[..<slash]
        let path = rest[slash...].prefix { $0 != "#" }
        pathAndQuery = path.hasPrefix("/") ? String(path) : "/" + path
        guard !authority.contains("@") else { throw .badHost }
        var hostPart = Substring(authority)
        var port = scheme.defaultPort
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else {
                throw .badPort
            }
            port = number
            hostPart = authority[..<colon]
        }
        if hostPart.hasPrefix("[") && hostPart.hasSuffix("]") { hostPart = hostPart.dropFirst().dropLast() }
        guard !hostPart.isEmpty else { throw .badHost }
        self.scheme = scheme
        host = String(hostPart)
        self.port = port
        description = text
    }

    /// The `Host` field: the port only when it is not the scheme's, an IPv6 address in brackets.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == scheme.defaultPort ? name : "\(name):\(port)"
    }
}

public enum HTTPURLError: Error, Equatable, Sendable, CustomStringConvertible {
    case notHTTP
    case badPort
    case badHost

    public var description: String {
        switch self {
        case .notHTTP: "not an http or https URL"
        case .badPort: "the port is not a number from 1 to 65535"
        case .badHost: "the host is missing or holds user information"
        }
    }
}
