import HTTP1
import HTTPClient

/// The few HTTPS requests an ACME client makes, one connection each (`Connection: close`), blocking on the ACME
/// thread: every request has a deadline (connect, each read and write, and the whole exchange) and a size limit
/// on the answer, so a slow or hostile CA can delay renewals but never hold the thread or its memory.
struct HTTPSClient: Sendable {
    /// A PEM file trusted instead of the system's store (a test CA such as pebble); it also admits `http`-less
    /// loopback CAs' URLs, which `ACMEClient` checks.
    var trustFile: String?
    var timeoutSeconds = 30
    var maxResponseBytes = 1 << 20

    func get(_ url: URL) throws(ACMEError) -> ReceivedResponse {
        try exchange(method: .get, url, body: nil)
    }

    func head(_ url: URL) throws(ACMEError) -> ReceivedResponse {
        try exchange(method: .head, url, body: nil)
    }

    /// `accept`: what the answer should be (the certificate download wants `application/pem-certificate-chain`;
    /// some CAs refuse it under `application/json`).
    func post(_ url: URL, jose body: [UInt8], accept: String = "application/json") throws(ACMEError) -> ReceivedResponse {
        try exchange(method: .post, url, body: body, accept: accept)
    }

    private func exchange(method: HTTPMethod, _ url: URL, body: [UInt8]?, accept: String = "application/json") throws(ACMEError) -> ReceivedResponse {
        var request = "\(method.name) \(url.pathAndQuery) HTTP/1.1\r\nHost: \(url.hostHeader)\r\n"
            + "User-Agent: capacityd-acme\r\nAccept: \(accept)\r\nConnection: close\r\n"
        if let body {
            request += "Content-Type: application/jose+json\r\nContent-Length: \(body.count)\r\n"
        }
        var bytes = Array((request + "\r\n").utf8)
        if let body { bytes += body }
        let exchange = HTTPExchange(host: url.host, port: url.port, security: .tls(trustFile: trustFile),
                                    timeoutMilliseconds: Int64(timeoutSeconds) * 1000, maxResponseBytes: maxResponseBytes)
        do {
            return try exchange.send(bytes, method: method)
        } catch {
            switch error {
            case .unreachable(let reason): throw .connection(reason)
            case .failed(let reason), .staleConnection(let reason): throw .connection("\(url): \(reason)")
            case .timedOut: throw .connection("\(url): no answer within \(timeoutSeconds) s")
            case .badAnswer, .tooLarge: throw .badAnswer("\(url): \(error)")
            }
        }
    }
}
