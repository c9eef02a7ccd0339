/// Why a blocking exchange got no usable answer; each caller words it for its own log.
public enum HTTPClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No connection: the name did not resolve, no address accepted one or was admitted, or TLS failed.
    case unreachable(String)
    /// Connected, then a read or write failed (the peer reset or closed mid-request).
    case failed(String)
    /// A connection kept from an earlier exchange failed before any byte of this one's answer: the write failed,
    /// or the server closed or reset it. It may have closed it as idle while the request was on its way (RFC 9112
    /// §9.3.1), so the request may not have been seen; whether to send it again is the caller's business.
    case staleConnection(String)
    /// The deadline passed before the answer was whole.
    case timedOut
    /// The answer is not HTTP/1.1 as the parser knows it.
    case badAnswer(String)
    /// The answer was longer than this many bytes; the connection was closed without reading the rest.
    case tooLarge(Int)

    public var description: String {
        switch self {
        case .unreachable(let reason), .failed(let reason), .badAnswer(let reason): reason
        case .staleConnection(let reason): "a kept connection was closed: \(reason)"
        case .timedOut: "no answer in time"
        case .tooLarge(let limit): "the answer is larger than \(limit) bytes"
        }
    }
}
