import COpenSSLShims
import Crypto

/// One server-side TLS connection over a non-blocking socket. The handshake happens inside the first reads and
/// writes; "want read" and "want write" come back as values so the event loop can wait for the right readiness.
/// Owned by one event loop thread.
public final class TLSSession {
    private let ssl: OpaquePointer
    /// Held for the session's life: the handshake's server-name callback reads it.
    private let context: TLSContext
    private var identityChecked = false
    private var identity: ClientIdentity?

    public enum Progress: Equatable {
        /// Bytes were read or written.
        case done(Int)
        /// Nothing more can happen until the socket is readable.
        case wantRead
        /// Nothing more can happen until the socket is writable.
        case wantWrite
        /// The peer closed the TLS stream (close_notify, or an EOF, which OpenSSL is told to treat alike).
        case closed
    }

    public init(context: TLSContext, socket: Int32) throws(TLSError) {
        OpenSSLErrors.clear()
        guard let ssl = SSL_new(context.context) else { throw TLSError.drained("cannot create a TLS session") }
        self.ssl = ssl
        self.context = context
        guard SSL_set_fd(ssl, socket) == 1 else {
            SSL_free(ssl)
            throw TLSError.drained("cannot attach the TLS session to its socket")
        }
        SSL_set_accept_state(ssl)
    }

    deinit {
        SSL_free(ssl)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Result<Progress, TLSError> {
        OpenSSLErrors.clear()
        var count = 0
        let result = SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count)
        return result == 1 ? .success(.done(count)) : failure(Int32(result), during: "read")
    }

    public func write(_ bytes: UnsafeRawBufferPointer) -> Result<Progress, TLSError> {
        OpenSSLErrors.clear()
        var count = 0
        let result = SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &count)
        return result == 1 ? .success(.done(count)) : failure(Int32(result), during: "write")
    }

    private func failure(_ result: Int32, during operation: String) -> Result<Progress, TLSError> {
        let error = SSL_get_error(ssl, result)
        switch error {
        case cos_error_want_read(): return .success(.wantRead)
        case cos_error_want_write(): return .success(.wantWrite)
        case cos_error_zero_return(): return .success(.closed)
        case cos_error_syscall():
            let reasons = OpenSSLErrors.drain()
            return .failure(TLSError("\(operation): connection error\(reasons.isEmpty ? "" : ": " + reasons)"))
        default:
            return .failure(TLSError.drained("\(operation)"))
        }
    }

    /// Decrypted bytes OpenSSL holds that the socket will not signal again.
    public var hasBufferedInput: Bool { SSL_has_pending(ssl) == 1 }

    public var isHandshakeComplete: Bool { SSL_is_init_finished(ssl) == 1 }

    /// Sends close_notify once, without waiting for the peer's (RFC 8446 §6.1 allows that).
    public func sendCloseNotify() {
        OpenSSLErrors.clear()
        _ = SSL_shutdown(ssl)
        OpenSSLErrors.clear()
    }

    /// OpenSSL drops a session from the cache when its connection is freed without a TLS shutdown; most HTTP
    /// clients just close the socket, so a connection that ended without an error is marked as shut down.
    public func keepSessionResumable() {
        SSL_set_shutdown(ssl, cos_sent_and_received_shutdown())
    }

    /// The client's certificate, if it sent one and it verified against the trust file.
    public var clientIdentity: ClientIdentity? {
        if identityChecked { return identity }
        guard isHandshakeComplete else { return nil }
        identityChecked = true
        guard SSL_get_verify_result(ssl) == Int(cos_x509_v_ok()), let certificate = SSL_get1_peer_certificate(ssl) else {
            return nil
        }
        defer { X509_free(certificate) }
        identity = ClientIdentity(subject: CertificateInfo.name(X509_get_subject_name(certificate)),
                                  fingerprint: CertificateInfo.fingerprint(certificate))
        return identity
    }
}
