import COpenSSLShims

/// A TLS failure with what OpenSSL said about it: the reasons on its thread-local error queue, drained.
public struct TLSError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    /// `what`, followed by every reason OpenSSL queued, which are then cleared.
    static func drained(_ what: String) -> TLSError {
        let reasons = OpenSSLErrors.drain()
        return TLSError(reasons.isEmpty ? what : "\(what): \(reasons)")
    }
}

enum OpenSSLErrors {
    /// OpenSSL reports by queueing errors per thread; a stale one would be blamed on the next call, so every
    /// TLS call starts from an empty queue (the OpenSSL man pages' advice, and what NIOSSL does).
    static func clear() { ERR_clear_error() }

    /// The queued reasons as one line, oldest first; empties the queue.
    static func drain() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if let reason = ERR_reason_error_string(code) {
                reasons.append(String(cString: reason))
            } else {
                reasons.append("error \(code)")
            }
        }
        return reasons.joined(separator: "; ")
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
