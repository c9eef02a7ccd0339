import SystemIO
import TLS

/// Warns before certificates expire: once as each one comes within 7, 3 and 1 days of its end (and at start-up
/// or reload if it is already that close), so a forgotten renewal or an API Gateway client certificate about to
/// be rotated shows up in the logs in time.
final class CertificateExpiry: Sendable {
    static let thresholds = [7, 3, 1]
    /// The smallest threshold already warned about, per certificate fingerprint.
    private let warned = Locked<[String: Int]>([:])

    /// Lines to log for `certificates` at `now`; remembers what it said.
    func warnings(for certificates: [CertificateInfo], now epochSeconds: Int) -> [String] {
        warned.withLock { warned in Self.lines(for: certificates, now: epochSeconds, warned: &warned) }
    }

    private static func lines(for certificates: [CertificateInfo], now epochSeconds: Int, warned: inout [String: Int]) -> [String] {
        var lines: [String] = []
        for certificate in certificates {
            let days = certificate.daysLeft(atEpochSeconds: epochSeconds)
            guard let threshold = Self.thresholds.last(where: { days < $0 }) else { continue }
            let key = certificate.fingerprint + certificate.role
            if let previous = warned[key], previous <= threshold { continue }
            warned[key] = threshold
            let date = WallClock.iso8601(epochMilliseconds: Int64(certificate.notAfterEpochSeconds) * 1000).prefix(10)
            let when = days < 0 ? "expired on \(date)"
                : "expires in \(days) day\(days == 1 ? "" : "s"), on \(date)"
            lines.append("capacityd: warning: \(certificate.role) \(certificate.subject) in \(certificate.file) \(when)")
        }
        return lines
    }
}
