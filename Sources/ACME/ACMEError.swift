/// Why an ACME exchange failed, in words for the log, `/readyz` and `/metrics`.
public enum ACMEError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The CA could not be reached or did not answer in time.
    case connection(String)
    /// The CA answered something that is not what RFC 8555 says it answers.
    case badAnswer(String)
    /// The CA refused (RFC 8555 §6.7: an `application/problem+json` document), e.g. a failed challenge.
    case problem(type: String, detail: String, status: Int)
    /// Keys, certificates or files of our own.
    case local(String)

    public var description: String {
        switch self {
        case .connection(let reason): "cannot reach the CA: \(reason)"
        case .badAnswer(let reason): "unexpected answer from the CA: \(reason)"
        case .problem(let type, let detail, let status):
            "the CA refused (\(status == 0 ? "" : "\(status) ")\(type.replacing("urn:ietf:params:acme:error:", with: ""))): \(detail)"
        case .local(let reason): reason
        }
    }

    var problemType: String? {
        if case .problem(let type, _, _) = self { return type }
        return nil
    }
}

/// An `https` URL as the CA hands them out: host, port and path, nothing else.
struct URL: Sendable, Equatable, CustomStringConvertible {
    let host: String
    let port: Int
    let pathAndQuery: String

    /// Only `https`: every request carries a signed payload or a certificate, and the client speaks nothing else.
    init(_ text: String) throws(ACMEError) {
        guard text.hasPrefix("https://"), text.utf8.count <= 2048,
              text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw ACMEError.badAnswer("not an https URL: \(text.prefix(200))")
        }
        let rest = text.dropFirst("https://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        pathAndQuery = slash == rest.endIndex ? "/" : String(rest[slash...].prefix { $0 != "#" })
        var hostPart = Substring(authority)
        var port = 443
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else {
                throw ACMEError.badAnswer("bad port in \(text.prefix(200))")
            }
            port = number
            hostPart = authority[..<colon]
        }
        if hostPart.hasPrefix("[") && hostPart.hasSuffix("]") { hostPart = hostPart.dropFirst().dropLast() }
        guard !hostPart.isEmpty, !hostPart.contains("@") else { throw ACMEError.badAnswer("bad host in \(text.prefix(200))") }
        host = String(hostPart)
        self.port = port
        description = text
    }

    let description: String

    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 443 ? name : "\(name):\(port)"
    }
}
