/// A response as a client received it: status, fields and the decoded body. The reason phrase is not kept: a
/// client ignores it (RFC 9112 §4).
public struct ReceivedResponse: Sendable {
    public let version: HTTPVersion
    public let status: Int
    public let headers: HTTPHeaders
    public internal(set) var body: [UInt8] = []
}
