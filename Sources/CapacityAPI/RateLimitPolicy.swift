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
        // At most a day: a rate as small as --rate-limit allows must not overflow the header's integer.
        let seconds = max(1, Int(min(wait.rounded(.up), 86_400)))
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
        return "address " + Self.client(ofPeer: context.peer)
    }

    /// The address a client cannot change at will: `127.0.0.1:40000` → `127.0.0.1`; an IPv6 peer by its /64
    /// (one host usually has a whole /64 to pick source addresses from): `[2001:db8::1]:443` → `2001:db8:0:0::/64`;
    /// an IPv4-mapped one as IPv4: `[::ffff:10.0.0.1]:80` → `10.0.0.1`.
    static func client(ofPeer peer: String) -> String {
        guard peer.hasPrefix("["), let close = peer.firstIndex(of: "]") else {
            guard let colon = peer.lastIndex(of: ":") else { return peer }
            return String(peer[..<colon])
        }
        let address = peer[peer.index(after: peer.startIndex)..<close].lowercased()
        if address.hasPrefix("::ffff:"), address.contains(".") { return String(address.dropFirst(7)) }
        guard let groups = expanded(address) else { return address }
        return groups.prefix(4).map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }

    /// The eight 16-bit groups of an IPv6 address in text (`::` expanded), or nil if it is not one.
    private static func expanded(_ address: String) -> [UInt16]? {
        let halves = address.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false)
        func groups(_ text: Substring) -> [UInt16]? {
            text.isEmpty ? [] : text.split(separator: ":", omittingEmptySubsequences: false).map { UInt16($0, radix: 16) }
                .reduce([UInt16]?([])) { list, group in group.flatMap { value in list.map { $0 + [value] } } }
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 8 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }

    private static func describe(_ value: Double) -> String {
        value == value.rounded() && value < 1e15 ? String(Int64(value)) : String(value)
    }
}
