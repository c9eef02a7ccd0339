/// An incremental HTTP/1.x request parser (RFC 9112). It never touches a socket: the caller hands it the bytes
/// received so far for the current request, from its first byte, and it answers whether a request is complete.
/// It remembers how far it has looked, so a head that arrives one byte at a time is scanned once, not once per
/// byte. Parsing is strict: anything RFC 9112 lets a server reject and that could make two parties disagree about
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

    /// Progress of the search for the blank line that ends the head.
    struct HeadScan: Sendable {
        var scanned = 0
        var headStart = 0
        var lineStart = 0
        var requestLineEnd: Int?
        var fieldCount = 0
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
            switch scanHead(buffer, &scan) {
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

    /// Finds the end of the head (the index after its blank line), rejecting bare CR and bare LF (RFC 9112 §2.2)
    /// and enforcing the size limits. Every rule is checked at the byte that breaks it, so the verdict on a stream is
    /// the same however it is cut into reads (the request-parser fuzz check holds it to that). The bytes between
    /// line feeds are searched, not walked one by one: a bare CR is a CR that a byte other than LF follows, and a
    /// limit is a position in the line.
    private func scanHead(_ buffer: UnsafeBufferPointer<UInt8>, _ scan: inout HeadScan) -> Result<Int?, HTTPParseError> {
        var index = scan.scanned
        while index < buffer.count {
            let lineFeed = ASCII.firstIndex(of: ASCII.lf, in: buffer, index..<buffer.count)
            let end = lineFeed ?? buffer.count
            if index < end, let error = firstError(in: buffer, index..<end, scan) { return .failure(error) }
            guard let lineFeed else { break }
            index = lineFeed
            guard index > 0, buffer[index - 1] == ASCII.cr else { return .failure(.badRequest("bare LF")) }
            let lineLength = index - 1 - scan.lineStart
            if let requestLineEnd = scan.requestLineEnd {
                if lineLength == 0 {
                    scan.scanned = index + 1
                    return .success(index + 1)
                }
                scan.fieldCount += 1
                if scan.fieldCount > limits.maxHeaderCount { return .failure(.headerFieldsTooLarge) }
                if index + 1 - (requestLineEnd + 2) > limits.maxHeaderBytes {
                    return .failure(.headerFieldsTooLarge)
                }
            } else if lineLength == 0 {
                // RFC 9112 §2.2: empty lines before the request line are ignored (at most a request line's worth).
                scan.headStart = index + 1
                if scan.headStart > limits.maxRequestLineBytes { return .failure(.uriTooLong) }
            } else {
                if lineLength > limits.maxRequestLineBytes { return .failure(.uriTooLong) }
                scan.requestLineEnd = index - 1
            }
            scan.lineStart = index + 1
            index += 1
        }
        scan.scanned = buffer.count
        return .success(nil)
    }

    /// The error of the first byte in `bytes` (none of them a LF, all in the current line) that breaks a rule: one
    /// that follows a CR (a bare CR), or one past the line's size limit (+2 for the head: the blank line that ends
    /// it does not count, and may have started arriving; +1 for the request line: its CR may be here already).
    private func firstError(in buffer: UnsafeBufferPointer<UInt8>, _ bytes: Range<Int>, _ scan: HeadScan) -> HTTPParseError? {
        // Earlier CRs of this line were followed by a byte already scanned, and so were refused then.
        let searchFrom = max(scan.lineStart, bytes.lowerBound - 1)
        let bareCR = ASCII.firstIndex(of: ASCII.cr, in: buffer, searchFrom..<bytes.upperBound).map { $0 + 1 }
        let limit = scan.requestLineEnd.map { $0 + limits.maxHeaderBytes + 4 }
            ?? scan.lineStart + limits.maxRequestLineBytes + 1
        let overLimit = max(limit, bytes.lowerBound)
        if let bareCR, bareCR < bytes.upperBound, bareCR <= overLimit { return .badRequest("bare CR") }
        if overLimit < bytes.upperBound { return scan.requestLineEnd == nil ? .uriTooLong : .headerFieldsTooLarge }
        return nil
    }
}
