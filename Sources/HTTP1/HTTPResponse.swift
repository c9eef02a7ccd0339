/// A complete response. The body is always in memory: capacityd's answers are small JSON documents.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Facts about the request for the access log, set by whoever answered it; never sent.
    public var accessLogFields: [AccessLogField] = []

    public init(status: HTTPStatus, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// One named fact in a request's access-log record (`"created": true`, `"error": "..."`).
public struct AccessLogField: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case string(String)
        case bool(Bool)
    }

    public let name: String
    public let value: Value

    public init(_ name: String, _ value: Value) {
        self.name = name
        self.value = value
    }
}

/// Writes responses in wire format into a buffer, so that everything a read produced leaves in one `send`.
public enum ResponseSerializer {
    /// Appends `response` to `buffer`. `Content-Length` is always sent, also for HEAD (RFC 9110 §9.3.2), where the
    /// body itself is left out. `closing` adds `Connection: close`; `http10KeepAlive` adds `Connection: keep-alive`
    /// for an HTTP/1.0 client that asked for it.
    public static func write(_ response: HTTPResponse, into buffer: inout [UInt8], date: [UInt8], serverName: [UInt8],
                             isHead: Bool, closing: Bool, http10KeepAlive: Bool) {
        appendLiteral("HTTP/1.1 ", to: &buffer)
        appendDecimal(response.status.code, to: &buffer)
        buffer.append(ASCII.space)
        buffer.append(contentsOf: response.status.reason.utf8)
        appendLiteral("\r\nServer: ", to: &buffer)
        buffer.append(contentsOf: serverName)
        appendLiteral("\r\nDate: ", to: &buffer)
        buffer.append(contentsOf: date)
        appendLiteral("\r\nContent-Length: ", to: &buffer)
        appendDecimal(response.body.count, to: &buffer)
        if closing {
            appendLiteral("\r\nConnection: close", to: &buffer)
        } else if http10KeepAlive {
            appendLiteral("\r\nConnection: keep-alive", to: &buffer)
        }
        for header in response.headers {
            appendLiteral("\r\n", to: &buffer)
            buffer.append(contentsOf: header.name.utf8)
            appendLiteral(": ", to: &buffer)
            buffer.append(contentsOf: header.value.utf8)
        }
        appendLiteral("\r\n\r\n", to: &buffer)
        if !isHead { buffer.append(contentsOf: response.body) }
    }

    /// The interim response to `Expect: 100-continue`.
    public static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// A literal's bytes in one copy (appending a `String`'s UTF-8 view goes through the string's storage checks,
    /// about 150 instructions a call, and a response has a dozen).
    static func appendLiteral(_ text: StaticString, to buffer: inout [UInt8]) {
        text.withUTF8Buffer { buffer.append(contentsOf: $0) }
    }

    static func appendDecimal(_ value: Int, to buffer: inout [UInt8]) {
        if value < 10 {
            buffer.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            while rest > 0 {
                raw[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) { buffer.append(raw[index]) }
        }
    }
}
