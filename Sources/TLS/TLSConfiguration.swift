/// Where the certificates are and how clients must prove themselves; everything `--tls-*` and `--client-*` say.
public struct TLSConfiguration: Sendable, Equatable {
    public enum ClientCertificateMode: String, Sendable, CaseIterable {
        /// No client certificate is asked for.
        case off
        /// One is asked for; a client may send none, but one it sends must verify.
        case optional
        /// The handshake fails without a certificate that verifies.
        case required
    }

    /// PEM: the server certificate first, then the intermediates, served as the full chain.
    public var certificateChainFile: String
    /// PEM private key (RSA or ECDSA) of the server certificate.
    public var privateKeyFile: String
    /// PEM certificates trusted to identify clients: API Gateway's self-signed client certificates (each its own
    /// trust anchor) or CA certificates.
    public var clientTrustFile: String?
    public var clientCertificateMode: ClientCertificateMode
    /// Longest chain accepted above the client certificate: 1 admits a self-signed certificate or one issued
    /// directly by a trusted CA.
    public var clientVerifyDepth: Int

    public init(certificateChainFile: String, privateKeyFile: String, clientTrustFile: String? = nil,
                clientCertificateMode: ClientCertificateMode = .off, clientVerifyDepth: Int = 1) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        self.clientTrustFile = clientTrustFile
        self.clientCertificateMode = clientCertificateMode
        self.clientVerifyDepth = clientVerifyDepth
    }
}
