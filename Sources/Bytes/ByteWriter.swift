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

    /// An integer's decimal digits, with a minus sign if it is negative (at most 20 bytes).
    public mutating func appendDecimal(_ value: Int) {
        if value < 0 { append(byte: UInt8(ascii: "-")) }
        var digits = 1
        var rest = value.magnitude / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        precondition(count + digits <= space.count, "ByteWriter: no room for a number")
        rest = value.magnitude
        for index in stride(from: count + digits - 1, through: count, by: -1) {
            space[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        count += digits
    }

    /// The most bytes `appendDecimal` writes.
    public static let maxDecimalBytes = 20
}
