import Bytes

/// How the body of a request is delimited (RFC 9112 §6.3).
public enum BodyFraming: Sendable, Equatable {
    case none
    case length(Int)
    case chunked
}

/// A request line and its header fields, validated.
public struct RequestHead: Sendable {
    public let method: HTTPMethod
    /// The target's length: its bytes begin the headers' storage.
    let targetLength: Int
    public let version: HTTPVersion
    public let headers: HTTPHeaders
    public let framing: BodyFraming
    /// Whether the connection may carry another request after this one (RFC 9112 §9.3).
    public let keepAlive: Bool
    /// `Expect: 100-continue` was sent (RFC 9110 §10.1.1).
    public let expectsContinue: Bool
    /// Where the path lies in the target's UTF-8, found by the parser; nil: an absolute-form target without one
    /// (whose `path` is "/").
    public let pathBounds: Range<Int>?

    /// The request-target exactly as sent (origin-form, absolute-form or "*"), made when asked: routing reads its
    /// bytes in place (`withTarget`), and a `String` of more than 15 bytes is an allocation.
    public var target: String {
        withTarget { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the target's bytes, visible ASCII (RFC 9112 §3.2) as the parser admits.
    public func withTarget<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try headers.storage.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[..<targetLength])) }
    }

    /// The path of the target, without the query: origin-form as is, absolute-form without scheme and authority.
    public var path: Substring {
        guard let bounds = pathBounds else { return "/" }
        return withTarget { Substring(decoding: UnsafeBufferPointer(rebasing: $0[bounds]), as: UTF8.self) }
    }

    /// Where the path of `target` (ASCII, as the parser admits) lies: from its first byte in origin-form ("*" is its
    /// own path), after the authority in absolute-form (nil if there is nothing after it), up to the query.
    static func pathBounds(of target: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var start = 0
        if target.first != UInt8(ascii: "/") {
            if let schemeEnd = firstIndex(of: "://", in: target) {
                guard let slash = target[(schemeEnd + 3)...].firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }),
                      target[slash] == UInt8(ascii: "/") else { return nil }
                start = slash
            }
        }
        let end = ByteSearch.firstIndex(of: UInt8(ascii: "?"), in: target, start..<target.count) ?? target.count
        return start..<end
    }

    private static func firstIndex(of literal: StaticString, in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        literal.withUTF8Buffer { literal in
            guard bytes.count >= literal.count else { return nil }
            return (0...(bytes.count - literal.count)).first { start in
                literal.indices.allSatisfy { bytes[start + $0] == literal[$0] }
            }
        }
    }
}

/// A complete request: head and decoded body. A class, though immutable: the engine hands one request through the
/// parser, the responder and the access record, and a reference costs one retain where a struct of a dozen fields
/// costs a retain and a release per field at every copy (callgrind: 1,400 instructions of a `GET /time`).
public final class HTTPRequest: Sendable {
    public let head: RequestHead
    public let body: [UInt8]

    public init(head: RequestHead, body: [UInt8]) {
        self.head = head
        self.body = body
    }
}
