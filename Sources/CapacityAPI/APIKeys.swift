import Crypto
import HTTP1
import Scaling
import SystemIO

/// The keys that let the operator's scaling system PATCH `actualCapacity`, `scalingStatus` and `failureReason`
/// (`--api-keys FILE`). Sent as `x-api-key: KEY` (API Gateway's convention) or `Authorization: Bearer KEY`.
/// The file holds one key per line, either as the key itself or as `sha256:HEX` of it (so the file need not hold
/// the secret; `printf %s KEY | sha256sum` makes one); `#` starts a comment. Only SHA-256 digests (as hex) are
/// kept in memory, and a presented key's digest is compared with every one of them in constant time. SIGHUP re-reads the file; a file that cannot be read keeps the old keys.
public final class APIKeys: Sendable {
    public let path: String
    /// 64 lower-case hex digits each.
    private let digests: Locked<[[UInt8]]>

    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(path: String) throws(LoadError) {
        self.path = path
        digests = Locked(try Self.load(path))
    }

    /// Keys are printable ASCII without spaces, 16 to 512 bytes: long enough not to be guessed.
    public static func load(_ path: String) throws(LoadError) -> [[UInt8]] {
        let text: [UInt8]
        do {
            text = try FileSystem.read(path, maxBytes: 1 << 20)
        } catch {
            throw LoadError(description: "\(path): cannot read the API key file: \(error.reason)")
        }
        guard text.count <= 1 << 20 else { throw LoadError(description: "\(path): larger than 1 MiB") }
        var digests: [[UInt8]] = []
        for (index, rawLine) in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.drop { $0 == 32 || $0 == 9 }.reversed().drop { $0 == 32 || $0 == 9 || $0 == 13 }.reversed()
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            let text = String(decoding: line, as: UTF8.self)
            if text.hasPrefix("sha256:") {
                let digest = Array(text.dropFirst(7).lowercased().utf8)
                guard digest.count == 64, digest.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                    throw LoadError(description: "\(path):\(index + 1): sha256: needs 64 hex digits")
                }
                digests.append(digest)
            } else {
                guard (16...512).contains(line.count), line.allSatisfy({ (33...126).contains($0) }) else {
                    throw LoadError(description: "\(path):\(index + 1): a key is 16 to 512 printable characters without spaces")
                }
                digests.append(Array(SHA256.hexDigest(line).utf8))
            }
        }
        guard !digests.isEmpty else { throw LoadError(description: "\(path): no keys in it") }
        return digests
    }

    public func reload() -> LoadError? {
        do {
            let fresh = try Self.load(path)
            digests.withLock { $0 = fresh }
            return nil
        } catch {
            return error
        }
    }

    /// Whether `key` is one of the keys. Every stored digest is compared in full, whatever matches, so the time
    /// taken says nothing about which bytes were right.
    func accepts(_ key: String) -> Bool {
        acceptedDigest(key) != nil
    }

    /// The digest of `key` if it is one of the keys (what the rate limiter knows a client by: never the key).
    func acceptedDigest(_ key: String) -> String? {
        let digest = SHA256.hexDigest(key.utf8)
        let presented = Array(digest.utf8)
        let stored = digests.withLock { $0 }
        var matched: UInt8 = 0
        for digest in stored {
            var difference: UInt8 = 0
            for index in 0..<64 { difference |= digest[index] ^ presented[index] }
            matched |= difference == 0 ? 1 : 0
        }
        return matched == 1 ? digest : nil
    }

    /// Refuses a request that presents no key, or one that is not among the keys: the one check behind the
    /// admin routes' policy and the PATCH of operator fields.
    func authorize(_ head: RequestHead) throws(ScalingError) {
        guard let key = Self.presentedKey(apiKeyHeader: head.headers["x-api-key"],
                                          authorization: head.headers["authorization"]) else {
            throw .operatorKeyMissing
        }
        guard accepts(key) else { throw .operatorKeyRejected }
    }

    /// The key a request presents: `x-api-key`, else a bearer token.
    static func presentedKey(apiKeyHeader: String?, authorization: String?) -> String? {
        if let apiKeyHeader, !apiKeyHeader.isEmpty { return apiKeyHeader }
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1])
    }
}
