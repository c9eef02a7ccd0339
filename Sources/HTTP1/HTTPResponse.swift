import Bytes

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
    /// Appends `response` to `buffer`. `Content-Length` is sent with every status but 304, also for HEAD (RFC 9110
    /// §9.3.2), where the body itself is left out. `closing` adds `Connection: close`; `http10KeepAlive` adds `Connection: keep-alive`
    /// for an HTTP/1.0 client that asked for it.
    ///
    /// The message's size is bounded up front and written in one `append` (`ByteWriter`): an `append(contentsOf:)`
    /// per piece cost 2,000 instructions of a 14,000-instruction `GET /time` (callgrind).
    public static func write(_ response: HTTPResponse, into buffer: inout [UInt8], common: CommonHead,
                             isHead: Bool, closing: Bool, http10KeepAlive: Bool) {
        let start = response.status == .ok ? common.okStart : common.start(response.status)
        var bound = fixedHeadBytes + start.count
        for header in response.headers { bound += 4 + header.name.utf8.count + header.value.utf8.count }
        if !isHead { bound += response.body.count }
        ByteWriter.append(to: &buffer, atMost: bound) { out in
            out.append(start)
            // A 304 has no content, and its Content-Length would have to be the 200's (RFC 9110 §8.6): none is sent.
            if response.status != .notModified {
                out.append("\r\nContent-Length: ")
                out.appendDecimal(response.body.count)
            }
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
        }
    }

    /// The head's literal bytes after its start at their longest, with room for a length of 20 digits.
    private static let fixedHeadBytes = "\r\nContent-Length: \r\nConnection: keep-alive\r\n\r\n".utf8.count
        + ByteWriter.maxDecimalBytes

    /// The interim response to `Expect: 100-continue`.
    public static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    static func appendDecimal(_ value: Int, to buffer: inout [UInt8]) {
        ByteWriter.append(to: &buffer, atMost: ByteWriter.maxDecimalBytes) { $0.appendDecimal(value) }
    }
}
