/// Decodes a chunked body (RFC 9112 §7.1) incrementally from a buffer that keeps every byte of the request.
/// Chunk extensions are accepted and ignored (bounded in length); trailer fields are validated and discarded.
struct ChunkedDecoder: Sendable {
    /// Longest chunk-size line with its extensions; a line that never ends is not allowed to grow forever.
    static let maxSizeLineBytes = 1024

    private(set) var body: [UInt8] = []
    private var position: Int
    private var state: State = .sizeLine
    private var trailerBytes = 0
    private var trailerCount = 0
    private let limits: ParserLimits

    private enum State: Sendable {
        case sizeLine
        case data(remaining: Int)
        case dataEnd
        case trailers
    }

    init(start: Int, limits: ParserLimits) {
        self.position = start
        self.limits = limits
    }

    /// Advances over `buffer`; answers the index after the body when it is complete, nil when more is needed.
    mutating func decode(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<Int?, HTTPParseError> {
        while true {
            switch state {
            case .sizeLine:
                let end: Int
                switch findLineEnd(buffer, maxLength: Self.maxSizeLineBytes, tooLong: .badRequest("chunk size line too long")) {
                case .failure(let error)?: return .failure(error)
                case .success(let found)?: end = found
                case nil: return .success(nil)
                }
                let size: Int
                switch Self.parseSizeLine(UnsafeBufferPointer(rebasing: buffer[position..<end])) {
                case .failure(let error): return .failure(error)
                case .success(let parsed): size = parsed
                }
                position = end + 2
                if size == 0 {
                    state = .trailers
                } else {
                    guard size <= limits.maxBodyBytes - body.count else { return .failure(.contentTooLarge) }
                    state = .data(remaining: size)
                }
            case .data(let remaining):
                let available = min(remaining, buffer.count - position)
                guard available > 0 else { return .success(nil) }
                body.append(contentsOf: buffer[position..<position + available])
                position += available
                state = available == remaining ? .dataEnd : .data(remaining: remaining - available)
            case .dataEnd:
                guard buffer.count - position >= 2 else {
                    if buffer.count > position && buffer[position] != ASCII.cr {
                        return .failure(.badRequest("chunk data not followed by CRLF"))
                    }
                    return .success(nil)
                }
                guard buffer[position] == ASCII.cr && buffer[position + 1] == ASCII.lf else {
                    return .failure(.badRequest("chunk data not followed by CRLF"))
                }
                position += 2
                state = .sizeLine
            case .trailers:
                let end: Int
                switch findLineEnd(buffer, maxLength: limits.maxHeaderBytes - trailerBytes, tooLong: .headerFieldsTooLarge) {
                case .failure(let error)?: return .failure(error)
                case .success(let found)?: end = found
                case nil: return .success(nil)
                }
                if end == position { return .success(end + 2) }
                trailerBytes += end + 2 - position
                trailerCount += 1
                guard trailerCount <= limits.maxHeaderCount else { return .failure(.headerFieldsTooLarge) }
                guard Self.isValidTrailer(UnsafeBufferPointer(rebasing: buffer[position..<end])) else {
                    return .failure(.badRequest("malformed trailer field"))
                }
                position = end + 2
            }
        }
    }

    /// The index of the CR of the next CRLF at or after `position`, or nil if it has not arrived; a bare CR or LF,
    /// or more than `maxLength` bytes before the CRLF, is an error. Each rule is checked at the byte that breaks
    /// it, so the verdict does not depend on how the body was cut into reads.
    private func findLineEnd(_ buffer: UnsafeBufferPointer<UInt8>, maxLength: Int,
                             tooLong: HTTPParseError) -> Result<Int, HTTPParseError>? {
        var index = position
        while index < buffer.count {
            let byte = buffer[index]
            if byte == ASCII.lf { return .failure(.badRequest("bare LF")) }
            if byte == ASCII.cr {
                guard index + 1 < buffer.count else { return nil }
                return buffer[index + 1] == ASCII.lf ? .success(index) : .failure(.badRequest("bare CR"))
            }
            if index - position >= maxLength { return .failure(tooLong) }
            index += 1
        }
        return nil
    }

    /// chunk-size [ chunk-ext ]: 1*HEXDIG, then nothing or extensions starting with ";" after optional BWS.
    static func parseSizeLine(_ line: UnsafeBufferPointer<UInt8>) -> Result<Int, HTTPParseError> {
        var size = 0
        var index = 0
        while index < line.count, let digit = hexValue(line[index]) {
            guard size <= (Int.max - 15) / 16 else { return .failure(.contentTooLarge) }
            size = size * 16 + digit
            index += 1
        }
        guard index > 0 else { return .failure(.badRequest("malformed chunk size")) }
        var rest = index
        while rest < line.count && (line[rest] == ASCII.space || line[rest] == ASCII.tab) { rest += 1 }
        if rest < line.count {
            guard isValidExtensionList(UnsafeBufferPointer(rebasing: line[rest...])) else {
                return .failure(.badRequest("malformed chunk extension"))
            }
        } else if rest != index {
            return .failure(.badRequest("malformed chunk size"))
        }
        return .success(size)
    }

    /// `*( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )`, starting at the first ";". Strict,
    /// because a lenient reading here is exactly where front ends and back ends disagree about where a chunk ends.
    static func isValidExtensionList(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        func skipWhitespace() {
            while index < text.count && (text[index] == ASCII.space || text[index] == ASCII.tab) { index += 1 }
        }
        func token() -> Bool {
            let start = index
            while index < text.count && ASCII.isToken(text[index]) { index += 1 }
            return index > start
        }
        func quotedString() -> Bool {
            guard index < text.count, text[index] == UInt8(ascii: "\"") else { return false }
            index += 1
            while index < text.count {
                let byte = text[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return true
                }
                if byte == UInt8(ascii: "\\") {
                    index += 1
                    guard index < text.count, ASCII.isFieldValueByte(text[index]) else { return false }
                } else if !ASCII.isFieldValueByte(byte) {
                    return false
                }
                index += 1
            }
            return false
        }
        while index < text.count {
            skipWhitespace()
            guard index < text.count, text[index] == UInt8(ascii: ";") else { return false }
            index += 1
            skipWhitespace()
            guard token() else { return false }
            skipWhitespace()
            if index < text.count && text[index] == UInt8(ascii: "=") {
                index += 1
                skipWhitespace()
                guard token() || quotedString() else { return false }
                skipWhitespace()
            }
        }
        return true
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private static func isValidTrailer(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let colon = line.firstIndex(of: ASCII.colon), colon > 0 else { return false }
        return line[..<colon].allSatisfy(ASCII.isToken) && line[(colon + 1)...].allSatisfy(ASCII.isFieldValueByte)
    }
}
