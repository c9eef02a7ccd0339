import COpenSSLShims

/// A libcrypto failure with what OpenSSL said about it: the reasons on its thread-local error queue, drained.
public struct CryptoError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    /// `what`, followed by every reason OpenSSL queued, which are then cleared.
    static func drained(_ what: String) -> CryptoError {
        CryptoError(OpenSSLErrors.drained(what))
    }
}
