import HTTP1

/// The chunked decoder behind a fixed request head: whatever the body bytes, however they are cut into reads, the
/// verdict is the same (checked by `RequestParserCheck`), and a body it accepts survives being chunked again
/// differently and decoded back.
public enum ChunkedBodyCheck {
    static let head = Array("POST /v1/scalableTargetDimensions/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)

    public static func run(_ input: [UInt8]) {
        let seed = input.count >= 2 ? Array(input.prefix(2)) : [0, 1]
        let stream = head + input.dropFirst(2)
        RequestParserCheck.run(seed + stream)
        let transcript = RequestParserCheck.parse(stream, readLengths: [stream.count])
        guard let first = transcript.requests.first else { return }
        precondition(first.framing == .chunked, "the fixed head lost its framing")
        let rechunked = head + chunk(first.body, sizes: ReadSplitter.lengths(total: first.body.count, seed: UInt32(first.body.count)))
        let again = RequestParserCheck.parse(rechunked, readLengths: [rechunked.count])
        precondition(again.error == nil && again.requests.count == 1 && again.requests[0].body == first.body,
                     "a decoded body did not survive re-chunking: \(again)")
    }

    /// `body` as chunks of the given sizes, each size in lower-case hex, then the last chunk and no trailers.
    static func chunk(_ body: [UInt8], sizes: [Int]) -> [UInt8] {
        var out: [UInt8] = []
        var offset = 0
        for size in sizes {
            out += Array(String(size, radix: 16).utf8) + [13, 10] + body[offset..<offset + size] + [13, 10]
            offset += size
        }
        return out + Array("0\r\n\r\n".utf8)
    }
}
