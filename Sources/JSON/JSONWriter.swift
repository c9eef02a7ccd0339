/// Appends JSON text to a byte buffer. The caller writes structure (braces, commas); this escapes strings and
/// formats numbers the way the old Python sample printed them (`1.0`, not `1`).
public enum JSONWriter {
    public static func appendString(_ string: String, to out: inout [UInt8]) {
        var string = string
        string.withUTF8 { bytes in
            // Most strings (ids, names, statuses) need no escaping: copied in one go, quotes and all.
            if bytes.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") && $0 != 0x7F }) {
                out.append(addingCapacity: bytes.count + 2) { span in
                    span.append(UInt8(ascii: "\""))
                    span.withUnsafeMutableBufferPointer { space, written in
                        written = space[written...].initialize(fromContentsOf: bytes)
                    }
                    span.append(UInt8(ascii: "\""))
                }
            } else {
                out.append(UInt8(ascii: "\""))
                appendEscaped(bytes, to: &out)
                out.append(UInt8(ascii: "\""))
            }
        }
    }

    private static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0..<0x20, 0x7F:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
    }

    /// A finite double as Swift's shortest round-tripping form: `1.0`, `2.5`, `1e+20`; all valid JSON numbers.
    public static func appendNumber(_ value: Double, to out: inout [UInt8]) {
        precondition(value.isFinite, "JSON has no representation for \(value)")
        // Swift's description writes digits up to 2^53, exponents above.
        if appendWholeNumber(value, atMost: 9_007_199_254_740_992, to: &out) { return }
        out.append(contentsOf: value.description.utf8)
    }

    /// A whole number of magnitude at most `limit` (every capacity) as its digits and `.0`, which is how Swift's
    /// `description` (up to 2^53) and Python's `repr` (below 10^16) write it, without their shortest-digits
    /// search; false, writing nothing, otherwise.
    @inline(__always)
    public static func appendWholeNumber(_ value: Double, atMost limit: Double, to out: inout [UInt8]) -> Bool {
        guard value.magnitude <= limit, value == value.rounded(.towardZero), !(value == 0 && value.sign == .minus) else {
            return false
        }
        appendInteger(Int(value), to: &out)
        out.append(UInt8(ascii: "."))
        out.append(UInt8(ascii: "0"))
        return true
    }

    /// A literal's bytes in one copy into `out`'s spare capacity (appending a String's UTF-8 view goes through the
    /// generic path per call; `append(contentsOf:)` of a buffer costs twice this).
    @inline(__always)
    public static func appendLiteral(_ literal: StaticString, to out: inout [UInt8]) {
        literal.withUTF8Buffer { bytes in
            out.append(addingCapacity: bytes.count) { span in
                span.withUnsafeMutableBufferPointer { space, written in
                    written = space.initialize(fromContentsOf: bytes)
                }
            }
        }
    }

    /// Digits written straight into `out`'s spare capacity (no intermediate String, no per-digit `append` with
    /// its checks: the access log writes several numbers per line).
    public static func appendInteger(_ value: Int, to out: inout [UInt8]) {
        var digits = 1
        var rest = value.magnitude / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        let length = digits + (value < 0 ? 1 : 0)
        out.append(addingCapacity: length) { span in
            span.withUnsafeMutableBufferPointer { space, written in
                if value < 0 { space[0] = UInt8(ascii: "-") }
                var rest = value.magnitude
                for index in stride(from: length - 1, through: length - digits, by: -1) {
                    space[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                written = length
            }
        }
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
