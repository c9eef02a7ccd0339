/// A request method (RFC 9110 §9). The methods RFC 9110 defines plus PATCH (RFC 5789) are named; any other
/// token is `.other`. Every method reaches the router, which answers a method a path does not have with 405 and
/// `Allow` (also for tokens it has never heard of, like QUERY: what a client needs to know is what it may use).
public enum HTTPMethod: Equatable, Hashable, Sendable {
    case get, head, post, put, delete, connect, options, trace, patch
    case other(String)

    init(token: UnsafeBufferPointer<UInt8>) {
        switch token.count {
        case 3:
            if ASCII.equal(token, "GET") { self = .get; return }
            if ASCII.equal(token, "PUT") { self = .put; return }
        case 4:
            if ASCII.equal(token, "HEAD") { self = .head; return }
            if ASCII.equal(token, "POST") { self = .post; return }
        case 5:
            if ASCII.equal(token, "PATCH") { self = .patch; return }
            if ASCII.equal(token, "TRACE") { self = .trace; return }
        case 6:
            if ASCII.equal(token, "DELETE") { self = .delete; return }
        case 7:
            if ASCII.equal(token, "CONNECT") { self = .connect; return }
            if ASCII.equal(token, "OPTIONS") { self = .options; return }
        default:
            break
        }
        self = .other(String(decoding: token, as: UTF8.self))
    }

    /// The method called `name`, as a client writes it in its request line.
    public init(_ name: String) {
        var name = name
        self = name.withUTF8 { HTTPMethod(token: $0) }
    }

    public var name: String {
        switch self {
        case .get: "GET"
        case .head: "HEAD"
        case .post: "POST"
        case .put: "PUT"
        case .delete: "DELETE"
        case .connect: "CONNECT"
        case .options: "OPTIONS"
        case .trace: "TRACE"
        case .patch: "PATCH"
        case .other(let token): token
        }
    }
}

/// HTTP/1.0 or HTTP/1.1: the only versions this parser accepts (others are 505).
public enum HTTPVersion: Sendable, Equatable {
    case http1_0, http1_1

    public var text: String { self == .http1_0 ? "HTTP/1.0" : "HTTP/1.1" }
}
