import COpenSSLShims
import Crypto
import Glibc
import SystemIO

/// What new TLS connections start from: the server certificates, chosen per handshake by the name the client
/// asks for (SNI: exact name, then a one-level wildcard, else the first certificate), and the client trust.
/// Handshakes begin in a context of its own that holds the protocol settings, the session cache and the client
/// trust but no certificate; once the ClientHello names a server, the handshake switches to that certificate's
/// context and keeps verifying clients against this one's trust. Immutable, so any event loop may start sessions
/// from it; a reload builds a new one (`ReloadableTLSContext`).
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer
    public let configuration: TLSConfiguration
    /// The loaded server certificates, in the configuration's order (a managed one not obtained yet is absent).
    let servers: [ServerCertificate]
    /// The server certificates, then every trusted client certificate: for expiry warnings and metrics.
    public let certificates: [CertificateInfo]
    private let exactNames: [String: ServerCertificate]
    /// Keyed by what follows the `*.`.
    private let wildcardNames: [String: ServerCertificate]
    /// The client trust, kept for handshakes that switch to a certificate's context (which holds none).
    fileprivate let trustStore: OpaquePointer?

    /// TLS 1.2 suites: ECDHE key exchange (forward secrecy) with AEAD ciphers only, the Mozilla "intermediate"
    /// list without DHE. TLS 1.3's suites are all forward-secret AEADs; OpenSSL's defaults are kept.
    static let tls12Ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
        + "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
        + "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

    /// Sessions kept for resumption, per context.
    static let sessionCacheSize = 20_480

    /// Loads and checks every file; each failure names the file and says what is wrong with it. A managed
    /// certificate that does not exist yet, or no longer loads, is left out (the ACME client will obtain one).
    public convenience init(_ configuration: TLSConfiguration, now epochSeconds: Int) throws(TLSError) {
        var servers: [ServerCertificate] = []
        for files in configuration.certificates {
            if files.managedNames != nil {
                if let server = try? ServerCertificate(files, now: epochSeconds) { servers.append(server) }
            } else {
                servers.append(try ServerCertificate(files, now: epochSeconds))
            }
        }
        try self.init(configuration, servers: servers)
    }

    init(_ configuration: TLSConfiguration, servers: [ServerCertificate]) throws(TLSError) {
        self.configuration = configuration
        self.servers = servers
        (exactNames, wildcardNames) = try Self.nameTables(configuration, servers)
        OpenSSLErrors.clear()
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw TLSError.drained("cannot create a TLS context") }
        self.context = context
        do {
            try Self.configureProtocol(context)
            let trusted = try Self.loadClientTrust(context, configuration)
            certificates = servers.map(\.info) + trusted
            trustStore = trusted.isEmpty ? nil : SSL_CTX_get_cert_store(context)
        } catch {
            SSL_CTX_free(context)
            throw error
        }
        // Sessions hold the context (TLSSession keeps a reference), so the callback's argument outlives them.
        cos_ctx_set_servername_callback(context, selectServerCertificate, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        SSL_CTX_free(context)
    }

    /// A new context with the files of the certificates `only` selects (all by default) and the trust file read
    /// again; a certificate that fails to load keeps its previous version, and a managed one not obtained yet
    /// stays absent without a complaint. nil, with the reason, when the result cannot be assembled (the trust
    /// file is wrong, or two certificates now claim one name): the old context stays in use.
    public func reloaded(now: Int, only: (TLSConfiguration.CertificateFiles) -> Bool = { _ in true })
        -> (context: TLSContext?, results: [Result<CertificateInfo, TLSError>]) {
        var servers: [ServerCertificate] = []
        var results: [Result<CertificateInfo, TLSError>] = []
        for files in configuration.certificates {
            let previous = self.servers.first { $0.files == files }
            guard only(files) else {
                if let previous { servers.append(previous) }
                continue
            }
            if files.managedNames != nil && FileSystem.kind(files.chainFile) == .missing {
                if let previous { servers.append(previous) }
                continue
            }
            do {
                let server = try ServerCertificate(files, now: now)
                servers.append(server)
                results.append(.success(server.info))
            } catch {
                if let previous { servers.append(previous) }
                results.append(.failure(error))
            }
        }
        do {
            return (try TLSContext(configuration, servers: servers), results)
        } catch {
            return (nil, [.failure(error)])
        }
    }

    /// What is served from `files`, if they loaded (a managed certificate may not exist yet).
    public func serving(_ files: TLSConfiguration.CertificateFiles) -> CertificateInfo? {
        servers.first { $0.files == files }?.info
    }

    /// The certificate for a ClientHello's server name: exact, then `*.` and the rest after the first label,
    /// else the first one.
    func server(named name: String?) -> ServerCertificate? {
        if let name {
            let lowered = name.lowercased()
            if let exact = exactNames[lowered] { return exact }
            if let dot = lowered.firstIndex(of: "."), let wildcard = wildcardNames[String(lowered[lowered.index(after: dot)...])] {
                return wildcard
            }
        }
        return servers.first
    }

    /// Which certificate serves which name. A name two certificates claim (by their files, or a managed one by
    /// the names it is ordered for) is an error: which one a client gets would depend on the option order.
    private static func nameTables(_ configuration: TLSConfiguration, _ servers: [ServerCertificate]) throws(TLSError)
        -> (exact: [String: ServerCertificate], wildcard: [String: ServerCertificate]) {
        var claimed: [String: String] = [:]
        for files in configuration.certificates {
            let names = files.managedNames.map { $0.map { $0.lowercased() } }
                ?? servers.first { $0.files == files }?.names ?? []
            for name in Set(names) {
                let owner = files.managedNames == nil ? files.chainFile : "--acme-domain"
                if let other = claimed[name] {
                    throw TLSError("\(name) is served by two certificates: \(other) and \(owner)")
                }
                claimed[name] = owner
            }
        }
        var exact: [String: ServerCertificate] = [:]
        var wildcard: [String: ServerCertificate] = [:]
        for server in servers {
            for name in server.names {
                if name.hasPrefix("*.") {
                    let rest = String(name.dropFirst(2))
                    if wildcard[rest] == nil { wildcard[rest] = server }
                } else if exact[name] == nil {
                    exact[name] = server
                }
            }
        }
        return (exact, wildcard)
    }

    /// The protocol settings every context shares, the one handshakes start in and each certificate's.
    static func configureProtocol(_ context: OpaquePointer) throws(TLSError) {
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

    private static func loadClientTrust(_ context: OpaquePointer,
                                        _ configuration: TLSConfiguration) throws(TLSError) -> [CertificateInfo] {
        guard configuration.clientCertificateMode != .off else {
            SSL_CTX_set_verify(context, cos_verify_none(), nil)
            return []
        }
        guard let trustFile = configuration.clientTrustFile else {
            throw TLSError("client certificates are \(configuration.clientCertificateMode.rawValue) but no trust file is set")
        }
        try ServerCertificate.checkReadable(trustFile, what: "trust")
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
}

/// SNI (RFC 6066): OpenSSL calls this for every ClientHello, with or without a server name. The handshake moves
/// to the chosen certificate's context; the verification mode and depth stay those of the context it started
/// in, and the trust store and the client CA names are carried over explicitly (switching would lose them). Without any
/// certificate yet (ACME before its first order) the client gets an `unrecognized_name` alert.
private func selectServerCertificate(_ ssl: OpaquePointer?, _ alert: UnsafeMutablePointer<Int32>?,
                                     _ argument: UnsafeMutableRawPointer?) -> Int32 {
    guard let ssl, let argument else { return cos_tlsext_err_alert_fatal() }
    let context = Unmanaged<TLSContext>.fromOpaque(argument).takeUnretainedValue()
    let name = SSL_get_servername(ssl, cos_tlsext_nametype_host_name()).map { String(cString: $0) }
    guard let server = context.server(named: name) else {
        alert?.pointee = cos_ad_unrecognized_name()
        return cos_tlsext_err_alert_fatal()
    }
    if context.trustStore != nil {
        // The CertificateRequest's CA names come from the session's own list, else its context's; the
        // certificate's context has none, so the session gets a copy of the trust's before the switch.
        guard let names = SSL_dup_CA_list(SSL_CTX_get_client_CA_list(context.context)) else { return cos_tlsext_err_alert_fatal() }
        SSL_set_client_CA_list(ssl, names)
    }
    guard SSL_set_SSL_CTX(ssl, server.context) != nil else { return cos_tlsext_err_alert_fatal() }
    if let store = context.trustStore, cos_ssl_set1_verify_cert_store(ssl, store) != 1 {
        return cos_tlsext_err_alert_fatal()
    }
    return cos_tlsext_err_ok()
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
