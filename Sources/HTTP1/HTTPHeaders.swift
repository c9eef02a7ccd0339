import Glibc

/// The header fields of one message, kept as ranges into a single copy of the bytes they came from so that
/// parsing a request costs two allocations, not one per field. Names compare case-insensitively (RFC 9110 §5.1).
public struct HTTPHeaders: Sendable {
    @usableFromInline var storage: [UInt8]
    @usableFromInline var fields: [(name: Range<Int>, value: Range<Int>)]

    public init() {
        storage = []
        fields = []
    }

    init(storage: [UInt8], fields: [(name: Range<Int>, value: Range<Int>)]) {
        self.storage = storage
        self.fields = fields
    }

    public var count: Int { fields.count }

    public mutating func add(name: String, value: String) {
        let nameStart = storage.count
        storage.append(contentsOf: name.utf8)
        let valueStart = storage.count
        storage.append(contentsOf: value.utf8)
        fields.append((nameStart..<valueStart, valueStart..<storage.count))
    }

    /// Every (name, value) pair in the order received.
    public var all: [(name: String, value: String)] {
        fields.map { (string(at: $0.name), string(at: $0.value)) }
    }

    /// The values of every field called `name`, in order.
    public func values(_ name: String) -> [String] {
        var result: [String] = []
        for field in fields where nameMatches(field.name, name) {
            result.append(string(at: field.value))
        }
        return result
    }

    /// The value of the first field called `name`.
    public subscript(_ name: String) -> String? {
        for field in fields where nameMatches(field.name, name) {
            return string(at: field.value)
        }
        return nil
    }

    /// Whether the field `name` is present and its value equals `value`, both compared case-insensitively.
    public func contains(_ name: String, value: String) -> Bool {
        for field in fields where nameMatches(field.name, name) {
            if ASCII.equalsIgnoringCase(storage[field.value], value.utf8) { return true }
        }
        return false
    }

    func nameMatches(_ range: Range<Int>, _ name: String) -> Bool {
        ASCII.equalsIgnoringCase(storage[range], name.utf8)
    }

    func string(at range: Range<Int>) -> String {
        storage.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }

    func bytes(at range: Range<Int>) -> ArraySlice<UInt8> { storage[range] }
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

    /// field-vchar / SP / HTAB; obs-text (0x80–0xFF) is allowed as RFC 9110 §5.5 permits.
    @inline(__always) static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == tab || (byte >= 0x20 && byte != 0x7F)
    }

    /// Characters allowed in a request-target: visible ASCII only (RFC 9112 §3.2, RFC 3986).
    @inline(__always) static func isTargetByte(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }

    /// Whether `bytes` are exactly `literal`'s: a length check and one comparison (`elementsEqual` with a
    /// `String`'s UTF-8 view walks both a byte at a time through the view's iterator).
    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { expected in
            expected.count == bytes.count && expected.indices.allSatisfy { expected[$0] == bytes[$0] }
        }
    }

    /// The index of the first `byte` within `range` of `buffer`: libc's `memchr`, which compares a vector of bytes
    /// at a time where a loop over a slice costs several instructions per byte.
    static func firstIndex(of byte: UInt8, in buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count, "search outside the buffer")
        guard !range.isEmpty, let base = buffer.baseAddress,
              let found = memchr(base + range.lowerBound, Int32(byte), range.count) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
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
