import HTTP1
import HTTPServer

/// `429 Too Many Requests` with `Retry-After` for a client past its rate (`RateLimiter`). A client is its verified
/// certificate, else a valid API key, else its address: what it cannot change at will (an unverified key or a
/// port would give every request a fresh bucket).
struct RateLimitPolicy: RequestPolicy {
    let limiter: RateLimiter
    let keys: APIKeys?

    func check(_ request: HTTPRequest, context: RequestContext) -> HTTPResponse? {
        guard let wait = limiter.take(client(request, context)) else { return nil }
        let seconds = max(1, Int(wait.rounded(.up)))
        let settings = limiter.settings
        return APIError.response(
            status: .tooManyRequests,
            message: "Too many requests from this client (\(Self.describe(settings.perSecond)) a second, bursts of \(Self.describe(settings.burst))); retry in \(seconds) s",
            headers: [("Retry-After", String(seconds))])
    }

    private func client(_ request: HTTPRequest, _ context: RequestContext) -> String {
        if let identity = context.clientIdentity { return "certificate " + identity.fingerprint }
        if let keys, let key = APIKeys.presentedKey(apiKeyHeader: request.head.headers["x-api-key"],
                                                    authorization: request.head.headers["authorization"]),
           let digest = keys.acceptedDigest(key) {
            return "key " + digest
        }
        return "address " + Self.address(ofPeer: context.peer)
    }

    /// `127.0.0.1:40000` → `127.0.0.1`, `[::1]:40000` → `::1`.
    static func address(ofPeer peer: String) -> String {
        if peer.hasPrefix("["), let close = peer.firstIndex(of: "]") {
            return String(peer[peer.index(after: peer.startIndex)..<close])
        }
        guard let colon = peer.lastIndex(of: ":") else { return peer }
        return String(peer[..<colon])
    }

    private static func describe(_ value: Double) -> String {
        value == value.rounded() && value < 1e15 ? String(Int64(value)) : String(value)
    }
}
