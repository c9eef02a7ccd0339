import Crypto

/// base64url without padding (RFC 4648 §5), as JWS and ACME write every binary value (RFC 8555 §6.1).
enum Base64URL {
    static func encode(_ bytes: some Collection<UInt8>) -> String {
        Base64.encode(bytes, alphabet: .url)
    }
}
