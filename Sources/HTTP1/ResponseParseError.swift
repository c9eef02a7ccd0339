/// Why a response was refused. After any of them the connection is closed: where its next message would start
/// can no longer be known.
public enum ResponseParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not HTTP/1.x syntax, or framing that two parties could read differently (RFC 9112 §§4–7).
    case malformed(String)
    /// The status line is longer than `ParserLimits.maxRequestLineBytes`, or the header section has more bytes or
    /// fields than the limits allow.
    case headTooLarge
    /// The declared or received body is larger than `ParserLimits.maxBodyBytes`.
    case bodyTooLarge
    /// The server closed the connection before the response was complete.
    case truncated

    /// The head scan, the field syntax and the chunked decoder are shared with the request parser, and speak its
    /// errors.
    init(_ error: HTTPParseError) {
        switch error {
        case .badRequest(let reason): self = .malformed(reason)
        case .uriTooLong, .headerFieldsTooLarge: self = .headTooLarge
        case .contentTooLarge: self = .bodyTooLarge
        case .versionNotSupported, .expectationFailed: self = .malformed(error.message)
        }
    }

    public var description: String {
        switch self {
        case .malformed(let reason): "malformed HTTP response: \(reason)"
        case .headTooLarge: "the response head is too large"
        case .bodyTooLarge: "the response body is too large"
        case .truncated: "the response was cut short"
        }
    }
}
