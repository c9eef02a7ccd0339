import Crypto
import Testing

@Suite("Base64: RFC 4648's vectors, both alphabets, strict decoding")
struct Base64Tests {
    /// §10's vectors, padded, in the standard alphabet; decoding gives the input back.
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648(_ input: String, _ expected: String) throws {
        #expect(Base64.encode(Array(input.utf8)) == expected)
        #expect(try Base64.decode(expected) == Array(input.utf8))
    }

    /// The two characters that differ between the alphabets, and the padding only the standard one writes.
    @Test(arguments: [
        ([0xfb, 0xff, 0xbf], Base64.Alphabet.standard, "+/+/"), ([0xfb, 0xff, 0xbf], .url, "-_-_"),
        ([0xfb, 0xf0], .standard, "+/A="), ([0xfb, 0xf0], .url, "-_A"),
    ])
    func alphabets(_ bytes: [UInt8], _ alphabet: Base64.Alphabet, _ expected: String) {
        #expect(Base64.encode(bytes, alphabet: alphabet) == expected)
    }

    @Test func everyByteValueSurvives() throws {
        let bytes = (0...255).map(UInt8.init)
        for length in 0...bytes.count {
            #expect(try Base64.decode(Base64.encode(bytes.prefix(length))) == Array(bytes.prefix(length)))
        }
    }

    @Test(arguments: [
        ("Zg", Base64Error.length(2)), ("Zg=", .length(3)), ("Zm9vY", .length(5)),
        ("Zg=\n", .character(offset: 2)),  // four characters, but `=` is not at the end
        ("Z===", .character(offset: 1)), ("====", .character(offset: 0)), ("Zg==Zg==", .character(offset: 2)),
        ("Zm9v Zg=", .character(offset: 4)), ("-_-_", .character(offset: 0)), ("Zm9\u{e9}", .length(5)),
        ("Zh==", .trailingBits), ("Zm9=", .trailingBits),
    ])
    func refused(_ text: String, _ error: Base64Error) {
        #expect(throws: error) { try Base64.decode(text) }
    }
}
