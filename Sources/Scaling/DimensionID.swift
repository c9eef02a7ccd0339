/// A validated dimension id, as wide as Application Auto Scaling allows (it takes the id from the `ResourceId` a
/// user registers: any Unicode, up to 1,600 characters): 1 to 1,600 bytes of UTF-8 with no control character
/// (C0, DEL, C1) and no `/`, and never `.` or `..`, which a client or proxy would normalise away. An id is only
/// ever a key (no store makes it a file name), so nothing else needs refusing.
///
/// Ids are compared, hashed and ordered by their bytes: two spellings of `é` (precomposed, or `e` and a combining
/// accent) are two ids, as they are to AWS and to PostgreSQL, though Swift's `String` would call them equal.
public struct DimensionID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// In bytes of UTF-8.
    public static let maxLength = 1600

    public let value: String

    public init(_ value: String) throws(ScalingError) {
        let length = value.utf8.count
        guard length >= 1, length <= Self.maxLength else {
            throw .invalidID("A dimension id must be 1 to \(Self.maxLength) bytes of UTF-8 long")
        }
        if let refused = value.unicodeScalars.first(where: Self.isRefused) {
            let code = String(refused.value, radix: 16, uppercase: true)
            throw .invalidID(refused == "/" ? "A dimension id cannot contain '/'"
                                            : "A dimension id cannot contain control characters (U+\(String(repeating: "0", count: max(0, 4 - code.count)) + code))")
        }
        guard value != ".", value != ".." else { throw .invalidID("A dimension id cannot be '.' or '..'") }
        self.value = value
    }

    private init(checked value: String) {
        self.value = value
    }

    /// Decodes a path segment (RFC 3986 percent-encoding) to UTF-8, then validates the result.
    public init(percentEncoded segment: Substring) throws(ScalingError) {
        // Most ids are visible ASCII sent as they are: nothing to decode, and only length and dots to check
        // (over the contiguous bytes: a Substring's UTF-8 view is walked index by index).
        var contiguous = segment
        let plain = contiguous.withUTF8 { bytes in
            guard !bytes.isEmpty, bytes.count <= Self.maxLength else { return false }
            // "." and ".." take the slow path, which refuses them.
            if bytes.count <= 2 && bytes.allSatisfy({ $0 == UInt8(ascii: ".") }) { return false }
            return bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "%") && $0 != UInt8(ascii: "/") }
        }
        if plain {
            // A segment that is its whole string (as the router makes it) is that string: no second copy.
            let whole = contiguous.startIndex == contiguous.base.startIndex && contiguous.endIndex == contiguous.base.endIndex
            self.init(checked: whole ? contiguous.base : String(contiguous))
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(segment.utf8.count)
        var iterator = segment.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue) else {
                throw .invalidID("Malformed percent-encoding in the dimension id")
            }
            bytes.append(high << 4 | low)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalidID("A dimension id must be valid UTF-8")
        }
        try self.init(text)
    }

    public var description: String { value }

    /// The id as one path segment: every byte but RFC 3986's unreserved characters percent-encoded.
    public var pathSegment: String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    // The bytes are read in place (`withContiguousStorageIfAvailable`, which a native string always allows), not
    // through a mutable copy for `withUTF8`, which cost a retain and a release of each string per comparison.
    public static func == (lhs: DimensionID, rhs: DimensionID) -> Bool {
        let equal = lhs.value.utf8.withContiguousStorageIfAvailable { a in
            rhs.value.utf8.withContiguousStorageIfAvailable { b in
                bytesEqual(UnsafeRawBufferPointer(a), UnsafeRawBufferPointer(b))
            }
        }
        return (equal ?? nil) ?? lhs.value.utf8.elementsEqual(rhs.value.utf8)
    }

    /// Whether `a` and `b` hold the same bytes, compared 16 at a time in two words, the last ones overlapping the
    /// ones before them: as few instructions as libc's `memcmp` for an id's length, where `elementsEqual` costs
    /// several a byte.
    static func bytesEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        let count = a.count
        func difference<Word: FixedWidthInteger>(at offset: Int, _: Word.Type) -> Word {
            a.loadUnaligned(fromByteOffset: offset, as: Word.self) ^ b.loadUnaligned(fromByteOffset: offset, as: Word.self)
        }
        func difference16(at offset: Int) -> UInt64 {
            difference(at: offset, UInt64.self) | difference(at: offset + 8, UInt64.self)
        }
        switch count {
        case 0..<4:
            return (0..<count).allSatisfy { a[$0] == b[$0] }
        case 4..<8:
            return difference(at: 0, UInt32.self) | difference(at: count - 4, UInt32.self) == 0
        case 8...16:
            return difference(at: 0, UInt64.self) | difference(at: count - 8, UInt64.self) == 0
        default:
            var offset = 0
            while offset < count - 16 {
                guard difference16(at: offset) == 0 else { return false }
                offset += 16
            }
            return difference16(at: count - 16) == 0
        }
    }

    public func hash(into hasher: inout Hasher) {
        let hashed: Void? = value.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if hashed == nil {
            var bytes = value
            bytes.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    public static func < (lhs: DimensionID, rhs: DimensionID) -> Bool {
        lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
    }

    /// C0 controls, DEL, C1 controls and `/`.
    static func isRefused(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value <= 0x9F) || scalar == "/"
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
