/// An incremental HTTP/1.x response parser (RFC 9112), for a client. It never touches a socket: the caller hands
/// it the bytes received so far since its request was sent, and, once the server has closed the connection,
/// hands them to `finish`. Interim (1xx) responses are passed over: the outcome is the final response. It is as
/// strict about framing as `RequestParser`: a response whose end two parties could place differently is refused.
/// One parser per request; once complete or invalid it answers the same.
public struct ResponseParser: Sendable {
    public enum Outcome: Sendable {
        /// More bytes are needed (or, for a body that ends when the connection does, `finish`).
        case incomplete
        /// The final response; `consumed` bytes of the buffer belong to it and to the interim responses before it.
        case complete(ReceivedResponse, consumed: Int)
        case invalid(ResponseParseError)
    }

    public let limits: ParserLimits
    private let requestMethod: HTTPMethod
    /// Where the current response begins: after the interim responses before it.
    private var start = 0
    private var state: State = .head(HeadScan())

    private enum State: Sendable {
        case head(HeadScan)
        case body(ReceivedResponse, bodyStart: Int, length: Int)
        case chunkedBody(ReceivedResponse, ChunkedDecoder)
        case untilClose(ReceivedResponse, bodyStart: Int)
        case finished(Outcome)
    }

    /// How the body of a response is delimited (RFC 9112 §6.3).
    enum Framing: Equatable {
        case none
        case length(Int)
        case chunked
        case untilClose
    }

    /// `requestMethod`: the answer to a HEAD has no body, whatever its fields say.
    public init(requestMethod: HTTPMethod, limits: ParserLimits = ParserLimits()) {
        self.requestMethod = requestMethod
        self.limits = limits
    }

    /// Parses `buffer`, everything received since the request was sent.
    public mutating func parse(_ buffer: UnsafeBufferPointer<UInt8>) -> Outcome {
        while true {
            let message = UnsafeBufferPointer(rebasing: buffer[start...])
            switch state {
            case .finished(let outcome):
                return outcome
            case .head(var scan):
                let headEnd: Int
                switch scan.scan(message, limits: limits) {
                case .failure(let error): return finish(.invalid(ResponseParseError(error)))
                case .success(let end?): headEnd = end
                case .success(nil):
                    state = .head(scan)
                    return .incomplete
                }
                let response: ReceivedResponse
                let framing: Framing
                switch Self.parseHead(message, scan: scan, headEnd: headEnd, requestMethod: requestMethod, limits: limits) {
                case .failure(let error): return finish(.invalid(ResponseParseError(error)))
                case .success(let parsed): (response, framing) = parsed
                }
                // RFC 9110 §15.2: an interim response precedes the final one (101 ends HTTP on the connection).
                if (100...199).contains(response.status) && response.status != 101 {
                    start += headEnd
                    state = .head(HeadScan())
                    continue
                }
                switch framing {
                case .none: return finish(.complete(response, consumed: start + headEnd))
                case .length(let length): state = .body(response, bodyStart: headEnd, length: length)
                case .chunked: state = .chunkedBody(response, ChunkedDecoder(start: headEnd, limits: limits))
                case .untilClose: state = .untilClose(response, bodyStart: headEnd)
                }
            case .body(var response, let bodyStart, let length):
                guard message.count - bodyStart >= length else { return .incomplete }
                response.body = Array(message[bodyStart..<bodyStart + length])
                return finish(.complete(response, consumed: start + bodyStart + length))
            case .chunkedBody(var response, var decoder):
                switch decoder.decode(message) {
                case .failure(let error):
                    return finish(.invalid(ResponseParseError(error)))
                case .success(nil):
                    state = .chunkedBody(response, decoder)
                    return .incomplete
                case .success(let end?):
                    response.body = decoder.body
                    return finish(.complete(response, consumed: start + end))
                }
            case .untilClose(_, let bodyStart):
                guard message.count - bodyStart <= limits.maxBodyBytes else { return finish(.invalid(.bodyTooLarge)) }
                return .incomplete
            }
        }
    }

    /// Parses `buffer`, everything the server sent before it closed the connection: the end of a body that
    /// lasts until then, and of any other response, too early.
    public mutating func finish(_ buffer: UnsafeBufferPointer<UInt8>) -> Outcome {
        let outcome = parse(buffer)
        guard case .incomplete = outcome else { return outcome }
        guard case .untilClose(var response, let bodyStart) = state else { return finish(.invalid(.truncated)) }
        response.body = Array(buffer[(start + bodyStart)...])
        return finish(.complete(response, consumed: buffer.count))
    }

    private mutating func finish(_ outcome: Outcome) -> Outcome {
        state = .finished(outcome)
        return outcome
    }

    /// Parses and validates a complete head: the status line (RFC 9112 §4), the field lines (§5) and the framing
    /// they declare (§6.3).
    static func parseHead(_ message: UnsafeBufferPointer<UInt8>, scan: HeadScan, headEnd: Int, requestMethod: HTTPMethod,
                          limits: ParserLimits) -> Result<(ReceivedResponse, Framing), HTTPParseError> {
        guard let lineEnd = scan.startLineEnd else { return .failure(.badRequest("missing status line")) }
        let line = UnsafeBufferPointer(rebasing: message[scan.headStart..<lineEnd])
        let version: HTTPVersion
        let status: Int
        switch parseStatusLine(line) {
        case .failure(let error): return .failure(error)
        case .success(let parsed): (version, status) = parsed
        }
        let storage = Array(message[scan.headStart..<headEnd - 2])
        let headers: HTTPHeaders
        switch FieldSyntax.headers(storage, from: lineEnd + 2 - scan.headStart) {
        case .failure(let error): return .failure(error)
        case .success(let parsed): headers = parsed
        }
        let framing: Framing
        // RFC 9112 §6.3 ¶1: these have no body, whatever their fields declare.
        if requestMethod == .head || (100...199).contains(status) || status == 204 || status == 304 {
            framing = .none
        } else {
            switch Self.framing(of: headers, version: version, limits: limits) {
            case .failure(let error): return .failure(error)
            case .success(let declared): framing = declared
            }
        }
        let keepAlive = framing != .untilClose && status != 101 && keepsAlive(headers, version: version)
        return .success((ReceivedResponse(version: version, status: status, headers: headers, keepAlive: keepAlive), framing))
    }

    /// What the Connection fields say (RFC 9112 §9.3): HTTP/1.1 persists unless one says `close`; HTTP/1.0 only
    /// when one says `keep-alive` (RFC 9112 Appendix C.2.2) and none says `close`.
    private static func keepsAlive(_ headers: HTTPHeaders, version: HTTPVersion) -> Bool {
        var options = (close: false, keepAlive: false)
        headers.forEachField { bytes, name, value in
            if ASCII.equalsLowercase(UnsafeBufferPointer(rebasing: bytes[name]), "connection") {
                let field = FieldSyntax.connectionOptions(UnsafeBufferPointer(rebasing: bytes[value]))
                options = (options.close || field.close, options.keepAlive || field.keepAlive)
            }
            return true
        }
        return !options.close && (version == .http1_1 || options.keepAlive)
    }

    /// HTTP-version SP 3DIGIT SP [ reason-phrase ]; a missing last SP is admitted, as servers that send no reason
    /// write it that way.
    private static func parseStatusLine(_ line: UnsafeBufferPointer<UInt8>) -> Result<(HTTPVersion, Int), HTTPParseError> {
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard line.count >= 12, line[8] == ASCII.space, line[9..<12].allSatisfy(isDigit),
              line.count == 12 || line[12] == ASCII.space else {
            return .failure(.badRequest("malformed status line"))
        }
        let versionBytes = UnsafeBufferPointer(rebasing: line[..<8])
        let version: HTTPVersion
        if ASCII.equal(versionBytes, "HTTP/1.1") {
            version = .http1_1
        } else if ASCII.equal(versionBytes, "HTTP/1.0") {
            version = .http1_0
        } else {
            return .failure(.badRequest("not an HTTP/1.0 or HTTP/1.1 response"))
        }
        let status = line[9..<12].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard status >= 100 else { return .failure(.badRequest("status code below 100")) }
        guard line[12...].allSatisfy(ASCII.isFieldValueByte) else {
            return .failure(.badRequest("control character in reason phrase"))
        }
        return .success((version, status))
    }

    /// The framing the fields declare (RFC 9112 §6.3 ¶¶3–8), with the request parser's strictness: chunked as the
    /// one and only transfer coding, never beside a Content-Length, and one Content-Length at most.
    private static func framing(of headers: HTTPHeaders, version: HTTPVersion,
                                limits: ParserLimits) -> Result<Framing, HTTPParseError> {
        var contentLengths: [Range<Int>] = []
        var transferEncodings: [Range<Int>] = []
        headers.forEachField { bytes, name, value in
            let name = UnsafeBufferPointer(rebasing: bytes[name])
            if ASCII.equalsLowercase(name, "content-length") { contentLengths.append(value) }
            if ASCII.equalsLowercase(name, "transfer-encoding") { transferEncodings.append(value) }
            return true
        }
        if !transferEncodings.isEmpty {
            guard contentLengths.isEmpty else { return .failure(.badRequest("both Content-Length and Transfer-Encoding")) }
            guard version == .http1_1 else { return .failure(.badRequest("Transfer-Encoding in an HTTP/1.0 response")) }
            guard transferEncodings.count == 1, ASCII.equalsIgnoringCase(headers.storage[transferEncodings[0]], "chunked".utf8)
            else { return .failure(.badRequest("Transfer-Encoding other than chunked")) }
            return .success(.chunked)
        }
        guard !contentLengths.isEmpty else { return .success(.untilClose) }
        guard contentLengths.count == 1 else { return .failure(.badRequest("more than one Content-Length")) }
        return FieldSyntax.contentLength(headers.storage[contentLengths[0]], limit: limits.maxBodyBytes)
            .map { $0 > 0 ? .length($0) : .none }
    }
}
