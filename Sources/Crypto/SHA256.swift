import COpenSSLShims

/// SHA-256 through OpenSSL, for secrets that are kept and compared only as digests (API keys).
public enum SHA256 {
    public static func digest(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let input = Array(bytes)
        var output = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = input.withUnsafeBytes { source in
            EVP_Digest(source.baseAddress, source.count, &output, &length, EVP_sha256(), nil)
        }
        return output
    }

    /// The digest as 64 lower-case hex digits, as `sha256sum` prints it.
    public static func hexDigest(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in digest(bytes) { text += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
        return String(decoding: text, as: UTF8.self)
    }
}
