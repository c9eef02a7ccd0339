/// A response as a client received it: status, fields and the decoded body. The reason phrase is not kept: a
/// client ignores it (RFC 9112 §4).
public struct ReceivedResponse: Sendable {
    public let version: HTTPVersion
    public let status: Int
    public let headers: HTTPHeaders
    /// Whether the connection may carry another request after this answer (RFC 9112 §9.3): not after one whose
    /// body ends with the connection, one with `Connection: close`, an HTTP/1.0 one without
    /// `Connection: keep-alive`, or a 101, after which the connection speaks another protocol.
    public let keepAlive: Bool
    public internal(set) var body: [UInt8] = []
}
