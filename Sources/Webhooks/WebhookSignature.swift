import Crypto

/// Standard Webhooks' signature: HMAC-SHA256 over `<id>.<timestamp>.<body>`, written `v1,<base64>`, and the three
/// headers a receiver verifies it with.
extension WebhookSecret {
    /// `timestamp`: whole seconds since the epoch, the time of this attempt (receivers refuse one more than a few
    /// minutes off, so each attempt is signed anew).
    public func signature(id: String, timestamp: Int, body: [UInt8]) -> String {
        let signed = Array("\(id).\(timestamp).".utf8) + body
        return "v1," + Base64.encode(HMACSHA256.authenticationCode(key: key, message: signed))
    }

    /// `webhook-id`, `webhook-timestamp` and `webhook-signature`, in that order.
    public func headers(id: String, timestamp: Int, body: [UInt8]) -> [(name: String, value: String)] {
        [("webhook-id", id), ("webhook-timestamp", String(timestamp)),
         ("webhook-signature", signature(id: id, timestamp: timestamp, body: body))]
    }
}
