/// Where the certificates are and how clients must prove themselves; everything `--tls-*`, `--client-*` and
/// `--acme-domain` say.
public struct TLSConfiguration: Sendable, Equatable {
    public enum ClientCertificateMode: String, Sendable, CaseIterable {
        /// No client certificate is asked for.
        case off
        /// One is asked for; a client may send none, but one it sends must verify.
        case optional
        /// The handshake fails without a certificate that verifies.
        case required
    }

    /// One server certificate: a PEM chain (the certificate first, then its intermediates, served as the full
    /// chain) and its PEM private key (RSA or ECDSA).
    public struct CertificateFiles: Sendable, Equatable, CustomStringConvertible {
        public var chainFile: String
        public var keyFile: String
        /// Names the ACME client obtains this certificate for; nil for a pair an operator provides. A managed
        /// pair may not exist yet (before the first order) and is then not served, which is no error.
        public var managedNames: [String]?

        public init(chainFile: String, keyFile: String, managedNames: [String]? = nil) {
            self.chainFile = chainFile
            self.keyFile = keyFile
            self.managedNames = managedNames
        }

        public var role: String { managedNames == nil ? "server certificate" : "acme certificate" }
        public var description: String { chainFile }
    }

    /// Chosen by the name a client asks for (SNI); the first is served to clients that name none or an unknown one.
    public var certificates: [CertificateFiles]
    /// PEM certificates trusted to identify clients: API Gateway's self-signed client certificates (each its own
    /// trust anchor) or CA certificates.
    public var clientTrustFile: String?
    public var clientCertificateMode: ClientCertificateMode
    /// Longest chain accepted above the client certificate: 1 admits a self-signed certificate or one issued
    /// directly by a trusted CA.
    public var clientVerifyDepth: Int

    public init(certificates: [CertificateFiles], clientTrustFile: String? = nil,
                clientCertificateMode: ClientCertificateMode = .off, clientVerifyDepth: Int = 1) {
        self.certificates = certificates
        self.clientTrustFile = clientTrustFile
        self.clientCertificateMode = clientCertificateMode
        self.clientVerifyDepth = clientVerifyDepth
    }
}
