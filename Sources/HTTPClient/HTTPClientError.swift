/// Why a blocking exchange got no usable answer; each caller words it for its own log.
public enum HTTPClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No connection: the name did not resolve, no address accepted one or was admitted, or TLS failed.
    case unreachable(String)
    /// Connected, then a read or write failed (the peer reset or closed mid-request).
    case failed(String)
    /// The deadline passed before the answer was whole.
    case timedOut
    /// The answer is not HTTP/1.1 as the parser knows it.
    case badAnswer(String)
    /// The answer was longer than this many bytes; the connection was closed without reading the rest.
    case tooLarge(Int)

    public var description: String {
        switch self {
        case .unreachable(let reason), .failed(let reason), .badAnswer(let reason): reason
        case .timedOut: "no answer in time"
        case .tooLarge(let limit): "the answer is larger than \(limit) bytes"
        }
    }
}
