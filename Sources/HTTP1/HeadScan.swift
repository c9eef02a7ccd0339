import Bytes

/// The search for the blank line that ends a message's head (a request's or a response's), over a buffer that
/// holds the message from its first byte. It remembers how far it has looked, so a head that arrives one byte at
/// a time is scanned once, not once per byte.
struct HeadScan: Sendable {
    var scanned = 0
    /// Where the start line (request line or status line) begins, after any empty lines before it.
    var headStart = 0
    var lineStart = 0
    /// The index of the CR that ends the start line, once it has arrived.
    var startLineEnd: Int?
    var fieldCount = 0

    /// Finds the end of the head (the index after its blank line), rejecting bare CR and bare LF (RFC 9112 §2.2)
    /// and enforcing the size limits: a start line longer than `maxRequestLineBytes` is `.uriTooLong`, too many
    /// field bytes or fields `.headerFieldsTooLarge`. Every rule is checked at the byte that breaks it, so the
    /// verdict on a stream is the same however it is cut into reads (the request-parser fuzz check holds it to
    /// that). The bytes between line feeds are searched, not walked one by one: a bare CR is a CR that a byte
    /// other than LF follows, and a limit is a position in the line.
    mutating func scan(_ buffer: UnsafeBufferPointer<UInt8>, limits: ParserLimits) -> Result<Int?, HTTPParseError> {
        var index = scanned
        while index < buffer.count {
            let lineFeed = ByteSearch.firstIndex(of: ASCII.lf, in: buffer, index..<buffer.count)
            let end = lineFeed ?? buffer.count
            if index < end, let error = firstError(in: buffer, index..<end, limits: limits) { return .failure(error) }
            guard let lineFeed else { break }
            index = lineFeed
            guard index > 0, buffer[index - 1] == ASCII.cr else { return .failure(.badRequest("bare LF")) }
            let lineLength = index - 1 - lineStart
            if let startLineEnd {
                if lineLength == 0 {
                    scanned = index + 1
                    return .success(index + 1)
                }
                fieldCount += 1
                if fieldCount > limits.maxHeaderCount { return .failure(.headerFieldsTooLarge) }
                if index + 1 - (startLineEnd + 2) > limits.maxHeaderBytes {
                    return .failure(.headerFieldsTooLarge)
                }
            } else if lineLength == 0 {
                // RFC 9112 §2.2: empty lines before the request line are ignored (at most a request line's worth).
                headStart = index + 1
                if headStart > limits.maxRequestLineBytes { return .failure(.uriTooLong) }
            } else {
                if lineLength > limits.maxRequestLineBytes { return .failure(.uriTooLong) }
                startLineEnd = index - 1
            }
            lineStart = index + 1
            index += 1
        }
        scanned = buffer.count
        return .success(nil)
    }

    /// The error of the first byte in `bytes` (none of them a LF, all in the current line) that breaks a rule: one
    /// that follows a CR (a bare CR), or one past the line's size limit (+2 for the head: the blank line that ends
    /// it does not count, and may have started arriving; +1 for the start line: its CR may be here already).
    private func firstError(in buffer: UnsafeBufferPointer<UInt8>, _ bytes: Range<Int>,
                            limits: ParserLimits) -> HTTPParseError? {
        // Earlier CRs of this line were followed by a byte already scanned, and so were refused then.
        let searchFrom = max(lineStart, bytes.lowerBound - 1)
        let bareCR = ByteSearch.firstIndex(of: ASCII.cr, in: buffer, searchFrom..<bytes.upperBound).map { $0 + 1 }
        let limit = startLineEnd.map { $0 + limits.maxHeaderBytes + 4 } ?? lineStart + limits.maxRequestLineBytes + 1
        let overLimit = max(limit, bytes.lowerBound)
        if let bareCR, bareCR < bytes.upperBound, bareCR <= overLimit { return .badRequest("bare CR") }
        if overLimit < bytes.upperBound { return startLineEnd == nil ? .uriTooLong : .headerFieldsTooLarge }
        return nil
    }
}
