/// A validated dimension id: 1–128 characters of `[A-Za-z0-9._:-]`, never `.` or `..`. The charset is small on
/// purpose: an id is only ever a key, but the old sample used it as a file name, and ids stay portable to any store.
public struct DimensionID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public static let maxLength = 128

    public let value: String

    public init(_ value: String) throws(ScalingError) {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= Self.maxLength else {
            throw .invalidID("A dimension id must be 1 to \(Self.maxLength) characters long")
        }
        guard bytes.allSatisfy(Self.isAllowed) else {
            throw .invalidID("A dimension id may contain only letters, digits, '.', '_', ':' and '-'")
        }
        guard value != ".", value != ".." else { throw .invalidID("A dimension id cannot be '.' or '..'") }
        self.value = value
    }

    /// Decodes a path segment (RFC 3986 percent-encoding), then validates the result.
    public init(percentEncoded segment: Substring) throws(ScalingError) {
        var bytes: [UInt8] = []
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
        guard bytes.allSatisfy(Self.isAllowed) else {
            throw .invalidID("A dimension id may contain only letters, digits, '.', '_', ':' and '-'")
        }
        try self.init(String(decoding: bytes, as: UTF8.self))
    }

    public var description: String { value }

    public static func < (lhs: DimensionID, rhs: DimensionID) -> Bool { lhs.value < rhs.value }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"),
            UInt8(ascii: "-"):
            true
        default:
            false
        }
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
