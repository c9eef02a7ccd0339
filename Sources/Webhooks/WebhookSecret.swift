import Crypto

/// A Standard Webhooks signing secret: `whsec_` and the key in base64, 24 to 64 bytes as the specification asks.
/// Its description and mirror never show the key, so a secret printed or dumped into a log gives nothing away.
public struct WebhookSecret: Sendable, CustomStringConvertible, CustomReflectable {
    static let prefix = "whsec_"
    static let keyBytes = 24...64

    let key: [UInt8]

    public init(_ text: String) throws(WebhookSecretError) {
        guard text.hasPrefix(Self.prefix) else { throw .missingPrefix }
        do {
            key = try Base64.decode(text.dropFirst(Self.prefix.count))
        } catch {
            throw .notBase64(error)
        }
        guard Self.keyBytes.contains(key.count) else { throw .keyLength(key.count) }
    }

    public var description: String { "whsec_… (a \(key.count)-byte key)" }

    public var customMirror: Mirror { Mirror(self, children: []) }
}

/// Why a text is not a webhook secret; never quotes it.
public enum WebhookSecretError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingPrefix
    case notBase64(Base64Error)
    case keyLength(Int)

    public var description: String {
        switch self {
        case .missingPrefix: "a webhook secret starts with whsec_ (Standard Webhooks)"
        case .notBase64(let error): "a webhook secret is whsec_ and base64 with padding: \(error)"
        case .keyLength(let count):
            "a webhook secret's key is \(WebhookSecret.keyBytes.lowerBound) to \(WebhookSecret.keyBytes.upperBound) bytes, this one \(count)"
        }
    }
}
