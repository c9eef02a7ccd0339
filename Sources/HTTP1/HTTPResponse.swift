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

/// What every response head of one server carries within one second, `Server` and `Date`, and the start of a
/// `200 OK` head made from them: the engine refreshes it once a second, and most responses begin with that start
/// copied in one piece (seven pieces and two numbers fewer per response).
public struct CommonHead: Sendable {
    public let serverName: [UInt8]
    public private(set) var date: [UInt8]
    /// `HTTP/1.1 200 OK\r\nServer: …\r\nDate: …`
    private(set) var okStart: [UInt8] = []

    public init(serverName: [UInt8], date: [UInt8]) {
        self.serverName = serverName
        self.date = date
        okStart = start(.ok)
    }

    public mutating func setDate(_ date: [UInt8]) {
        self.date = date
        okStart = start(.ok)
    }

    /// The status line, `Server` and `Date` of a response with `status`.
    func start(_ status: HTTPStatus) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(80 + serverName.count + date.count)
        bytes.append(contentsOf: "HTTP/1.1 ".utf8)
        ResponseSerializer.appendDecimal(status.code, to: &bytes)
        bytes.append(ASCII.space)
        bytes.append(contentsOf: status.reason.utf8)
        bytes.append(contentsOf: "\r\nServer: ".utf8)
        bytes.append(contentsOf: serverName)
        bytes.append(contentsOf: "\r\nDate: ".utf8)
        bytes.append(contentsOf: date)
        return bytes
    }
}

/// Writes responses in wire format into a buffer, so that everything a read produced leaves in one `send`.
public enum ResponseSerializer {
    /// Appends `response` to `buffer`. `Content-Length` is always sent, also for HEAD (RFC 9110 §9.3.2), where the
    /// body itself is left out. `closing` adds `Connection: close`; `http10KeepAlive` adds `Connection: keep-alive`
    /// for an HTTP/1.0 client that asked for it.
    ///
    /// The message's size is bounded up front and every piece is copied into the buffer's spare capacity in one
    /// `append`: an `append(contentsOf:)` per piece costs about 90 instructions of checks, and a head has fifteen
    /// pieces (callgrind: 2,000 instructions of a 14,000-instruction `GET /time`).
    public static func write(_ response: HTTPResponse, into buffer: inout [UInt8], common: CommonHead,
                             isHead: Bool, closing: Bool, http10KeepAlive: Bool) {
        let start = response.status == .ok ? common.okStart : common.start(response.status)
        var bound = fixedHeadBytes + start.count
        for header in response.headers { bound += 4 + header.name.utf8.count + header.value.utf8.count }
        if !isHead { bound += response.body.count }
        buffer.append(addingCapacity: bound) { span in
            span.withUnsafeMutableBufferPointer { space, written in
                var out = MessageWriter(space)
                out.append(start)
                out.append("\r\nContent-Length: ")
                out.appendDecimal(response.body.count)
                if closing {
                    out.append("\r\nConnection: close")
                } else if http10KeepAlive {
                    out.append("\r\nConnection: keep-alive")
                }
                for header in response.headers {
                    out.append("\r\n")
                    out.append(text: header.name)
                    out.append(": ")
                    out.append(text: header.value)
                }
                out.append("\r\n\r\n")
                if !isHead { out.append(response.body) }
                written = out.count
            }
        }
    }

    /// The head's literal bytes after its start at their longest, with room for a length of 20 digits.
    private static let fixedHeadBytes = "\r\nContent-Length: \r\nConnection: keep-alive\r\n\r\n".utf8.count + 20

    /// The interim response to `Expect: 100-continue`.
    public static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    static func appendDecimal(_ value: Int, to buffer: inout [UInt8]) {
        buffer.append(addingCapacity: 20) { span in
            span.withUnsafeMutableBufferPointer { space, written in
                var out = MessageWriter(space)
                out.appendDecimal(value)
                written = out.count
            }
        }
    }
}

/// Copies the pieces of a message into memory the caller reserved, each with one bounds-checked copy (the standard
/// library's `initialize(fromContentsOf:)` traps rather than write past the end).
struct MessageWriter {
    private let space: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    init(_ space: UnsafeMutableBufferPointer<UInt8>) {
        self.space = space
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        count = space[count...].initialize(fromContentsOf: bytes)
    }

    mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { append($0) }
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    mutating func append(text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    /// A non-negative integer's decimal digits.
    mutating func appendDecimal(_ value: Int) {
        precondition(value >= 0, "a negative number in a message head")
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        precondition(count + digits <= space.count, "no room for a number in a message head")
        rest = value
        for index in stride(from: count + digits - 1, through: count, by: -1) {
            space[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        count += digits
    }
}
