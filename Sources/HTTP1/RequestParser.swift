/// An incremental HTTP/1.x request parser (RFC 9112). It never touches a socket: the caller hands it the bytes
/// received so far for the current request, from its first byte, and it answers whether a request is complete.
/// Parsing is strict: anything RFC 9112 lets a server reject and that could make two parties disagree about
/// where a message ends is rejected (request smuggling needs exactly such a disagreement).
public struct RequestParser: Sendable {
    public enum Outcome: Sendable {
        /// More bytes are needed.
        case incomplete
        /// The head is complete and valid, the body is not yet: reported once, so the server can answer
        /// `Expect: 100-continue`.
        case headReceived(RequestHead)
        /// A whole request; `consumed` bytes of the buffer belong to it (leading empty lines included).
        case complete(HTTPRequest, consumed: Int)
        /// The request is refused; the connection must be closed after the error response.
        case invalid(HTTPParseError)
    }

    public let limits: ParserLimits
    private var state: State

    private enum State: Sendable {
        case head(HeadScan)
        case body(RequestHead, bodyStart: Int)
        case chunkedBody(RequestHead, ChunkedDecoder)
        case failed(HTTPParseError)
    }

    public init(limits: ParserLimits = ParserLimits()) {
        self.limits = limits
        self.state = .head(HeadScan())
    }

    /// Parses `buffer`, which holds the current request's bytes from its start. After `.complete` the parser is
    /// ready for the next request, whose bytes begin at `consumed`.
    public mutating func parse(_ buffer: UnsafeBufferPointer<UInt8>) -> Outcome {
        switch state {
        case .failed(let error):
            return .invalid(error)
        case .head(var scan):
            switch scan.scan(buffer, limits: limits) {
            case .failure(let error):
                return fail(error)
            case .success(nil):
                state = .head(scan)
                return .incomplete
            case .success(let headEnd?):
                let head: RequestHead
                switch RequestParser.parseHead(buffer, scan: scan, headEnd: headEnd, limits: limits) {
                case .failure(let error): return fail(error)
                case .success(let parsed): head = parsed
                }
                switch head.framing {
                case .none:
                    state = .head(HeadScan())
                    return .complete(HTTPRequest(head: head, body: []), consumed: headEnd)
                case .length:
                    state = .body(head, bodyStart: headEnd)
                case .chunked:
                    state = .chunkedBody(head, ChunkedDecoder(start: headEnd, limits: limits))
                }
                let outcome = parse(buffer)
                if case .incomplete = outcome { return .headReceived(head) }
                return outcome
            }
        case .body(let head, let bodyStart):
            guard case .length(let length) = head.framing, buffer.count - bodyStart >= length else {
                return .incomplete
            }
            state = .head(HeadScan())
            let body = Array(buffer[bodyStart..<bodyStart + length])
            return .complete(HTTPRequest(head: head, body: body), consumed: bodyStart + length)
        case .chunkedBody(let head, var decoder):
            switch decoder.decode(buffer) {
            case .failure(let error):
                return fail(error)
            case .success(nil):
                state = .chunkedBody(head, decoder)
                return .incomplete
            case .success(let end?):
                state = .head(HeadScan())
                return .complete(HTTPRequest(head: head, body: decoder.body), consumed: end)
            }
        }
    }

    private mutating func fail(_ error: HTTPParseError) -> Outcome {
        state = .failed(error)
        return .invalid(error)
    }
}
