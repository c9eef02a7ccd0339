import Testing
@testable import HTTP1

/// Feeds a response to a parser the way a client reads one: a growing buffer, then the server's close.
struct ResponseHarness {
    enum Result: Equatable {
        case complete(status: Int, body: [UInt8], consumed: Int)
        case incomplete
        case invalid(ResponseParseError)
    }

    /// `bytes` in reads ending at each of `ends` (the last is everything), then the close if `closes`.
    static func parse(_ bytes: [UInt8], readsEndingAt ends: [Int], closes: Bool = true, method: HTTPMethod = .get,
                      limits: ParserLimits = ParserLimits()) -> Result {
        var parser = ResponseParser(requestMethod: method, limits: limits)
        var outcome = ResponseParser.Outcome.incomplete
        for end in ends + [bytes.count] {
            outcome = Array(bytes[..<end]).withUnsafeBufferPointer { parser.parse($0) }
            if case .incomplete = outcome { continue }
            break
        }
        if case .incomplete = outcome, closes {
            outcome = bytes.withUnsafeBufferPointer { parser.finish($0) }
        }
        switch outcome {
        case .complete(let response, let consumed): return .complete(status: response.status, body: response.body, consumed: consumed)
        case .incomplete: return .incomplete
        case .invalid(let error): return .invalid(error)
        }
    }

    /// The same result whole, split at every byte, and a byte at a time, or the first way that differs.
    static func agreedResult(_ bytes: [UInt8], closes: Bool = true, method: HTTPMethod = .get,
                             limits: ParserLimits = ParserLimits()) -> Result? {
        let whole = parse(bytes, readsEndingAt: [], closes: closes, method: method, limits: limits)
        let splits = (1..<max(1, bytes.count)).map { [$0] } + [Array(0..<bytes.count)]
        for ends in splits where parse(bytes, readsEndingAt: ends, closes: closes, method: method, limits: limits) != whole {
            return nil
        }
        return whole
    }
}

@Suite("Response parser")
struct ResponseParserTests {
    /// (why, response, request method, status, body, whether its end is known only when the server closes).
    static let accepted: [(String, String, HTTPMethod, Int, String, Bool)] = [
        ("Content-Length, with bytes after it", "HTTP/1.1 201 Created\r\nContent-Length: 2\r\nLocation: https://ca.test/o/1\r\n\r\n{}junk",
         .post, 201, "{}", false),
        ("chunked, with an extension", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
         .get, 200, "abcde", false),
        ("chunked, with a trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\n{}\r\n0\r\nX-T: 1\r\n\r\n",
         .get, 200, "{}", false),
        ("until the close", "HTTP/1.0 200 OK\r\nReplay-Nonce:  n1 \r\n\r\nrest", .get, 200, "rest", true),
        ("until the close, nothing", "HTTP/1.1 200 OK\r\n\r\n", .get, 200, "", true),
        ("Content-Length 0", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", .get, 200, "", false),
        ("the answer to HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", .head, 200, "", false),
        ("the answer to HEAD, chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", .head, 200, "", false),
        ("204", "HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n", .delete, 204, "", false),
        ("304", "HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n", .get, 304, "", false),
        ("101 ends HTTP", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", .get, 101, "", false),
        ("100 before the answer", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na",
         .post, 200, "a", false),
        ("103 with fields before the answer", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n\r\nab",
         .get, 200, "ab", true),
        ("no reason phrase", "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\na", .get, 200, "a", false),
        ("an empty reason phrase", "HTTP/1.1 404 \r\nContent-Length: 1\r\n\r\na", .get, 404, "a", false),
        ("599", "HTTP/1.1 599 Whatever\r\nContent-Length: 1\r\n\r\na", .get, 599, "a", false),
    ]

    @Test("is parsed alike whole, split at every byte and a byte at a time", arguments: accepted)
    func parses(_ row: (String, String, HTTPMethod, Int, String, Bool)) {
        let (why, text, method, status, body, needsClose) = row
        let bytes = Array(text.utf8)
        let consumed = text.hasSuffix("junk") ? bytes.count - 4 : bytes.count
        #expect(ResponseHarness.agreedResult(bytes, method: method) == .complete(status: status, body: Array(body.utf8), consumed: consumed),
                "\(why)")
        let open = ResponseHarness.agreedResult(bytes, closes: false, method: method)
        #expect(needsClose ? open == .incomplete : open == .complete(status: status, body: Array(body.utf8), consumed: consumed),
                "\(why): without the close")
    }

    @Test func fieldsAreReadCaseInsensitively() {
        var parser = ResponseParser(requestMethod: .get)
        let text = Array("HTTP/1.1 201 Created\r\nLocation: https://ca.test/o/1\r\nReplay-Nonce:  n1 \r\nContent-Length: 0\r\n\r\n".utf8)
        guard case .complete(let response, _) = text.withUnsafeBufferPointer({ parser.parse($0) }) else {
            Issue.record("not complete")
            return
        }
        #expect(response.version == .http1_1 && response.status == 201)
        #expect(response.headers["location"] == "https://ca.test/o/1" && response.headers["REPLAY-NONCE"] == "n1")
        #expect(response.headers.count == 3)
    }

    /// (why, response, request method, whether the connection may carry another request after it).
    static let reuse: [(String, String, HTTPMethod, Bool)] = [
        ("HTTP/1.1, Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", .post, true),
        ("HTTP/1.1, chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", .post, true),
        ("HTTP/1.1, no body", "HTTP/1.1 204 No Content\r\n\r\n", .post, true),
        ("the answer to HEAD, without a length", "HTTP/1.1 200 OK\r\n\r\n", .head, true),
        ("a 500 framed by its length", "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", .post, true),
        ("an interim response, then the answer", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", .post, true),
        ("another option", "HTTP/1.1 200 OK\r\nConnection: Upgrade\r\nContent-Length: 0\r\n\r\n", .post, true),
        ("Connection: close", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", .post, false),
        ("close among options, any case", "HTTP/1.1 200 OK\r\nConnection: keep-alive , CLOSE\r\nContent-Length: 0\r\n\r\n", .post, false),
        ("close in a second Connection field", "HTTP/1.1 200 OK\r\nConnection: x\r\nconnection: close\r\nContent-Length: 0\r\n\r\n", .post, false),
        ("a body that ends with the connection", "HTTP/1.1 200 OK\r\n\r\nab", .post, false),
        ("101", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", .get, false),
        ("HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", .post, false),
        ("HTTP/1.0 with keep-alive", "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", .post, true),
        ("HTTP/1.0 with keep-alive, ending with the connection", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nab", .post, false),
        ("HTTP/1.0 with keep-alive and close", "HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n", .post, false),
    ]

    @Test("says whether the connection may carry another request", arguments: reuse)
    func keepAlive(_ row: (String, String, HTTPMethod, Bool)) {
        let (why, text, method, keepAlive) = row
        var parser = ResponseParser(requestMethod: method)
        let bytes = Array(text.utf8)
        guard case .complete(let response, _) = bytes.withUnsafeBufferPointer({ parser.finish($0) }) else {
            Issue.record("\(why): not complete")
            return
        }
        #expect(response.keepAlive == keepAlive, "\(why)")
    }

    /// (why, response, error): every one fed whole, split at every byte and a byte at a time, then closed.
    static let refused: [(String, String, ResponseParseError)] = [
        ("nothing before the close", "", .truncated),
        ("a head cut short", "HTTP/1.1 200 OK\r\n", .truncated),
        ("a body cut short", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", .truncated),
        ("a chunked body cut short", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n", .truncated),
        ("only interim responses", "HTTP/1.1 100 Continue\r\n\r\n", .truncated),
        ("not HTTP", "SMTP 200 OK\r\n\r\n", .malformed("malformed status line")),
        ("HTTP/2.0", "HTTP/2.0 200 OK\r\n\r\n", .malformed("not an HTTP/1.0 or HTTP/1.1 response")),
        ("lowercase version", "http/1.1 200 OK\r\n\r\n", .malformed("not an HTTP/1.0 or HTTP/1.1 response")),
        ("two-digit status", "HTTP/1.1 20 OK\r\n\r\n", .malformed("malformed status line")),
        ("four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", .malformed("malformed status line")),
        ("status below 100", "HTTP/1.1 099 Odd\r\n\r\n", .malformed("status code below 100")),
        ("control byte in the reason", "HTTP/1.1 200 O\u{01}K\r\n\r\n", .malformed("control character in reason phrase")),
        ("bare LF", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", .malformed("bare LF")),
        ("bare CR", "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", .malformed("bare CR")),
        ("a field without a colon", "HTTP/1.1 200 OK\r\nbad header\r\n\r\n", .malformed("invalid header field name")),
        ("obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", .malformed("obsolete line folding")),
        ("negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nab", .malformed("malformed Content-Length")),
        ("two Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na",
         .malformed("more than one Content-Length")),
        ("Content-Length and Transfer-Encoding", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
         .malformed("both Content-Length and Transfer-Encoding")),
        ("gzip, chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .malformed("Transfer-Encoding other than chunked")),
        ("chunked in HTTP/1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
         .malformed("Transfer-Encoding in an HTTP/1.0 response")),
        ("chunk size not hex", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n", .malformed("malformed chunk size")),
        ("chunk data without its CRLF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n",
         .malformed("chunk data not followed by CRLF")),
        // A size near Int.max is refused, not added to an index.
        ("chunk size near Int.max", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nab\r\n0\r\n\r\n", .bodyTooLarge),
        ("chunk size past Int.max", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nab\r\n", .bodyTooLarge),
        ("Content-Length Int.max", "HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\nab", .bodyTooLarge),
    ]

    @Test("is refused alike whole, split at every byte and a byte at a time", arguments: refused)
    func refuses(_ row: (String, String, ResponseParseError)) {
        let (why, text, error) = row
        #expect(ResponseHarness.agreedResult(Array(text.utf8)) == .invalid(error), "\(why)")
    }

    static let limits = ParserLimits(maxRequestLineBytes: 20, maxHeaderBytes: 30, maxHeaderCount: 2, maxBodyBytes: 10)

    /// (why, response at a limit, the same one byte or field over, the error past it).
    static let limitCases: [(String, String, String, ResponseParseError)] = [
        ("status line", "HTTP/1.1 200 " + String(repeating: "r", count: 7) + "\r\n\r\n",
         "HTTP/1.1 200 " + String(repeating: "r", count: 8) + "\r\n\r\n", .headTooLarge),
        ("field bytes", "HTTP/1.1 200 OK\r\nX: " + String(repeating: "v", count: 25) + "\r\n\r\n",
         "HTTP/1.1 200 OK\r\nX: " + String(repeating: "v", count: 26) + "\r\n\r\n", .headTooLarge),
        ("field count", "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n", "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", .headTooLarge),
        ("Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
         "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n0123456789a", .bodyTooLarge),
        ("chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n6\r\n56789a\r\n0\r\n\r\n", .bodyTooLarge),
        ("until the close", "HTTP/1.1 200 OK\r\n\r\n0123456789", "HTTP/1.1 200 OK\r\n\r\n0123456789a", .bodyTooLarge),
    ]

    @Test("is enforced one under and one over", arguments: limitCases)
    func limit(_ row: (String, String, String, ResponseParseError)) {
        let (why, atLimit, overLimit, error) = row
        guard case .complete = ResponseHarness.agreedResult(Array(atLimit.utf8), limits: Self.limits) else {
            Issue.record("\(why): refused at the limit")
            return
        }
        #expect(ResponseHarness.agreedResult(Array(overLimit.utf8), limits: Self.limits) == .invalid(error), "\(why)")
    }

    @Test func aFinishedParserAnswersTheSame() {
        var parser = ResponseParser(requestMethod: .get)
        let first = Array("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na".utf8)
        let again = Array("HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n".utf8)
        _ = first.withUnsafeBufferPointer { parser.parse($0) }
        guard case .complete(let response, _) = again.withUnsafeBufferPointer({ parser.finish($0) }) else {
            Issue.record("not complete")
            return
        }
        #expect(response.status == 200 && response.body == Array("a".utf8))
    }
}
