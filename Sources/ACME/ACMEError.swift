import HTTPClient

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
    private let url: HTTPURL

    /// Only `https`: every request carries a signed payload or a certificate, and the client speaks nothing else.
    init(_ text: String) throws(ACMEError) {
        do {
            url = try HTTPURL(text)
        } catch {
            switch error {
            case .notHTTP: throw .badAnswer("not an https URL: \(text.prefix(200))")
            case .badPort: throw .badAnswer("bad port in \(text.prefix(200))")
            case .badHost: throw .badAnswer("bad host in \(text.prefix(200))")
            }
        }
        guard url.scheme == .https else { throw .badAnswer("not an https URL: \(text.prefix(200))") }
    }

    var host: String { url.host }
    var port: Int { url.port }
    var pathAndQuery: String { url.pathAndQuery }
    var hostHeader: String { url.hostHeader }
    var description: String { url.description }
}
