import Testing
@testable import HTTP1

@Suite struct ResponseSerializerTests {
    let date = Array("Tue, 24 Nov 2026 10:00:00 GMT".utf8)
    let server = Array("capacityd".utf8)

    func serialize(_ response: HTTPResponse, isHead: Bool = false, closing: Bool = false, http10: Bool = false) -> String {
        var buffer: [UInt8] = []
        ResponseSerializer.write(response, into: &buffer, common: CommonHead(serverName: server, date: date),
                                 isHead: isHead, closing: closing, http10KeepAlive: http10)
        return String(decoding: buffer, as: UTF8.self)
    }

    @Test func writesStatusLineStandardHeadersAndBody() {
        let text = serialize(HTTPResponse(status: .ok, headers: [("Content-Type", "application/json")], body: Array("{}".utf8)))
        #expect(text == "HTTP/1.1 200 OK\r\nServer: capacityd\r\nDate: Tue, 24 Nov 2026 10:00:00 GMT\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}")
    }

    @Test func otherStatusesHaveTheirOwnStatusLine() {
        let text = serialize(HTTPResponse(status: .notFound, body: Array("{}".utf8)), closing: true)
        #expect(text == "HTTP/1.1 404 Not Found\r\nServer: capacityd\r\nDate: Tue, 24 Nov 2026 10:00:00 GMT\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
    }

    @Test func headKeepsContentLengthButNotTheBody() {
        let text = serialize(HTTPResponse(status: .ok, body: Array("hello".utf8)), isHead: true)
        #expect(text.hasSuffix("Content-Length: 5\r\n\r\n"))
    }

    @Test func connectionHeaders() {
        #expect(serialize(HTTPResponse(status: .notFound), closing: true).contains("\r\nConnection: close\r\n"))
        #expect(serialize(HTTPResponse(status: .ok), http10: true).contains("\r\nConnection: keep-alive\r\n"))
        #expect(!serialize(HTTPResponse(status: .ok)).contains("Connection:"))
    }

    @Test(arguments: [0, 7, 10, 99, 100, 12345, 1 << 40])
    func decimal(_ value: Int) {
        var buffer: [UInt8] = []
        ResponseSerializer.appendDecimal(value, to: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == String(value))
    }
}
