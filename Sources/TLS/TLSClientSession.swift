import COpenSSLShims
import Crypto

/// A blocking TLS client over a connected socket, for HTTPClient's exchanges (ACME's CA, webhook receivers):
/// TLS 1.2 or 1.3, the server's certificate verified against the system's trust store (or `trustFile`, for a test
/// CA) and against `host`, which is also sent as SNI unless it is an IP address. The socket's own timeouts bound
/// each read and write.
public final class TLSClientSession {
    private let context: OpaquePointer
    private let ssl: OpaquePointer

    public init(socket: Int32, host: String, trustFile: String?) throws(TLSError) {
        OpenSSLErrors.clear()
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TLSError.drained("cannot create a TLS context") }
        guard let ssl = SSL_new(context) else {
            SSL_CTX_free(context)
            throw TLSError.drained("cannot create a TLS session")
        }
        self.context = context
        self.ssl = ssl
        guard cos_ctx_set_min_proto_version(context, cos_tls1_2_version()) == 1 else {
            throw TLSError.drained("cannot require TLS 1.2")
        }
        // The CA closes after its answer (Connection: close), with or without close_notify.
        _ = SSL_CTX_set_options(context, cos_op_ignore_unexpected_eof())
        let trusted = trustFile.map { SSL_CTX_load_verify_locations(context, $0, nil) } ?? SSL_CTX_set_default_verify_paths(context)
        guard trusted == 1 else { throw TLSError.drained("\(trustFile ?? "the system's trust store"): cannot load trusted certificates") }
        SSL_set_verify(ssl, cos_verify_peer(), nil)
        // SSL_set1_host checks an IP address as one; SNI carries host names only (RFC 6066 §3).
        guard SSL_set1_host(ssl, host) == 1 else { throw TLSError.drained("cannot verify the name \(host)") }
        if !host.contains(":") && !host.allSatisfy({ $0.isNumber || $0 == "." }) {
            _ = cos_ssl_set_tlsext_host_name(ssl, host)
        }
        guard SSL_set_fd(ssl, socket) == 1 else { throw TLSError.drained("cannot attach the TLS session to its socket") }
        let result = SSL_connect(ssl)
        guard result == 1 else {
            let verify = SSL_get_verify_result(ssl)
            if verify != Int(cos_x509_v_ok()) {
                OpenSSLErrors.clear()
                throw TLSError("TLS handshake with \(host): certificate not trusted: "
                               + String(cString: X509_verify_cert_error_string(verify)))
            }
            throw failure(result, "TLS handshake with \(host)")
        }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    public func write(_ bytes: [UInt8]) throws(TLSError) {
        OpenSSLErrors.clear()
        var written = 0
        while written < bytes.count {
            var count = 0
            let result = bytes.withUnsafeBytes { SSL_write_ex(ssl, $0.baseAddress! + written, bytes.count - written, &count) }
            guard result == 1 else { throw failure(result, "TLS write") }
            written += count
        }
    }

    /// Appends what arrives to `buffer`, at most `limit` bytes; 0 when the server closed.
    public func read(into buffer: inout [UInt8], limit: Int) throws(TLSError) -> Int {
        OpenSSLErrors.clear()
        var chunk = [UInt8](repeating: 0, count: min(limit, 16_384))
        var count = 0
        let result = SSL_read_ex(ssl, &chunk, chunk.count, &count)
        guard result == 1 else {
            let error = SSL_get_error(ssl, result)
            if error == cos_error_zero_return() { return 0 }
            throw failure(result, "TLS read")
        }
        buffer += chunk.prefix(count)
        return count
    }

    private func failure(_ result: Int32, _ what: String) -> TLSError {
        let error = SSL_get_error(ssl, result)
        if error == cos_error_want_read() || error == cos_error_want_write() {
            OpenSSLErrors.clear()
            return TLSError("\(what): timed out")
        }
        return TLSError.drained(what)
    }
}
