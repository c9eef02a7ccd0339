import Bytes

/// The header fields of one message: the field lines' bytes as the parser validated them, one copy, and nothing
/// else. A field is found by walking the lines (`forEachField`): a request has a handful and is asked about a
/// handful, and a table of ranges would be a second allocation for every request (callgrind: ~300 instructions of
/// a `GET /time`). Names compare case-insensitively (RFC 9110 §5.1).
public struct HTTPHeaders: Sendable {
    /// A request head's bytes from its target on (`RequestHead` reads the target there: one allocation for the
    /// whole head), or a response's from its status line; from `fieldsStart` to the end, `name: value` lines, each
    /// ending in CRLF; each name a token with its colon right after it, each value field bytes: what `FieldSyntax`
    /// lets through, and what `forEachField` relies on.
    let storage: [UInt8]
    let fieldsStart: Int
    public let count: Int

    init(storage: [UInt8], fieldsStart: Int, count: Int) {
        self.storage = storage
        self.fieldsStart = fieldsStart
        self.count = count
    }

    /// Calls `body` with the bytes and each field's name and value (without surrounding whitespace), in order,
    /// until it returns false.
    func forEachField(_ body: (UnsafeBufferPointer<UInt8>, _ name: Range<Int>, _ value: Range<Int>) -> Bool) {
        storage.withUnsafeBufferPointer { bytes in
            var lineStart = fieldsStart
            while lineStart < bytes.count {
                let lineEnd = ByteSearch.firstIndex(of: ASCII.cr, in: bytes, lineStart..<bytes.count) ?? bytes.count
                let colon = ByteSearch.firstIndex(of: ASCII.colon, in: bytes, lineStart..<lineEnd) ?? lineEnd
                let value = Self.value(in: bytes, from: min(colon + 1, lineEnd), to: lineEnd)
                guard body(bytes, lineStart..<colon, value) else { return }
                lineStart = lineEnd + 2
            }
        }
    }

    /// A field's value between its colon and its line's end: without the whitespace around it (RFC 9112 §5).
    static func value(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Range<Int> {
        var start = start
        var end = end
        while start < end && ASCII.isWhitespace(bytes[start]) { start += 1 }
        while end > start && ASCII.isWhitespace(bytes[end - 1]) { end -= 1 }
        return start..<end
    }

    /// Every (name, value) pair in the order received.
    public var all: [(name: String, value: String)] {
        var result: [(name: String, value: String)] = []
        forEachField { bytes, name, value in
            result.append((Self.string(bytes, name), Self.string(bytes, value)))
            return true
        }
        return result
    }

    /// The values of every field called `name`, in order.
    public func values(_ name: String) -> [String] {
        var result: [String] = []
        forEachField { bytes, field, value in
            if Self.matches(bytes, field, name) { result.append(Self.string(bytes, value)) }
            return true
        }
        return result
    }

    /// The value of the first field called `name`.
    public subscript(_ name: String) -> String? {
        var result: String?
        forEachField { bytes, field, value in
            guard Self.matches(bytes, field, name) else { return true }
            result = Self.string(bytes, value)
            return false
        }
        return result
    }

    /// Whether the field `name` is present and its value equals `value`, both compared case-insensitively.
    public func contains(_ name: String, value: String) -> Bool {
        var found = false
        forEachField { bytes, field, fieldValue in
            found = Self.matches(bytes, field, name)
                && ASCII.equalsIgnoringCase(UnsafeBufferPointer(rebasing: bytes[fieldValue]), value.utf8)
            return !found
        }
        return found
    }

    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ name: String) -> Bool {
        ASCII.equalsIgnoringCase(UnsafeBufferPointer(rebasing: bytes[range]), name.utf8)
    }

    private static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}

/// Byte classes of RFC 9110 §5.6.2 and RFC 5234, as table look-ups.
enum ASCII {
    static let cr: UInt8 = 13
    static let lf: UInt8 = 10
    static let space: UInt8 = 32
    static let tab: UInt8 = 9
    static let colon: UInt8 = 58

    /// tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    static let isTokenTable: [Bool] = (0..<256).map { byte in
        switch UInt8(byte) {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(UInt8(byte))
        }
    }

    @inline(__always) static func isToken(_ byte: UInt8) -> Bool { isTokenTable[Int(byte)] }

    /// OWS: SP or HTAB (RFC 9110 §5.6.3).
    @inline(__always) static func isWhitespace(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    /// field-vchar / SP / HTAB; obs-text (0x80–0xFF) is allowed as RFC 9110 §5.5 permits.
    @inline(__always) static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == tab || (byte >= 0x20 && byte != 0x7F)
    }

    /// Whether every byte may be in a request-target, visible ASCII only (RFC 9112 §3.2, RFC 3986): without an
    /// early exit, which lets the compiler check a vector of bytes at a time (a target is the longest run checked
    /// byte by byte, ~7 instructions a byte in a plain loop).
    static func areTargetBytes(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var outside: UInt8 = 0
        // 0x21...0x7E, shifted down to 0...0x5D: one unsigned comparison a byte.
        for byte in bytes { outside |= byte &- 0x21 >= 0x5E ? 1 : 0 }
        return outside == 0
    }

    /// Whether `bytes` are exactly `literal`'s: a length check and one comparison (`elementsEqual` with a
    /// `String`'s UTF-8 view walks both a byte at a time through the view's iterator).
    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { expected in
            expected.count == bytes.count && expected.indices.allSatisfy { expected[$0] == bytes[$0] }
        }
    }

    @inline(__always) static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// Whether `bytes`, lowercased, are exactly `lowercase` (a lowercase literal).
    static func equalsLowercase(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercase: StaticString) -> Bool {
        lowercase.withUTF8Buffer { expected in
            expected.count == bytes.count && expected.indices.allSatisfy { expected[$0] == lowercased(bytes[$0]) }
        }
    }

    static func equalsIgnoringCase<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { lowercased($0) == lowercased($1) }
    }
}
