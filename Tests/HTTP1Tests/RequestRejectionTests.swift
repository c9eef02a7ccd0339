import Testing
@testable import HTTP1

@Suite("Request parser: rejections")
struct RequestRejectionTests {
    /// (why, request, expected status). Every one of these must close the connection after its response.
    static let cases: [(String, String, Int)] = [
        ("Content-Length and Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("Transfer-Encoding and Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400),
        ("two Content-Lengths that differ", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        ("two equal Content-Lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 400),
        ("Content-Length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\n", 400),
        ("signed Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", 400),
        ("negative Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
        ("hex Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400),
        ("empty Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400),
        ("gzip, chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400),
        ("chunked, chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400),
        ("two Transfer-Encoding fields", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("identity", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 400),
        ("chunked in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400),
        ("obs-fold with tab", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n", 400),
        ("bare LF after request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400),
        ("bare LF ending the head", "GET / HTTP/1.1\r\nHost: a\n\n", 400),
        ("bare CR in a value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", 400),
        ("space before colon", "GET / HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n", 400),
        ("empty field name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400),
        ("no colon", "GET / HTTP/1.1\r\nHost: a\r\nX-A\r\n\r\n", 400),
        ("control byte in value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u{01}c\r\n\r\n", 400),
        ("DEL in value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u{7f}\r\n\r\n", 400),
        ("NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u{0}\r\n\r\n", 400),
        ("control byte in name", "GET / HTTP/1.1\r\nHost: a\r\nX\u{01}A: b\r\n\r\n", 400),
        ("HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", 400),
        ("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("two Host fields in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("invalid Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        ("two spaces in request line", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("missing version", "GET /\r\nHost: a\r\n\r\n", 400),
        ("lowercase version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400),
        ("trailing space after version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),
        ("relative target", "GET time HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("asterisk for GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("non-ASCII target", "GET /caf\u{e9} HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("invalid method token", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        ("HTTP/0.9 style", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505),
        ("unknown expectation", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\n", 417),
        ("Content-Length over the limit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65537\r\n\r\n", 413),
        ("huge Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999999\r\n\r\n", 413),
        ("chunk size not hex", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n", 400),
        ("chunk size with sign", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n+1\r\na\r\n0\r\n\r\n", 400),
        ("chunk without CRLF after data", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n", 400),
        ("chunk size line with bare LF", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\na\r\n0\r\n\r\n", 400),
        ("chunked body over the limit", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10001\r\n", 413),
        ("huge chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n", 413),
        ("empty chunk extension", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;\r\na\r\n0\r\n\r\n", 400),
        ("chunk extension without a name", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;=x\r\na\r\n0\r\n\r\n", 400),
        ("chunk extension with an empty value", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=\r\na\r\n0\r\n\r\n", 400),
        ("chunk extension with an open quote", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=\"x\r\na\r\n0\r\n\r\n", 400),
        ("chunk extension junk after the value", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=b c\r\na\r\n0\r\n\r\n", 400),
        ("malformed trailer", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n", 400),
    ]

    @Test("is refused with its status, in one piece and split at every byte", arguments: cases)
    func refuses(_ input: (String, String, Int)) {
        let (why, text, status) = input
        let bytes = Array(text.utf8)
        guard case .invalid(let error) = ParserHarness.parse(bytes) else {
            Issue.record("\(why): accepted")
            return
        }
        #expect(error.status.code == status, "\(why): \(error)")
        for split in 1..<bytes.count {
            guard case .invalid(let splitError) = ParserHarness.parse(bytes, split: split) else {
                Issue.record("\(why): accepted when split at \(split)")
                continue
            }
            #expect(splitError.status.code == status, "\(why), split at \(split)")
        }
    }

    @Test func aFailedParserStaysFailed() {
        var parser = RequestParser()
        let bad = Array("GET / HTTP/1.1\r\n\r\n".utf8)
        guard case .invalid = bad.withUnsafeBufferPointer({ parser.parse($0) }) else {
            Issue.record("accepted")
            return
        }
        let good = Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        guard case .invalid = good.withUnsafeBufferPointer({ parser.parse($0) }) else {
            Issue.record("recovered after an error")
            return
        }
    }
}

@Suite("Request parser: the bytes of a target")
struct TargetByteTests {
    /// Each byte value, in a short target and at every place of a long one (where the check runs a vector at a
    /// time), is admitted exactly when it is visible ASCII; a space ends the target, so it is not tried inside.
    @Test(arguments: (0...255).map(UInt8.init).filter { $0 != ASCII.space && $0 != ASCII.cr && $0 != ASCII.lf })
    func everyByteValue(_ byte: UInt8) {
        let visible = (0x21...0x7E).contains(byte)
        for position in [1, 2, 31, 32, 63, 64, 99] {
            var target = Array("/".utf8) + Array(repeating: UInt8(ascii: "a"), count: 99)
            target[position] = byte
            #expect(target.withUnsafeBufferPointer { ASCII.areTargetBytes($0) } == visible, "byte \(byte) at \(position)")
            let request = Array("GET ".utf8) + target + Array(" HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
            let result = ParserHarness.parse(request)
            #expect(visible ? result != .invalid(.badRequest("invalid character in request target"))
                            : result == .invalid(.badRequest("invalid character in request target")),
                    "byte \(byte) at \(position)")
        }
    }
}

@Suite("Request parser: limits, one under and one over")
struct ParserLimitTests {
    static let limits = ParserLimits(maxRequestLineBytes: 40, maxHeaderBytes: 60, maxHeaderCount: 3, maxBodyBytes: 10)

    func request(target: String = "/", fields: [String] = ["Host: a"], body: String = "") -> [UInt8] {
        let head = "GET \(target) HTTP/1.1\r\n" + fields.map { $0 + "\r\n" }.joined() + "\r\n"
        return Array((head + body).utf8)
    }

    @Test func requestLine() {
        // "GET " + target + " HTTP/1.1" = 13 + target length.
        let atLimit = request(target: "/" + String(repeating: "a", count: 26))
        #expect(ParserHarness.parse(atLimit, limits: Self.limits) != .invalid(.uriTooLong))
        #expect(ParserHarness.parseBytewise(atLimit, limits: Self.limits) != .invalid(.uriTooLong))
        let overLimit = request(target: "/" + String(repeating: "a", count: 27))
        #expect(ParserHarness.parse(overLimit, limits: Self.limits) == .invalid(.uriTooLong))
        #expect(ParserHarness.parseBytewise(overLimit, limits: Self.limits) == .invalid(.uriTooLong))
        // Without a line end yet, too: a client cannot make the server buffer an endless request line.
        let endless = Array(("GET /" + String(repeating: "a", count: 60)).utf8)
        #expect(ParserHarness.parse(endless, limits: Self.limits) == .invalid(.uriTooLong))
    }

    /// A bare LF past the limit is 414 whether the line arrives whole or in pieces: each rule fires at the byte that
    /// breaks it, so the first broken rule wins however the bytes are cut into reads (the request-parser fuzz check
    /// holds the parser to that).
    @Test func theFirstBrokenRuleWinsHoweverTheBytesArrive() {
        let bareLFPastTheLimit = Array(("GET /" + String(repeating: "a", count: 60) + "\nb HTTP/1.1\r\n\r\n").utf8)
        #expect(ParserHarness.parse(bareLFPastTheLimit, limits: Self.limits) == .invalid(.uriTooLong))
        #expect(ParserHarness.parseBytewise(bareLFPastTheLimit, limits: Self.limits) == .invalid(.uriTooLong))
        let manyEmptyLinesThenARequest = Array((String(repeating: "\r\n", count: 30) + "GET / HTTP/1.1\r\n\r\n").utf8)
        #expect(ParserHarness.parse(manyEmptyLinesThenARequest, limits: Self.limits) == .invalid(.uriTooLong))
        #expect(ParserHarness.parseBytewise(manyEmptyLinesThenARequest, limits: Self.limits) == .invalid(.uriTooLong))
        let bareCRPastTheChunkLineLimit = Array(("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4;x=\""
            + String(repeating: "(", count: 1100) + "\rz").utf8)
        let tooLong = HTTPParseError.badRequest("chunk size line too long")
        #expect(ParserHarness.parse(bareCRPastTheChunkLineLimit) == .invalid(tooLong))
        #expect(ParserHarness.parseBytewise(bareCRPastTheChunkLineLimit) == .invalid(tooLong))
    }

    @Test func headerBytes() {
        // Field lines with their CRLFs: "Host: a\r\n" is 9 bytes; "X: " + n + "\r\n" is 5 + n; the blank line is free.
        let atLimit = request(fields: ["Host: a", "X: " + String(repeating: "v", count: 46)])
        #expect(ParserHarness.parse(atLimit, limits: Self.limits) != .invalid(.headerFieldsTooLarge))
        #expect(ParserHarness.parseBytewise(atLimit, limits: Self.limits) != .invalid(.headerFieldsTooLarge))
        let overLimit = request(fields: ["Host: a", "X: " + String(repeating: "v", count: 47)])
        #expect(ParserHarness.parse(overLimit, limits: Self.limits) == .invalid(.headerFieldsTooLarge))
        #expect(ParserHarness.parseBytewise(overLimit, limits: Self.limits) == .invalid(.headerFieldsTooLarge))
        let endless = Array(("GET / HTTP/1.1\r\nX: " + String(repeating: "v", count: 80)).utf8)
        #expect(ParserHarness.parse(endless, limits: Self.limits) == .invalid(.headerFieldsTooLarge))
    }

    @Test func headerCount() {
        let atLimit = request(fields: ["Host: a", "A: 1", "B: 2"])
        #expect(ParserHarness.parse(atLimit, limits: Self.limits) != .invalid(.headerFieldsTooLarge))
        let overLimit = request(fields: ["Host: a", "A: 1", "B: 2", "C: 3"])
        #expect(ParserHarness.parse(overLimit, limits: Self.limits) == .invalid(.headerFieldsTooLarge))
    }

    @Test func bodyBytes() {
        let atLimit = request(fields: ["Host: a", "Content-Length: 10"], body: "0123456789")
        if case .complete(_, _, let body, _, _) = ParserHarness.parse(atLimit, limits: Self.limits) {
            #expect(body.count == 10)
        } else {
            Issue.record("a body at the limit was refused")
        }
        let overLimit = request(fields: ["Host: a", "Content-Length: 11"])
        #expect(ParserHarness.parse(overLimit, limits: Self.limits) == .invalid(.contentTooLarge))
        let chunkedAtLimit = request(fields: ["Host: a", "Transfer-Encoding: chunked"], body: "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n")
        if case .complete(_, _, let body, _, _) = ParserHarness.parse(chunkedAtLimit, limits: Self.limits) {
            #expect(body.count == 10)
        } else {
            Issue.record("a chunked body at the limit was refused")
        }
        let chunkedOver = request(fields: ["Host: a", "Transfer-Encoding: chunked"], body: "5\r\n01234\r\n6\r\n")
        #expect(ParserHarness.parse(chunkedOver, limits: Self.limits) == .invalid(.contentTooLarge))
    }
}
