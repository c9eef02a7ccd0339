import HTTP1

/// The parser must reach the same verdict however the bytes are cut into reads: a server that frames a stream
/// differently depending on packet boundaries is open to smuggling. Each input is parsed whole, one byte per read,
/// and in reads whose lengths come from the input's first two bytes; the three runs must agree on every request
/// they complete and on how they end.
public enum RequestParserCheck {
    static let limits = ParserLimits(maxRequestLineBytes: 256, maxHeaderBytes: 1024, maxHeaderCount: 16, maxBodyBytes: 2048)

    public static func run(_ input: [UInt8]) {
        let seed = input.count >= 2 ? UInt32(input[0]) << 8 | UInt32(input[1]) : 1
        let bytes = Array(input.dropFirst(2))
        let whole = parse(bytes, readLengths: [bytes.count])
        let byByte = parse(bytes, readLengths: [Int](repeating: 1, count: bytes.count))
        let random = parse(bytes, readLengths: ReadSplitter.lengths(total: bytes.count, seed: seed))
        precondition(whole == byByte, "one-byte reads changed the parse: \(whole) vs \(byByte)")
        precondition(whole == random, "split reads changed the parse: \(whole) vs \(random)")
    }

    /// Feeds `bytes` in reads of the given lengths, the way a connection does: the buffer holds the current
    /// request from its first byte, and after a complete request its bytes are dropped and parsing goes on.
    static func parse(_ bytes: [UInt8], readLengths: [Int]) -> ParseTranscript {
        var transcript = ParseTranscript()
        var parser = RequestParser(limits: limits)
        var buffer: [UInt8] = []
        var offset = 0
        for length in readLengths where length > 0 {
            buffer.append(contentsOf: bytes[offset..<offset + length])
            offset += length
            while true {
                switch buffer.withUnsafeBufferPointer({ parser.parse($0) }) {
                case .incomplete, .headReceived:
                    break
                case .complete(let request, let consumed):
                    precondition(consumed > 0 && consumed <= buffer.count, "consumed \(consumed) of \(buffer.count)")
                    check(request)
                    transcript.requests.append(ParsedRequest(request))
                    buffer.removeFirst(consumed)
                    continue
                case .invalid(let error):
                    transcript.error = error
                    return transcript
                }
                break
            }
        }
        return transcript
    }

    /// What any accepted request must satisfy, whatever the bytes were.
    static func check(_ request: HTTPRequest) {
        let head = request.head
        precondition(request.body.count <= limits.maxBodyBytes, "body over the limit")
        precondition(head.target.utf8.count <= limits.maxRequestLineBytes, "target over the limit")
        precondition(head.headers.count <= limits.maxHeaderCount, "too many fields")
        precondition(!(head.headers["Content-Length"] != nil && head.headers["Transfer-Encoding"] != nil),
                     "both Content-Length and Transfer-Encoding accepted")
        precondition(head.headers.values("Content-Length").count <= 1, "more than one Content-Length accepted")
        if case .length(let length) = head.framing { precondition(request.body.count == length, "body is not Content-Length long") }
        if case .none = head.framing { precondition(request.body.isEmpty, "a body without framing") }
        let fields = head.headers.all
        precondition(fields.count == head.headers.count, "the fields found again are not the fields parsed")
        for (name, value) in fields {
            precondition(!name.isEmpty && name.utf8.allSatisfy(isTokenCharacter), "bad field name accepted: \(name)")
            precondition(!value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }), "CR, LF or NUL in a value")
            let edges = [value.utf8.first, value.utf8.last].compactMap { $0 }
            precondition(!edges.contains(where: { $0 == 32 || $0 == 9 }), "whitespace around a value")
            precondition(head.headers[name] != nil, "a field not found by its name: \(name)")
        }
    }
}

/// RFC 9110 §5.6.2 tchar, written out here rather than borrowed from the parser under test.
func isTokenCharacter(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        true
    default:
        "!#$%&'*+-.^_`|~".utf8.contains(byte)
    }
}

/// The observable result of parsing a stream: the requests completed, then the error that stopped it, if any.
struct ParseTranscript: Equatable, CustomStringConvertible {
    var requests: [ParsedRequest] = []
    var error: HTTPParseError?

    var description: String { "\(requests.count) requests, then \(error.map { "\($0)" } ?? "no error")" }
}

struct ParsedRequest: Equatable {
    let method: HTTPMethod
    let target: String
    let version: HTTPVersion
    let fields: [String]
    let framing: BodyFraming
    let keepAlive: Bool
    let expectsContinue: Bool
    let body: [UInt8]

    init(_ request: HTTPRequest) {
        let head = request.head
        method = head.method
        target = head.target
        version = head.version
        fields = head.headers.all.map { "\($0.name): \($0.value)" }
        framing = head.framing
        keepAlive = head.keepAlive
        expectsContinue = head.expectsContinue
        body = request.body
    }
}

/// Read lengths from a small seed (a linear congruential generator): the fuzzer mutates the seed bytes like any
/// others, so it explores cut points too.
enum ReadSplitter {
    static func lengths(total: Int, seed: UInt32) -> [Int] {
        var state = seed | 1
        var lengths: [Int] = []
        var left = total
        while left > 0 {
            state = state &* 1_103_515_245 &+ 12_345
            let length = min(left, 1 + Int((state >> 16) % 17))
            lengths.append(length)
            left -= length
        }
        return lengths
    }
}
