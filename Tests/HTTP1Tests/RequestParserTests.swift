import Testing
@testable import HTTP1

@Suite("Request parser: valid requests")
struct ValidRequestTests {
    static let cases: [(String, String, String, [UInt8], Bool)] = [
        ("GET /time HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/time", [], true),
        ("GET /time HTTP/1.0\r\n\r\n", "GET", "/time", [], false),
        ("GET /time HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET", "/time", [], true),
        ("GET /time HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "GET", "/time", [], false),
        ("GET /time HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", "GET", "/time", [], false),
        ("PATCH /v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}", "PATCH", "/v1/x", Array("{}".utf8), true),
        ("PATCH /v1/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", "PATCH", "/v1/x", Array("{}".utf8), true),
        ("PATCH /v1/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n1;ext=1\r\n{\r\n1\r\n}\r\n0\r\nTrailer: x\r\n\r\n", "PATCH", "/v1/x", Array("{}".utf8), true),
        ("PATCH /v1/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1 ; a = \"q \\\" ;\" ;b\r\n{\r\n1;c=d\r\n}\r\n0\r\n\r\n", "PATCH", "/v1/x", Array("{}".utf8), true),
        ("\r\nGET /time HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/time", [], true),
        ("GET http://example.com/time?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n", "GET", "http://example.com/time?x=1", [], true),
        ("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "OPTIONS", "*", [], true),
        ("QUERY /time HTTP/1.1\r\nHost: a\r\n\r\n", "QUERY", "/time", [], true),
        ("GET /time HTTP/1.1\r\nHost: [::1]:8080\r\nX-Empty:\r\nX-Tabs:\t v \t\r\n\r\n", "GET", "/time", [], true),
        ("GET /time HTTP/1.1\r\nHost: a\r\nX-Obs: caf\u{e9}\r\n\r\n", "GET", "/time", [], true),
        ("GET /time HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", "GET", "/time", [], true),
    ]

    @Test("parses in one piece, split at every byte, and byte by byte", arguments: cases)
    func parses(_ input: (String, String, String, [UInt8], Bool)) {
        let (text, method, target, body, keepAlive) = input
        let bytes = Array(text.utf8)
        let expected = ParserHarness.Result.complete(method: method, target: target, body: body, keepAlive: keepAlive,
                                                     consumed: bytes.count)
        #expect(ParserHarness.parse(bytes) == expected)
        for split in 1..<bytes.count {
            #expect(ParserHarness.parse(bytes, split: split) == expected, "split at \(split)")
        }
        #expect(ParserHarness.parseBytewise(bytes) == expected)
    }

    @Test func pipelinedRequestsAreConsumedOneAtATime() {
        let bytes = Array("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        var parser = RequestParser()
        guard case .complete(let first, let consumed) = bytes.withUnsafeBufferPointer({ parser.parse($0) }) else {
            Issue.record("first request not complete")
            return
        }
        #expect(first.head.target == "/a")
        let rest = Array(bytes[consumed...])
        guard case .complete(let second, let consumedSecond) = rest.withUnsafeBufferPointer({ parser.parse($0) }) else {
            Issue.record("second request not complete")
            return
        }
        #expect(second.head.target == "/b")
        #expect(consumedSecond == rest.count)
    }

    @Test func expectContinueIsReportedWhenTheHeadArrivesWithoutBody() {
        let bytes = Array("PATCH /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8)
        var parser = RequestParser()
        guard case .headReceived(let head) = bytes.withUnsafeBufferPointer({ parser.parse($0) }) else {
            Issue.record("expected headReceived")
            return
        }
        #expect(head.expectsContinue)
        let whole = bytes + Array("{}".utf8)
        guard case .complete(let request, _) = whole.withUnsafeBufferPointer({ parser.parse($0) }) else {
            Issue.record("expected complete")
            return
        }
        #expect(request.body == Array("{}".utf8))
    }

    @Test func headersAreCaseInsensitive() {
        let bytes = Array("GET / HTTP/1.1\r\nhOsT: a\r\nX-Thing: One\r\nx-thing: two\r\n\r\n".utf8)
        var parser = RequestParser()
        guard case .complete(let request, _) = bytes.withUnsafeBufferPointer({ parser.parse($0) }) else {
            Issue.record("not complete")
            return
        }
        #expect(request.head.headers["HOST"] == "a")
        #expect(request.head.headers.values("X-THING") == ["One", "two"])
        #expect(request.head.path == "/")
    }

    @Test func pathDropsQueryAndAuthority() {
        for (target, path) in [("/a?b=c", "/a"), ("http://h:1/x/y?z", "/x/y"), ("https://h", "/"), ("/", "/"),
                               ("/a/b?", "/a/b"), ("HTTPS://h/a", "/a"), ("http://h?q/r", "/"), ("/x?y/z", "/x")] {
            let bytes = Array("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n".utf8)
            var parser = RequestParser()
            guard case .complete(let request, _) = bytes.withUnsafeBufferPointer({ parser.parse($0) }) else {
                Issue.record("not complete: \(target)")
                continue
            }
            #expect(request.head.path == Substring(path))
        }
    }
}
