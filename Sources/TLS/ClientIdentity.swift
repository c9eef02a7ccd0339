/// A client that proved itself with a certificate the server verified against its trust file.
public struct ClientIdentity: Sendable, Equatable {
    /// RFC 2253 subject, e.g. `CN=ApiGatewayClientCertificate`.
    public let subject: String
    /// SHA-256 fingerprint of the client's certificate, colon-separated upper-case hex.
    public let fingerprint: String
}
