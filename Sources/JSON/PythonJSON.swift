/// JSON as Python 3's `json.dumps` writes what `json.loads` read, for logs that must match the old Python sample
/// byte for byte: `", "` and `": "` between members, keys in the order sent, strings escaped to ASCII (`\uXXXX`,
/// lower-case hex, surrogate pairs beyond the BMP), integers as written, and other numbers as Python's `repr` of
/// the float they parse to.
public enum PythonJSON {
    /// `json.dumps(json.loads(document))`, or nil if `document` is not one JSON value.
    public static func dumps(_ document: some Collection<UInt8>) -> String? {
        var reader = Reader(bytes: Array(document))
        var out = ""
        guard reader.value(into: &out, depth: 0) else { return nil }
        reader.skipWhitespace()
        return reader.atEnd ? out : nil
    }

    /// Python's `repr(float)` (also what `str(float)` writes): the shortest digits that read back as `value`,
    /// positional with at least one decimal (`1.0`, `0.0001`, `1234567890123456.0`) unless the decimal exponent
    /// is below -4 or above 15 (`1e-05`, `1e+16`, `2.5e+300`).
    public static func floatRepr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        let sign = value.sign == .minus ? "-" : ""
        if value == 0 { return sign + "0.0" }
        // Whole numbers below 10^16, which is what capacities are: the digits and ".0", without the general case's
        // shortest-digits search (it made a logged request a third dearer).
        if value.magnitude < 1e16, value == value.rounded(.towardZero) { return String(Int64(value)) + ".0" }
        let (digits, point) = shortestDigits(abs(value))
        if point <= -4 || point > 16 {
            var mantissa = String(digits.first!)
            if digits.count > 1 { mantissa += "." + digits.dropFirst() }
            let exponent = point - 1
            let magnitude = String(abs(exponent))
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (magnitude.count < 2 ? "0" : "") + magnitude
        }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
        if point >= digits.count { return sign + digits + String(repeating: "0", count: point - digits.count) + ".0" }
        let split = digits.index(digits.startIndex, offsetBy: point)
        return sign + digits[..<split] + "." + digits[split...]
    }

    /// The shortest round-trip digits of a finite positive value (Swift's `description` has them) and the place
    /// of the decimal point: value = 0.DIGITS × 10^point.
    private static func shortestDigits(_ value: Double) -> (digits: String, point: Int) {
        let text = value.description
        let parts = text.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1])! : 0
        let mantissa = parts[0]
        let dot = mantissa.firstIndex(of: ".")
        let whole = dot.map { mantissa[..<$0] } ?? mantissa[...]
        let fraction = dot.map { mantissa[mantissa.index(after: $0)...] } ?? ""
        var digits = Substring(whole + fraction)
        var point = whole.count + exponent
        while digits.first == "0" {
            digits = digits.dropFirst()
            point -= 1
        }
        while digits.last == "0" { digits = digits.dropLast() }
        return (String(digits), point)
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index == bytes.count }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func value(into out: inout String, depth: Int) -> Bool {
            skipWhitespace()
            guard depth < JSONParser.maxDepth, index < bytes.count else { return false }
            switch bytes[index] {
            case UInt8(ascii: "{"): return container(close: UInt8(ascii: "}"), into: &out, depth: depth, members: true)
            case UInt8(ascii: "["): return container(close: UInt8(ascii: "]"), into: &out, depth: depth, members: false)
            case UInt8(ascii: "\""):
                guard let text = string() else { return false }
                out += PythonJSON.quoted(text)
                return true
            case UInt8(ascii: "t"): return literal("true", into: &out)
            case UInt8(ascii: "f"): return literal("false", into: &out)
            case UInt8(ascii: "n"): return literal("null", into: &out)
            default: return number(into: &out)
            }
        }

        /// An object keeps its keys in the order sent; a repeated key keeps its first place and its last value,
        /// as a Python dict does.
        private mutating func container(close: UInt8, into out: inout String, depth: Int, members: Bool) -> Bool {
            index += 1
            var items: [(key: String?, value: String)] = []
            if !take(close) {
                repeat {
                    var key: String?
                    if members {
                        skipWhitespace()
                        guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let name = string(),
                              take(UInt8(ascii: ":")) else { return false }
                        key = name
                    }
                    var value = ""
                    guard self.value(into: &value, depth: depth + 1) else { return false }
                    if let key, let earlier = items.firstIndex(where: { $0.key == key }) {
                        items[earlier].value = value
                    } else {
                        items.append((key, value))
                    }
                } while take(UInt8(ascii: ","))
                guard take(close) else { return false }
            }
            let written = items.map { item in item.key.map { PythonJSON.quoted($0) + ": " + item.value } ?? item.value }
            out += members ? "{" + written.joined(separator: ", ") + "}" : "[" + written.joined(separator: ", ") + "]"
            return true
        }

        private mutating func literal(_ word: String, into out: inout String) -> Bool {
            let end = index + word.utf8.count
            guard end <= bytes.count, bytes[index..<end].elementsEqual(word.utf8) else { return false }
            index = end
            out += word
            return true
        }

        /// An integer stays as written (Python reads it as an int; `-0` is 0); anything with a fraction or an
        /// exponent is a float.
        private mutating func number(into out: inout String) -> Bool {
            let start = index
            while index < bytes.count, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
            guard index > start, let token = String(validating: bytes[start..<index], as: UTF8.self) else { return false }
            if token.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }) {
                guard token.dropFirst(token.hasPrefix("-") ? 1 : 0).allSatisfy(\.isNumber) else { return false }
                out += token.allSatisfy { $0 == "-" || $0 == "0" } ? "0" : token
                return true
            }
            guard let value = Double(token) else { return false }
            out += value.isInfinite ? (value < 0 ? "-Infinity" : "Infinity") : PythonJSON.floatRepr(value)
            return true
        }

        /// The string at `index` with its escapes decoded.
        private mutating func string() -> String? {
            index += 1
            var scalars = String.UnicodeScalarView()
            var pendingHigh: UInt32?
            var raw: [UInt8] = []
            func flushRaw() -> Bool {
                guard !raw.isEmpty else { return true }
                guard let text = String(validating: raw, as: UTF8.self) else { return false }
                scalars.append(contentsOf: text.unicodeScalars)
                raw.removeAll()
                return true
            }
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\"") {
                    guard pendingHigh == nil, flushRaw() else { return nil }
                    return String(scalars)
                }
                guard byte == UInt8(ascii: "\\") else {
                    guard pendingHigh == nil else { return nil }
                    raw.append(byte)
                    continue
                }
                guard flushRaw(), index < bytes.count else { return nil }
                let escape = bytes[index]
                index += 1
                if escape == UInt8(ascii: "u") {
                    guard index + 4 <= bytes.count,
                          let code = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16) else { return nil }
                    index += 4
                    if let high = pendingHigh {
                        guard (0xDC00...0xDFFF).contains(code) else { return nil }
                        scalars.append(Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00))!)
                        pendingHigh = nil
                    } else if (0xD800...0xDBFF).contains(code) {
                        pendingHigh = code
                    } else {
                        guard let scalar = Unicode.Scalar(code) else { return nil }
                        scalars.append(scalar)
                    }
                    continue
                }
                guard pendingHigh == nil else { return nil }
                let decoded: Unicode.Scalar
                switch escape {
                case UInt8(ascii: "\""): decoded = "\""
                case UInt8(ascii: "\\"): decoded = "\\"
                case UInt8(ascii: "/"): decoded = "/"
                case UInt8(ascii: "b"): decoded = "\u{8}"
                case UInt8(ascii: "f"): decoded = "\u{C}"
                case UInt8(ascii: "n"): decoded = "\n"
                case UInt8(ascii: "r"): decoded = "\r"
                case UInt8(ascii: "t"): decoded = "\t"
                default: return nil
                }
                scalars.append(decoded)
            }
            return nil
        }
    }

    /// A string as `json.dumps` quotes it with `ensure_ascii=True`: only space to `~` pass as they are.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case " "..."~": out.unicodeScalars.append(scalar)
            default:
                if scalar.value > 0xFFFF {
                    let offset = scalar.value - 0x10000
                    out += hex4(0xD800 + (offset >> 10)) + hex4(0xDC00 + (offset & 0x3FF))
                } else {
                    out += hex4(scalar.value)
                }
            }
        }
        return out + "\""
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
    }
}
