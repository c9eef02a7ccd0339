import Bytes
import Testing
@testable import HTTP1

@Suite("ByteSearch.firstIndex: the byte search the parsers use")
struct ByteSearchTests {
    /// Every range of a 150-byte buffer, with the byte at a given place (at and around the 8-, 16- and 64-byte
    /// strides a vector search takes) or nowhere, agrees with a plain walk.
    @Test(arguments: [nil, 0, 1, 7, 8, 15, 16, 17, 31, 63, 64, 65, 79, 127, 128, 149])
    func agreesWithAWalk(_ place: Int?) {
        var buffer = [UInt8](repeating: UInt8(ascii: "a"), count: 150)
        if let place { buffer[place] = ASCII.cr }
        buffer.withUnsafeBufferPointer { bytes in
            for start in 0...bytes.count {
                for end in start...bytes.count {
                    let expected = (start..<end).first { bytes[$0] == ASCII.cr }
                    #expect(ByteSearch.firstIndex(of: ASCII.cr, in: bytes, start..<end) == expected, "\(start)..<\(end)")
                }
            }
        }
    }

    @Test func theFirstOfSeveral() {
        var buffer = [UInt8](repeating: 0, count: 100)
        for place in [90, 40, 41, 3] { buffer[place] = 0xFF }
        buffer.withUnsafeBufferPointer { bytes in
            #expect(ByteSearch.firstIndex(of: 0xFF, in: bytes, 0..<100) == 3)
            #expect(ByteSearch.firstIndex(of: 0xFF, in: bytes, 4..<100) == 40)
            #expect(ByteSearch.firstIndex(of: 0xFF, in: bytes, 42..<100) == 90)
            #expect(ByteSearch.firstIndex(of: 0xFF, in: bytes, 42..<90) == nil)
        }
    }
}
