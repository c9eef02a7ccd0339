/// Writes a message of many small pieces (a response head, a JSON document, a log line) into an array's spare
/// capacity with one `append`. Appending each piece to the array costs 90 to 150 instructions of uniqueness and
/// capacity checks (callgrind); here the caller bounds the whole message first, and each piece is one copy.
///
/// Every write is bounds-checked: a piece that does not fit traps (the standard library's
/// `initialize(fromContentsOf:)` does for copies) rather than writing past the reserved bytes. A writer lives only
/// inside `append(to:atMost:_:)`, and cannot be copied out of it.
public struct ByteWriter: ~Copyable {
    private let space: UnsafeMutableBufferPointer<UInt8>
    /// Bytes written so far.
    public private(set) var count = 0

    private init(space: UnsafeMutableBufferPointer<UInt8>) {
        self.space = space
    }

    /// Appends to `array` what `write` writes: at most `bound` bytes, or the program stops.
    @inline(__always)
    public static func append(to array: inout [UInt8], atMost bound: Int, _ write: (inout ByteWriter) -> Void) {
        array.append(addingCapacity: bound) { span in
            span.withUnsafeMutableBufferPointer { space, written in
                var writer = ByteWriter(space: UnsafeMutableBufferPointer(rebasing: space[written...]))
                write(&writer)
                written += writer.count
            }
        }
    }

    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        count = space[count...].initialize(fromContentsOf: bytes)
    }

    public mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { append($0) }
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    /// A string's UTF-8, copied from its contiguous storage.
    public mutating func append(text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    public mutating func append(byte: UInt8) {
        precondition(count < space.count, "ByteWriter: no room for a byte")
        space[count] = byte
        count += 1
    }

    /// An integer's decimal digits, with a minus sign if it is negative (at most 20 bytes). The length is found
    /// by comparisons, and the digits are written two at a time from a table: half the divisions.
    public mutating func appendDecimal(_ value: Int) {
        if value < 0 { append(byte: UInt8(ascii: "-")) }
        var rest = value.magnitude
        var digits = 1
        var power: UInt = 10
        while digits < 20 && rest >= power {
            digits += 1
            power = power &* 10
        }
        precondition(count + digits <= space.count, "ByteWriter: no room for a number")
        var index = count + digits
        Self.digitPairs.withUTF8Buffer { pairs in
            while rest >= 100 {
                let pair = Int(rest % 100) * 2
                rest /= 100
                space[index - 1] = pairs[pair + 1]
                space[index - 2] = pairs[pair]
                index -= 2
            }
            if rest >= 10 {
                let pair = Int(rest) * 2
                space[index - 1] = pairs[pair + 1]
                space[index - 2] = pairs[pair]
            } else {
                space[index - 1] = UInt8(ascii: "0") + UInt8(rest)
            }
        }
        count += digits
    }

    /// "00" to "99". (Computed, like `maxDecimalBytes`: a literal needs no lazily initialized global.)
    private static var digitPairs: StaticString {
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
    }

    /// The most bytes `appendDecimal` writes.
    public static var maxDecimalBytes: Int { 20 }
}
