import COpenSSLShims
import Crypto
import Glibc
import SystemIO

/// One server certificate with its key, in an OpenSSL context of its own that a handshake switches to once the
/// client has named the server it wants (SNI). It holds only what differs between certificates; the protocol
/// settings are the same as every context's, and client trust stays with the context the handshake started in
/// (`TLSContext`). Immutable once loaded.
final class ServerCertificate: @unchecked Sendable {
    let context: OpaquePointer
    let files: TLSConfiguration.CertificateFiles
    let info: CertificateInfo
    /// The DNS names it is for, lower-case: its subjectAltName entries, else its subject's common name (as
    /// RFC 6125 allows for old certificates). `*.example.com` covers one label.
    let names: [String]

    /// Loads and checks both files; each failure names the file and says what is wrong with it.
    init(_ files: TLSConfiguration.CertificateFiles, now: Int) throws(TLSError) {
        OpenSSLErrors.clear()
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw TLSError.drained("cannot create a TLS context") }
        self.context = context
        self.files = files
        do throws(TLSError) {
            try TLSContext.configureProtocol(context)
            info = try Self.load(files, into: context, now: now)
            guard let certificate = SSL_CTX_get0_certificate(context) else { throw TLSError("\(files.chainFile): no certificate") }
            names = Self.dnsNames(certificate)
        } catch {
            SSL_CTX_free(context)
            throw error
        }
    }

    deinit {
        SSL_CTX_free(context)
    }

    private static func load(_ files: TLSConfiguration.CertificateFiles, into context: OpaquePointer,
                             now: Int) throws(TLSError) -> CertificateInfo {
        let chain = files.chainFile
        let key = files.keyFile
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
        let info = CertificateInfo(certificate, role: files.role, file: chain)
        guard info.notAfterEpochSeconds > now else {
            throw TLSError("\(chain): the certificate \(info.subject) has expired")
        }
        return info
    }

    static func dnsNames(_ certificate: OpaquePointer) -> [String] {
        var names: [String] = []
        if let raw = X509_get_ext_d2i(certificate, NID_subject_alt_name, nil, nil) {
            let general = OpaquePointer(raw)
            defer { GENERAL_NAMES_free(general) }
            for index in 0..<cos_general_names_count(general) {
                if let dns = cos_general_names_dns(general, index), let name = text(dns) { names.append(name) }
            }
        }
        if names.isEmpty, let subject = X509_get_subject_name(certificate) {
            let index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1)
            if index >= 0, let entry = X509_NAME_get_entry(subject, index),
               let name = text(X509_NAME_ENTRY_get_data(entry)) {
                names.append(name)
            }
        }
        return names.map { $0.lowercased() }
    }

    private static func text(_ string: UnsafePointer<ASN1_STRING>?) -> String? {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return nil }
        let length = Int(ASN1_STRING_length(string))
        guard length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: length), as: UTF8.self)
    }

    private static func loadPrivateKey(_ path: String) throws(TLSError) -> OpaquePointer {
        OpenSSLErrors.clear()
        guard let bio = BIO_new_file(path, "r") else { throw TLSError.drained("\(path): cannot open") }
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, refusePassphrase, nil) else {
            throw TLSError.drained("\(path): not a PEM private key")
        }
        return key
    }

    static func checkReadable(_ path: String, what: String) throws(TLSError) {
        do {
            try blockingSyscall("access") { access(path, R_OK) }
        } catch {
            throw TLSError("\(path): cannot read the \(what) file: \(error.reason)")
        }
    }
}
