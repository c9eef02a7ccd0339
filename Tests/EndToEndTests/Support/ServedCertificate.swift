import Foundation

/// How a test recognizes a certificate: what `openssl x509 -noout -subject -fingerprint -sha256 -serial` prints.
struct CertificateFacts: Equatable, CustomStringConvertible {
    /// openssl's form, e.g. `CN = alpha`.
    var subject: String
    /// `AB:CD:...`, the form capacityd prints too (stderr, /metrics).
    var sha256: String
    /// Upper-case hex without leading zeros (`normalizedSerial`).
    var serial: String

    var description: String { "\(subject) (SHA-256 \(sha256), serial \(serial))" }

    /// Parses the x509 command's output; nil when it printed no certificate.
    init?(x509Output output: String) {
        var subject: String?
        var sha256: String?
        var serial: String?
        for line in output.split(separator: "\n").map(String.init) {
            if line.hasPrefix("subject=") { subject = String(line.dropFirst("subject=".count)).trimmingCharacters(in: .whitespaces) }
            if line.hasPrefix("sha256 Fingerprint=") { sha256 = String(line.dropFirst("sha256 Fingerprint=".count)) }
            if line.hasPrefix("serial=") { serial = normalizedSerial(String(line.dropFirst("serial=".count))) }
        }
        guard let subject, let sha256, let serial else { return nil }
        self.subject = subject
        self.sha256 = sha256
        self.serial = serial
    }
}

private let x509Arguments = "-noout -subject -fingerprint -sha256 -serial"

/// The certificate in a PEM file (the first one, for a chain).
func certificateFacts(file: String) throws -> CertificateFacts {
    let (_, output) = try runProcess("/usr/bin/openssl", ["x509", "-in", file] + x509Arguments.split(separator: " ").map(String.init))
    guard let facts = CertificateFacts(x509Output: output) else {
        throw TestPKI.Failure(description: "no certificate in \(file): \(output)")
    }
    return facts
}

/// The leaf certificate a TLS server on 127.0.0.1:`port` presents in a fresh handshake; nil if the handshake
/// failed. `serverName` goes into the ClientHello's SNI extension; nil sends none (`-noservername`).
func servedCertificate(port: UInt16, serverName: String?) throws -> CertificateFacts? {
    let output = try sClientHandshake(port: port, serverName: serverName)
    return CertificateFacts(x509Output: try runProcess("/usr/bin/openssl", ["x509"] + x509Arguments.split(separator: " ").map(String.init),
                                                      input: output).output)
}

/// `openssl s_client` output of one fresh handshake with 127.0.0.1:`port` (stdin closed at once, so it ends after
/// the handshake); stderr included, where failures ("alert ...") are. `timeout` bounds a server that never answers.
func sClientHandshake(port: UInt16, serverName: String?, _ extra: [String] = []) throws -> String {
    let sni = serverName.map { ["-servername", $0] } ?? ["-noservername"]
    return try runProcess("/usr/bin/timeout", ["60", "/usr/bin/openssl", "s_client", "-connect", "127.0.0.1:\(port)"] + sni + extra).output
}
