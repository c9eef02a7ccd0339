import HTTP1
import HTTPServer
import Synchronization

/// `--redirect-http`: a plain-HTTP request is sent to the same host and target on the HTTPS port. 308 rather
/// than 301 so a PATCH stays a PATCH (RFC 9110 §15.4.9). The host comes from the request's `Host`, which is
/// checked to be a host name or an IP literal: the header must not be able to write anything else into `Location`.
/// A listener policy: it applies to every route of the plain-HTTP listeners but the ACME challenge.
public final class HTTPSRedirect: RequestPolicy {
    /// The first HTTPS listener's port, known once it is bound.
    private let httpsPort = Atomic<Int>(443)

    public init() {}

    public func setHTTPSPort(_ port: Int) {
        httpsPort.store(port, ordering: .relaxed)
    }

    public func check(_ request: HTTPRequest, context: RequestContext) -> HTTPResponse? {
        context.isSecure ? nil : Self.response(for: request.head, httpsPort: httpsPort.load(ordering: .relaxed))
    }

    static func response(for head: RequestHead, httpsPort: Int) -> HTTPResponse {
        guard let hostField = head.headers["host"], let host = hostName(hostField) else {
            return APIError.response(status: .badRequest, message: "Redirecting to HTTPS needs a valid Host header")
        }
        let port = httpsPort == 443 ? "" : ":\(httpsPort)"
        let target = head.target.hasPrefix("/") ? head.target : "/"
        let location = "https://" + host + port + target
        return APIError.response(status: .permanentRedirect, message: "This server answers over HTTPS: \(location)",
                                 headers: [("Location", location)])
    }

    /// `example.com:8080` → `example.com`; `[::1]:8080` → `[::1]`; nil for anything that is not a host.
    static func hostName(_ field: String) -> String? {
        let bytes = Array(field.utf8)
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")), close > 1 else { return nil }
            let inside = bytes[1..<close]
            guard inside.allSatisfy({ isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }),
                  isPort(bytes[(close + 1)...]) else { return nil }
            return String(decoding: bytes[...close], as: UTF8.self)
        }
        let colon = bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.endIndex
        let name = bytes[..<colon]
        guard !name.isEmpty, name.count <= 253, isPort(bytes[colon...]),
              name.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }) else {
            return nil
        }
        return String(decoding: name, as: UTF8.self)
    }

    /// Empty, or `:` and 1–5 digits.
    private static func isPort(_ rest: ArraySlice<UInt8>) -> Bool {
        guard let first = rest.first else { return true }
        let digits = rest.dropFirst()
        return first == UInt8(ascii: ":") && (1...5).contains(digits.count)
            && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
