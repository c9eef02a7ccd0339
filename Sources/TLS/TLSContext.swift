import COpenSSLShims
import Glibc
import SystemIO

/// A server-side OpenSSL context built from a `TLSConfiguration`: TLS 1.2 and 1.3 only, forward-secret AEAD
/// ciphers, ALPN `http/1.1`, a server-side session cache for resumption, no renegotiation. Immutable once built,
/// so any event loop may start sessions from it; a reload builds a new one (`ReloadableTLSContext`).
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer
    public let configuration: TLSConfiguration
    /// The server certificate first, then every trusted client certificate: for expiry warnings and metrics.
    public let certificates: [CertificateInfo]

    /// TLS 1.2 suites: ECDHE key exchange (forward secrecy) with AEAD ciphers only, the Mozilla "intermediate"
    /// list without DHE. TLS 1.3's suites are all forward-secret AEADs; OpenSSL's defaults are kept.
    static let tls12Ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
        + "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
        + "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

    /// Sessions kept for resumption, per context.
    static let sessionCacheSize = 20_480

    /// Loads and checks every file; each failure names the file and says what is wrong with it.
    public init(_ configuration: TLSConfiguration, now epochSeconds: Int) throws(TLSError) {
        OpenSSLErrors.clear()
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw TLSError.drained("cannot create a TLS context") }
        self.context = context
        self.configuration = configuration
        do {
            try Self.configureProtocol(context)
            let server = try Self.loadServerCertificate(context, configuration, now: epochSeconds)
            let trusted = try Self.loadClientTrust(context, configuration)
            certificates = [server] + trusted
        } catch {
            SSL_CTX_free(context)
            throw error
        }
    }

    deinit {
        SSL_CTX_free(context)
    }

    private static func configureProtocol(_ context: OpaquePointer) throws(TLSError) {
        guard cos_ctx_set_min_proto_version(context, cos_tls1_2_version()) == 1,
              cos_ctx_set_max_proto_version(context, cos_tls1_3_version()) == 1 else {
            throw TLSError.drained("cannot restrict the protocol to TLS 1.2 and 1.3")
        }
        guard SSL_CTX_set_cipher_list(context, tls12Ciphers) == 1 else { throw TLSError.drained("cipher list") }
        // Elliptic-curve key exchange only: finite-field groups are slower for no gain here.
        guard cos_ctx_set1_groups_list(context, "X25519:P-256:P-384") == 1 else { throw TLSError.drained("groups") }
        // Client-initiated renegotiation costs the server a handshake per request of the client's choosing (a DoS
        // vector) and is never needed here; secure renegotiation (RFC 5746) is still signalled in TLS 1.2.
        // No session tickets: a long-lived ticket key would undo forward secrecy; the session cache resumes instead.
        // An EOF without close_notify is how most HTTP clients hang up; it is an ordinary end, not an error.
        _ = SSL_CTX_set_options(context, cos_op_no_renegotiation() | cos_op_no_ticket() | cos_op_no_compression()
                                    | cos_op_ignore_unexpected_eof())
        // Partial writes and a movable buffer suit a non-blocking writer whose output array may grow or move
        // between retries; released buffers keep an idle TLS connection's memory small.
        _ = cos_ctx_set_mode(context, cos_mode_partial_write_moving_buffer_release())
        // Without read-ahead OpenSSL reads a record's 5-byte header and its body with two read(2) calls; with it,
        // one read takes whatever has arrived (the connection then drains what OpenSSL buffered itself).
        cos_ctx_set_read_ahead(context, 1)
        _ = cos_ctx_set_session_cache_mode(context, cos_sess_cache_server())
        _ = cos_ctx_sess_set_cache_size(context, sessionCacheSize)
        let sessionContext = Array("capacityd".utf8)
        _ = SSL_CTX_set_session_id_context(context, sessionContext, UInt32(sessionContext.count))
        SSL_CTX_set_alpn_select_cb(context, selectHTTP11, nil)
    }

    private static func loadServerCertificate(_ context: OpaquePointer, _ configuration: TLSConfiguration,
                                              now: Int) throws(TLSError) -> CertificateInfo {
        let chain = configuration.certificateChainFile
        let key = configuration.privateKeyFile
        try checkReadable(chain, what: "certificate")
        try checkReadable(key, what: "key")
        OpenSSLErrors.clear()
        guard SSL_CTX_use_certificate_chain_file(context, chain) == 1 else {
            throw TLSError.drained("\(chain): not a PEM certificate chain")
        }
        let privateKey = try loadPrivateKey(key)
        defer { EVP_PKEY_free(privateKey) }
        guard SSL_CTX_use_PrivateKey(context, privateKey) == 1, SSL_CTX_check_private_key(context) == 1 else {
            OpenSSLErrors.clear()
            throw TLSError("\(key): the key does not match the certificate in \(chain)")
        }
        guard let certificate = SSL_CTX_get0_certificate(context) else { throw TLSError("\(chain): no certificate") }
        let info = CertificateInfo(certificate, role: "server certificate", file: chain)
        guard info.notAfterEpochSeconds > now else {
            throw TLSError("\(chain): the certificate \(info.subject) has expired")
        }
        return info
    }

    private static func loadClientTrust(_ context: OpaquePointer,
                                        _ configuration: TLSConfiguration) throws(TLSError) -> [CertificateInfo] {
        guard configuration.clientCertificateMode != .off else {
            SSL_CTX_set_verify(context, cos_verify_none(), nil)
            return []
        }
        guard let trustFile = configuration.clientTrustFile else {
            throw TLSError("client certificates are \(configuration.clientCertificateMode.rawValue) but no trust file is set")
        }
        try checkReadable(trustFile, what: "trust")
        let infos = try CertificateInfo.readPEM(trustFile, role: "trusted client certificate")
        OpenSSLErrors.clear()
        guard SSL_CTX_load_verify_locations(context, trustFile, nil) == 1 else {
            throw TLSError.drained("\(trustFile): not a PEM certificate bundle")
        }
        // The names of the trusted certificates are sent in the CertificateRequest, so a client holding several
        // certificates picks the right one.
        guard let names = SSL_load_client_CA_file(trustFile) else {
            throw TLSError.drained("\(trustFile): no certificate names could be read")
        }
        SSL_CTX_set_client_CA_list(context, names)
        // A trusted certificate is an anchor even when it is not self-signed: the trust file pins certificates.
        X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(context), cos_v_flag_partial_chain())
        SSL_CTX_set_verify_depth(context, Int32(configuration.clientVerifyDepth))
        var mode = cos_verify_peer()
        if configuration.clientCertificateMode == .required { mode |= cos_verify_fail_if_no_peer_cert() }
        SSL_CTX_set_verify(context, mode, nil)
        return infos
    }

    private static func loadPrivateKey(_ path: String) throws(TLSError) -> OpaquePointer {
        OpenSSLErrors.clear()
        guard let bio = BIO_new_file(path, "r") else { throw TLSError.drained("\(path): cannot open") }
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else {
            throw TLSError.drained("\(path): not a PEM private key")
        }
        return key
    }

    private static func checkReadable(_ path: String, what: String) throws(TLSError) {
        do {
            try blockingSyscall("access") { access(path, R_OK) }
        } catch {
            throw TLSError("\(path): cannot read the \(what) file: \(error.reason)")
        }
    }
}

/// ALPN (RFC 7301): this server speaks HTTP/1.1 only. A client that offers protocols but not http/1.1 gets the
/// no_application_protocol alert, as nginx does, rather than a connection in a protocol it did not ask for.
private func selectHTTP11(_ ssl: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
                          _ outLength: UnsafeMutablePointer<UInt8>?, _ offered: UnsafePointer<UInt8>?,
                          _ offeredLength: UInt32, _ argument: UnsafeMutableRawPointer?) -> Int32 {
    guard let out, let outLength, let offered else { return cos_tlsext_err_alert_fatal() }
    var index = 0
    let count = Int(offeredLength)
    while index < count {
        let length = Int(offered[index])
        let start = index + 1
        guard start + length <= count else { break }
        if length == 8 && UnsafeBufferPointer(start: offered + start, count: 8).elementsEqual("http/1.1".utf8) {
            out.pointee = offered + start
            outLength.pointee = 8
            return cos_tlsext_err_ok()
        }
        index = start + length
    }
    return cos_tlsext_err_alert_fatal()
}
