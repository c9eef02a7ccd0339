/// How the body of a request is delimited (RFC 9112 §6.3).
public enum BodyFraming: Sendable, Equatable {
    case none
    case length(Int)
    case chunked
}

/// A request line and its header fields, validated.
public struct RequestHead: Sendable {
    public var method: HTTPMethod
    /// The request-target exactly as sent (origin-form, absolute-form or "*").
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var framing: BodyFraming
    /// Whether the connection may carry another request after this one (RFC 9112 §9.3).
    public var keepAlive: Bool
    /// `Expect: 100-continue` was sent (RFC 9110 §10.1.1).
    public var expectsContinue: Bool

    /// The path of the target, without the query: origin-form as is, absolute-form without scheme and authority.
    public var path: Substring {
        // Byte-wise: the target is ASCII (the parser admits nothing else), and Character-wise indexing is slow.
        var rest = Substring(target).utf8
        if rest.first != UInt8(ascii: "/") {
            guard let schemeEnd = Substring(rest).firstRange(of: "://") else { return Substring(rest) }
            rest = rest[schemeEnd.upperBound...]
            guard let slash = rest.firstIndex(of: UInt8(ascii: "/")) else { return "/" }
            rest = rest[slash...]
        }
        if let query = rest.firstIndex(of: UInt8(ascii: "?")) { rest = rest[..<query] }
        return Substring(rest)
    }
}

/// A complete request: head and decoded body.
public struct HTTPRequest: Sendable {
    public var head: RequestHead
    public var body: [UInt8]

    public init(head: RequestHead, body: [UInt8]) {
        self.head = head
        self.body = body
    }
}
