import Testing
@testable import JSON

@Suite struct JSONParserTests {
    @Test(arguments: [
        ("{}", JSONValue.object([:])),
        (" {\"a\": 1, \"b\": [true, false, null]} ", .object(["a": .number(1), "b": .array([.bool(true), .bool(false), .null])])),
        ("-0.5e2", .number(-50)),
        ("0", .number(0)),
        ("\"\\u00e9\\n\\\"\\\\\\/\"", .string("\u{e9}\n\"\\/")),
        ("\"\\ud83d\\ude00\"", .string("\u{1F600}")),
        ("\"caf\u{e9}\"", .string("caf\u{e9}")),
    ])
    func parses(_ row: (String, JSONValue)) throws {
        #expect(try JSONParser.parse(Array(row.0.utf8)) == row.1)
    }

    @Test(arguments: [
        "", "{", "{\"a\"}", "{\"a\": 1,}", "[1,]", "01", "1.", ".5", "-", "1e", "+1", "NaN", "Infinity", "tru", "nul",
        "\"unterminated", "\"\\x\"", "\"\\ud83d\"", "\"\\ude00\"", "\"a\u{1}b\"", "{\"a\": 1, \"a\": 2}", "{} {}", "'a'",
        "{a: 1}", "[1 2]", "\"\\u12\"",
    ])
    func refuses(_ text: String) {
        #expect(throws: JSONError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONError.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
    }

    @Test func boundsNesting() throws {
        let deep = String(repeating: "[", count: JSONParser.maxDepth + 1) + String(repeating: "]", count: JSONParser.maxDepth + 1)
        #expect(throws: JSONError.self) { try JSONParser.parse(Array(deep.utf8)) }
        let allowed = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        _ = try JSONParser.parse(Array(allowed.utf8))
    }

    @Test func hugeNumbersAreInfinite() throws {
        #expect(try JSONParser.parse(Array("1e999".utf8)) == .number(.infinity))
    }
}

@Suite struct JSONWriterTests {
    @Test func escapesStrings() {
        var out: [UInt8] = []
        JSONWriter.appendString("a\"b\\c\nd\u{1}\u{7f}é", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "\"a\\\"b\\\\c\\nd\\u0001\\u007fé\"")
    }

    /// Every ASCII byte, alone and amid plain text: escaped exactly when JSON needs it, and read back as written.
    @Test func everyASCIIByteRoundTrips() throws {
        for byte in UInt8(0)...UInt8(127) {
            let text = "a" + String(UnicodeScalar(byte)) + "b"
            var out: [UInt8] = []
            JSONWriter.appendString(text, to: &out)
            let escaped = byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F
            #expect(out.count == (escaped ? (byte == 0x0A || byte == 0x0D || byte == 0x09 || byte == 0x22 || byte == 0x5C ? 6 : 10) : 5),
                    "byte \(byte)")
            #expect(try JSONParser.parse(out) == .string(text), "byte \(byte)")
        }
    }

    @Test(arguments: [(1.0, "1.0"), (2.5, "2.5"), (0.0, "0.0"), (1e20, "1e+20"), (123456.0, "123456.0")])
    func formatsNumbersAsThePythonSampleDid(_ row: (Double, String)) {
        var out: [UInt8] = []
        JSONWriter.appendNumber(row.0, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == row.1)
    }

    @Test func roundTrips() throws {
        let value = JSONValue.object(["s": .string("x\"y\u{0}"), "n": .number(0.1), "a": .array([.null, .bool(true)])])
        var out: [UInt8] = []
        JSONWriter.append(value, to: &out)
        #expect(try JSONParser.parse(out) == value)
    }
}

@Suite("Integers written digit by digit")
struct IntegerWritingTests {
    @Test(arguments: [0, 7, 9, 10, 99, 100, 1_000, 123_456_789, -1, -10, -987, Int.max, Int.min])
    func sameAsString(_ value: Int) {
        var out: [UInt8] = [UInt8(ascii: "x")]
        JSONWriter.appendInteger(value, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "x" + String(value))
    }
}

@Suite("Numbers: the whole-number fast path writes what description writes")
struct NumberWritingTests {
    @Test(arguments: [0.0, -0.0, 1, 3, -3, 2_147_483_647, 1e15, 9_007_199_254_740_992, 9_999_999_999_999_998, 1e16, 1e17,
                      0.5, 2.5, 1e-7, 123.456, -1e300])
    func sameAsDescription(_ value: Double) {
        var out: [UInt8] = []
        JSONWriter.appendNumber(value, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == value.description)
    }

    @Test func randomWholeAndFractionalNumbers() {
        for _ in 0..<20_000 {
            let whole = Double(Int64.random(in: -20_000_000_000_000_000...20_000_000_000_000_000))
            let fractional = Double.random(in: -1e6...1e6)
            for value in [whole, fractional, whole / 1024] {
                var out: [UInt8] = []
                JSONWriter.appendNumber(value, to: &out)
                #expect(String(decoding: out, as: UTF8.self) == value.description)
            }
        }
    }
}

@Suite("The transition log's whole capacities are Python's repr")
struct PythonWholeNumberTests {
    @Test func sameAsFloatRepr() {
        for _ in 0..<20_000 {
            let value = Double(Int64.random(in: -20_000_000_000_000_000...20_000_000_000_000_000))
            for candidate in [value, value / 1_000_000, 9_999_999_999_999_998, 1e16, 0] {
                var out: [UInt8] = []
                if !JSONWriter.appendWholeNumber(candidate, atMost: 9_999_999_999_999_998, to: &out) {
                    out.append(contentsOf: PythonJSON.floatRepr(candidate).utf8)
                }
                #expect(String(decoding: out, as: UTF8.self) == PythonJSON.floatRepr(candidate))
            }
        }
    }
}
