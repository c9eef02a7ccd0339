import Testing
@testable import Scaling

@Suite("DimensionID: equal by bytes")
struct DimensionIDEqualityTests {
    /// Every length the comparison treats differently (bytes, two half-words, two words, 16 bytes at a time with
    /// an overlapping last 16), equal and then different at each position.
    @Test(arguments: 0...40)
    func bytesEqualAtEveryLengthAndPosition(_ length: Int) {
        let a = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        a.withUnsafeBytes { a in
            #expect(DimensionID.bytesEqual(a, a))
        }
        for position in 0..<length {
            var b = a
            b[position] ^= 0x20
            a.withUnsafeBytes { a in
                b.withUnsafeBytes { b in
                    #expect(!DimensionID.bytesEqual(a, b), "length \(length), position \(position)")
                }
            }
        }
        (a + [0]).withUnsafeBytes { longer in
            a.withUnsafeBytes { a in
                #expect(!DimensionID.bytesEqual(a, longer))
            }
        }
    }

    /// Two spellings of é are two ids, as they are to AWS and to PostgreSQL.
    @Test func idsCompareTheirBytes() throws {
        #expect(try DimensionID("caf\u{e9}-tables") == DimensionID("caf\u{e9}-tables"))
        #expect(try DimensionID("caf\u{e9}-tables") != DimensionID("cafe\u{301}-tables"))
        #expect(try DimensionID("abc") != DimensionID("abd"))
    }
}
