import Bytes

/// Appends JSON text to a byte buffer. The caller writes structure (braces, commas); this escapes strings and
/// formats numbers the way the old Python sample printed them (`1.0`, not `1`).
public enum JSONWriter {
    /// The most bytes `appendString` writes for `string`: every byte escaped as `\u00XX`, and the quotes.
    public static func maxBytes(ofString string: String) -> Int {
        maxBytes(ofUTF8Count: string.utf8.count)
    }

    public static func maxBytes(ofUTF8Count count: Int) -> Int {
        6 * count + 2
    }

    /// The most bytes `appendNumber` writes (Swift's longest `description` of a finite double is 24 bytes).
    public static let maxNumberBytes = 32

    public static func appendString(_ string: String, to out: inout [UInt8]) {
        ByteWriter.append(to: &out, atMost: maxBytes(ofString: string)) { appendString(string, to: &$0) }
    }

    public static func appendString(_ string: String, to out: inout ByteWriter) {
        var string = string
        string.withUTF8 { appendString(utf8: $0, to: &out) }
    }

    /// A string given as its UTF-8 (valid UTF-8: only the bytes JSON escapes are changed).
    public static func appendString(utf8 bytes: UnsafeBufferPointer<UInt8>, to out: inout ByteWriter) {
        out.append(byte: UInt8(ascii: "\""))
        // Most strings (ids, names, statuses) need no escaping: copied in one go.
        if isPlain(bytes) {
            out.append(bytes)
        } else {
            appendEscaped(bytes, to: &out)
        }
        out.append(byte: UInt8(ascii: "\""))
    }

    /// Whether no byte needs escaping: one table look-up a byte (four comparisons each cost more, callgrind).
    @inline(__always)
    private static func isPlain(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        escapeTable.withUTF8Buffer { table in bytes.allSatisfy { table[Int($0)] == UInt8(ascii: ".") } }
    }

    /// "!" for each byte JSON text escapes (C0 controls, `"`, `\`, DEL), "." for the rest; 256 bytes.
    private static var escapeTable: StaticString {
        """
        !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!..!.............................\
        ............................!..................................!\
        ................................................................\
        ................................................................
        """
    }

    private static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout ByteWriter) {
        let hex: StaticString = "0123456789abcdef"
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out.append("\\\"")
            case UInt8(ascii: "\\"): out.append("\\\\")
            case 0x0A: out.append("\\n")
            case 0x0D: out.append("\\r")
            case 0x09: out.append("\\t")
            case 0..<0x20, 0x7F:
                out.append("\\u00")
                hex.withUTF8Buffer { digits in
                    out.append(byte: digits[Int(byte >> 4)])
                    out.append(byte: digits[Int(byte & 0xF)])
                }
            default: out.append(byte: byte)
            }
        }
    }

    /// A finite double as Swift's shortest round-tripping form: `1.0`, `2.5`, `1e+20`; all valid JSON numbers.
    public static func appendNumber(_ value: Double, to out: inout [UInt8]) {
        ByteWriter.append(to: &out, atMost: maxNumberBytes) { appendNumber(value, to: &$0) }
    }

    public static func appendNumber(_ value: Double, to out: inout ByteWriter) {
        precondition(value.isFinite, "JSON has no representation for \(value)")
        // Swift's description writes digits up to 2^53, exponents above.
        if appendWholeNumber(value, atMost: 9_007_199_254_740_992, to: &out) { return }
        out.append(text: value.description)
    }

    /// A whole number of magnitude at most `limit` (every capacity) as its digits and `.0`, which is how Swift's
    /// `description` (up to 2^53) and Python's `repr` (below 10^16) write it, without their shortest-digits
    /// search; false, writing nothing, otherwise.
    public static func appendWholeNumber(_ value: Double, atMost limit: Double, to out: inout [UInt8]) -> Bool {
        guard isWholeNumber(value, atMost: limit) else { return false }
        ByteWriter.append(to: &out, atMost: ByteWriter.maxDecimalBytes + 2) { _ = appendWholeNumber(value, atMost: limit, to: &$0) }
        return true
    }

    @inline(__always)
    public static func appendWholeNumber(_ value: Double, atMost limit: Double, to out: inout ByteWriter) -> Bool {
        guard isWholeNumber(value, atMost: limit) else { return false }
        out.appendDecimal(Int(value))
        out.append(".0")
        return true
    }

    @inline(__always)
    private static func isWholeNumber(_ value: Double, atMost limit: Double) -> Bool {
        value.magnitude <= limit && value == value.rounded(.towardZero) && !(value == 0 && value.sign == .minus)
    }

    /// A literal's bytes in one copy (appending a String's UTF-8 view goes through the generic path per call).
    @inline(__always)
    public static func appendLiteral(_ literal: StaticString, to out: inout [UInt8]) {
        literal.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    /// Digits written straight into `out` (no intermediate String: the access log writes several per line).
    public static func appendInteger(_ value: Int, to out: inout [UInt8]) {
        ByteWriter.append(to: &out, atMost: ByteWriter.maxDecimalBytes) { $0.appendDecimal(value) }
    }

    /// `"name": ` — a member name and its colon.
    public static func appendName(_ name: String, to out: inout [UInt8]) {
        appendString(name, to: &out)
        out.append(contentsOf: ": ".utf8)
    }

    /// A whole value, objects with their names sorted so that output is stable.
    public static func append(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number): appendNumber(number, to: &out)
        case .string(let string): appendString(string, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (offset, item) in items.enumerated() {
                if offset > 0 { out.append(contentsOf: ", ".utf8) }
                append(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (offset, name) in members.keys.sorted().enumerated() {
                if offset > 0 { out.append(contentsOf: ", ".utf8) }
                appendName(name, to: &out)
                append(members[name]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
