import COpenSSLShims

/// OpenSSL's per-thread error queue, which libcrypto and libssl share: the discipline both this target and TLS
/// keep around every OpenSSL call.
package enum OpenSSLErrors {
    /// OpenSSL reports by queueing errors per thread; a stale one would be blamed on the next call, so every
    /// OpenSSL call starts from an empty queue (the OpenSSL man pages' advice, and what NIOSSL does).
    package static func clear() { ERR_clear_error() }

    /// The queued reasons as one line, oldest first; empties the queue.
    package static func drain() -> String {
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

    /// `what`, followed by every queued reason, which are then cleared.
    package static func drained(_ what: String) -> String {
        let reasons = drain()
        return reasons.isEmpty ? what : "\(what): \(reasons)"
    }
}
