/// Why a request was refused before it reached a route. Each case maps to one status; after any of them the
/// connection is closed, because the framing of whatever follows can no longer be trusted.
public enum HTTPParseError: Error, Equatable, Sendable {
    /// Malformed syntax or ambiguous framing (RFC 9112 §§2–7).
    case badRequest(String)
    /// The request line is longer than `ParserLimits.maxRequestLineBytes`.
    case uriTooLong
    /// The header section has more bytes or fields than the limits allow.
    case headerFieldsTooLarge
    /// The declared or received body is larger than `ParserLimits.maxBodyBytes`.
    case contentTooLarge
    /// An HTTP version other than 1.0 or 1.1.
    case versionNotSupported
    /// An `Expect` other than `100-continue` (RFC 9110 §10.1.1).
    case expectationFailed

    public var status: HTTPStatus {
        switch self {
        case .badRequest: .badRequest
        case .uriTooLong: .uriTooLong
        case .headerFieldsTooLarge: .requestHeaderFieldsTooLarge
        case .contentTooLarge: .contentTooLarge
        case .versionNotSupported: .httpVersionNotSupported
        case .expectationFailed: .expectationFailed
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let reason): "Bad request: \(reason)"
        case .uriTooLong: "The request line is too long"
        case .headerFieldsTooLarge: "The request header fields are too large"
        case .contentTooLarge: "The request body is too large"
        case .versionNotSupported: "Only HTTP/1.0 and HTTP/1.1 are supported"
        case .expectationFailed: "Only the expectation 100-continue is supported"
        }
    }
}

/// Bounds on a message: on what a client may send, each enforced by `RequestParser` with its own status, and on
/// what a server may answer, enforced by `ResponseParser`.
public struct ParserLimits: Sendable, Equatable {
    /// Longest request line (or a response's status line), CRLF excluded (414 past it).
    public var maxRequestLineBytes: Int
    /// Most bytes in all header field lines together, their CRLFs included, the blank line not (431 past it).
    public var maxHeaderBytes: Int
    /// Most header fields (431 past it).
    public var maxHeaderCount: Int
    /// Largest body, after chunked decoding (413 past it).
    public var maxBodyBytes: Int

    public init(maxRequestLineBytes: Int = 8192, maxHeaderBytes: Int = 16384, maxHeaderCount: Int = 64,
                maxBodyBytes: Int = 65536) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}
