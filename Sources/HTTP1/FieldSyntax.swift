import Bytes

/// The syntax of field lines and of Content-Length (RFC 9110 §§5, 8.6; RFC 9112 §5), the same in a request and
/// a response: both parsers validate a head's fields here.
enum FieldSyntax {
    /// Validates the field lines from `fieldsStart` on (each CRLF-terminated except the last): what `HTTPHeaders`
    /// relies on to find them again.
    static func headers(_ storage: [UInt8], from fieldsStart: Int) -> Result<HTTPHeaders, HTTPParseError> {
        var count = 0
        // Over the contiguous bytes (an Array's subscript checks its bounds at every byte), each line's end found
        // with memchr: the head scan has refused every CR without its LF.
        let refusal: HTTPParseError? = storage.withUnsafeBufferPointer { bytes in
            var lineStart = fieldsStart
            while lineStart < bytes.count {
                let lineEnd = ByteSearch.firstIndex(of: ASCII.cr, in: bytes, lineStart..<bytes.count) ?? bytes.count
                let first = bytes[lineStart]
                if ASCII.isWhitespace(first) { return .badRequest("obsolete line folding") }
                var colon = lineStart
                while colon < lineEnd && bytes[colon] != ASCII.colon {
                    // RFC 9112 §5.1: no whitespace between the field name and the colon.
                    guard ASCII.isToken(bytes[colon]) else { return .badRequest("invalid header field name") }
                    colon += 1
                }
                guard colon < lineEnd, colon > lineStart else { return .badRequest("malformed header field") }
                for index in HTTPHeaders.value(in: bytes, from: colon + 1, to: lineEnd) where !ASCII.isFieldValueByte(bytes[index]) {
                    return .badRequest("control character in header field value")
                }
                count += 1
                lineStart = lineEnd + 2
            }
            return nil
        }
        if let refusal { return .failure(refusal) }
        return .success(HTTPHeaders(storage: storage, fieldsStart: fieldsStart, count: count))
    }

    /// The `close` and `keep-alive` options of one Connection field's value, a comma list of tokens compared
    /// case-insensitively (RFC 9110 §7.6.1); the others are passed over.
    static func connectionOptions(_ value: UnsafeBufferPointer<UInt8>) -> (close: Bool, keepAlive: Bool) {
        var options = (close: false, keepAlive: false)
        for option in value.split(separator: UInt8(ascii: ",")) {
            let trimmed = option.drop(while: ASCII.isWhitespace).reversed().drop(while: ASCII.isWhitespace).reversed()
            if ASCII.equalsIgnoringCase(trimmed, "close".utf8) { options.close = true }
            if ASCII.equalsIgnoringCase(trimmed, "keep-alive".utf8) { options.keepAlive = true }
        }
        return options
    }

    /// 1*DIGIT, nothing else (RFC 9110 §8.6); a valid length above the limit is refused
    /// (`.contentTooLarge`) before any body is read.
    static func contentLength(_ bytes: ArraySlice<UInt8>, limit: Int) -> Result<Int, HTTPParseError> {
        guard !bytes.isEmpty else { return .failure(.badRequest("empty Content-Length")) }
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else {
                return .failure(.badRequest("malformed Content-Length"))
            }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            if value > limit {
                // Keep validating the syntax, but never overflow: any longer number is over the limit too.
                value = limit + 1
            }
        }
        return value > limit ? .failure(.contentTooLarge) : .success(value)
    }
}
