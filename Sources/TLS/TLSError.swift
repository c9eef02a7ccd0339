import COpenSSLShims
import Crypto

/// A TLS failure with what OpenSSL said about it: the reasons on its thread-local error queue, drained.
public struct TLSError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    /// `what`, followed by every reason OpenSSL queued, which are then cleared.
    static func drained(_ what: String) -> TLSError {
        TLSError(OpenSSLErrors.drained(what))
    }
}

/// Process-wide OpenSSL set-up.
public enum OpenSSLLibrary {
    /// OpenSSL frees its global state in an atexit handler; a thread still inside OpenSSL when the process exits
    /// (the ACME client mid-request, a loop mid-handshake) would then use freed memory. The process's exit frees
    /// everything anyway, so the handler is turned off. Call before any other OpenSSL use.
    public static func keepLoadedUntilExit() {
        _ = cos_init_without_atexit()
    }
}
