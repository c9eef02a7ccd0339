import HTTPClient

/// Where deliveries go: an `https` URL, or an `http` one to loopback or a private network only, so a signed body
/// never crosses the internet in clear. A host name under `http` cannot be judged before it is resolved: its
/// addresses are checked at each connection (`refusedAddress`), and a public one is refused then.
public struct WebhookEndpoint: Sendable, Equatable, CustomStringConvertible {
    public let url: HTTPURL

    public init(_ text: String) throws(WebhookEndpointError) {
        do {
            url = try HTTPURL(text)
        } catch {
            throw .notAURL(error)
        }
        if let address = PrivateNetwork.literal(url.host) {
            guard url.scheme == .https || PrivateNetwork.contains(address) else {
                throw .plainHTTPToPublicAddress(url.host)
            }
        } else {
            let name = url.host.utf8
            guard !url.host.contains(":"), name.allSatisfy({ $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || $0.isLetterOrDigit }) else {
                throw .badHost(url.host)
            }
        }
    }

    public var description: String { url.description }

    /// Why a resolved address must not be connected to: a public one under plain `http`. A literal address was
    /// judged already; it is checked again as the resolver reads it.
    var refusedAddress: (@Sendable ([UInt8]) -> String?)? {
        guard url.scheme == .http else { return nil }
        let host = url.host
        return { address in
            PrivateNetwork.contains(address) ? nil
                : "\(host) resolves to \(PrivateNetwork.text(address)), a public address: plain http is only for loopback and private networks"
        }
    }
}

/// Why a text is not a webhook endpoint; the start-up message.
public enum WebhookEndpointError: Error, Equatable, Sendable, CustomStringConvertible {
    case notAURL(HTTPURLError)
    /// A host that is neither an IP address nor a DNS name (letters, digits, `-` and `.`).
    case badHost(String)
    case plainHTTPToPublicAddress(String)

    public var description: String {
        switch self {
        case .notAURL(let error): "a webhook endpoint is an http or https URL: \(error)"
        case .badHost(let host): "\(host.prefix(100)) is not a host name or an IP address"
        case .plainHTTPToPublicAddress(let host):
            "\(host) is a public address: use https, or plain http only to loopback or a private network (10/8, 172.16/12, 192.168/16, fc00::/7)"
        }
    }
}

private extension UInt8 {
    var isLetterOrDigit: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
