import Foundation
import JSON
import Testing

/// The transition log writes bodies and capacities as the old sample's Python did; these hold `PythonJSON` to
/// Python 3 itself, on thousands of values made at random (seeded, so a failure repeats).
@Suite("Python's json.dumps and float repr, against python3")
struct PythonCompatibilityTests {
    /// Fails if any finite double is written otherwise than Python's `repr(float)`.
    @Test func floatReprMatchesPython() throws {
        var random = SeededRandom(seed: 0x5eed_f10a7)
        var values: [Double] = [0.0001, 0.00001, 1e15, 1e16, 1e17, 1234567890123456.0, 12345678901234567.0, 0.1, 1.0 / 3,
                                2.5e300, 5e-324, Double.greatestFiniteMagnitude, 2_147_483_647, 1e22, 9.999999999999999e15]
        for _ in 0..<3000 {
            switch random.next() % 3 {
            case 0: values.append(Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF))  // any finite, positive
            case 1: values.append(Double(random.next() % 100_000) / 100 * pow(10, Double(Int(random.next() % 40) - 20)))
            default: values.append(Double(random.next() % 1_000_000_000))
            }
        }
        let input = values.map { String($0.bitPattern, radix: 16) }.joined(separator: "\n") + "\n"
        let script = "import struct, sys\nfor line in sys.stdin: print(repr(struct.unpack('>d', int(line, 16).to_bytes(8, 'big'))[0]))"
        let (status, output) = try runProcess("/usr/bin/python3", ["-c", script], input: input)
        try #require(status == 0, "\(output)")
        let expected = output.split(separator: "\n").map(String.init)
        try #require(expected.count == values.count)
        let mismatches = zip(values, expected).filter { PythonJSON.floatRepr($0) != $1 }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5).map { "\($0): \(PythonJSON.floatRepr($0)) vs \($1)" })")
    }

    /// Fails if any document is re-serialized otherwise than `json.dumps(json.loads(document))`.
    @Test func dumpsMatchesPython() throws {
        var random = SeededRandom(seed: 0xd0c5)
        let documents = (0..<1500).map { _ in randomValue(&random, depth: 0, object: true) }
        let input = documents.joined(separator: "\n") + "\n"
        let script = "import json, sys\nfor line in sys.stdin: print(json.dumps(json.loads(line)))"
        let (status, output) = try runProcess("/usr/bin/python3", ["-c", script], input: input)
        try #require(status == 0, "\(output)")
        let expected = output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        try #require(expected.count == documents.count)
        let mismatches = zip(documents, expected).filter { PythonJSON.dumps(Array($0.utf8)) != $1 }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3).map { "\($0) → \(PythonJSON.dumps(Array($0.utf8)) ?? "nil") vs \($1)" })")
    }

    /// JSON text on one line (no raw line breaks), with random spacing, escapes, numbers and nesting.
    private func randomValue(_ random: inout SeededRandom, depth: Int, object: Bool = false) -> String {
        let space = ["", " ", "  ", "\t"][Int(random.next() % 4)]
        let kind = object ? 0 : Int(random.next() % (depth > 2 ? 4 : 6))
        switch kind {
        case 0:
            let members = (0..<Int(random.next() % 4)).map { _ in
                randomString(&random) + space + ":" + space + randomValue(&random, depth: depth + 1)
            }
            return "{" + space + members.joined(separator: "," + space) + space + "}"
        case 1: return randomString(&random)
        case 2: return randomNumber(&random)
        case 3: return ["true", "false", "null"][Int(random.next() % 3)]
        default:
            let items = (0..<Int(random.next() % 4)).map { _ in randomValue(&random, depth: depth + 1) }
            return "[" + items.joined(separator: "," + space) + "]"
        }
    }

    private func randomNumber(_ random: inout SeededRandom) -> String {
        let sign = random.next() % 4 == 0 ? "-" : ""
        let whole = random.next() % 5 == 0 ? "0" : String(random.next() % 10_000_000_000)
        let fraction = random.next() % 2 == 0 ? "" : "." + String(random.next() % 100_000)
        let exponent = random.next() % 3 != 0 ? "" : ["e", "E"][Int(random.next() % 2)] + ["", "+", "-"][Int(random.next() % 3)]
            + String(random.next() % 30)
        return sign + whole + fraction + exponent
    }

    private func randomString(_ random: inout SeededRandom) -> String {
        let pieces = ["a", "Z", " ", "\\\"", "\\\\", "\\/", "\\n", "\\t", "\\b", "\\f", "\\r", "\\u0000", "\\u001f", "\\u007f",
                      "\u{7F}", "é", "\\u00e9", "€", "\u{1F600}", "\\ud83d\\ude00", "~", "'", "<", "\\uFFFF", "\u{10FFFF}"]
        return "\"" + (0..<Int(random.next() % 6)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined() + "\""
    }
}

/// SplitMix64: the same numbers on every run, so a failure can be repeated.
struct SeededRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
