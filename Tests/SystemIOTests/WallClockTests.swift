import Foundation
import Testing
@testable import SystemIO

@Suite("Calendar stamps by arithmetic, held to gmtime")
struct WallClockTests {
    /// The reference: glibc's gmtime_r and printf-style formatting, as the stamp was made before.
    private func reference(_ milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millisecond = ((milliseconds % 1000) + 1000) % 1000
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, Int32(millisecond))
    }

    @Test(arguments: [Int64(0), 999, 1000, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */,
                      4_107_542_399_999 /* 2100-02-28T23:59:59.999 */, 4_107_542_400_000, 1_796_439_004_123,
                      253_402_300_799_999 /* 9999-12-31T23:59:59.999 */])
    func knownInstants(_ milliseconds: Int64) {
        #expect(WallClock.iso8601(epochMilliseconds: milliseconds) == reference(milliseconds))
    }

    @Test func randomInstantsFrom1970To2400() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let milliseconds = Int64.random(in: 0...13_569_465_600_000, using: &generator)
            #expect(WallClock.iso8601(epochMilliseconds: milliseconds) == reference(milliseconds))
        }
    }

    @Test func beforeTheEpoch() {
        for milliseconds: Int64 in [-1, -999, -1000, -86_400_001] {
            #expect(WallClock.iso8601(epochMilliseconds: milliseconds) == reference(milliseconds))
        }
    }

    /// The same instants as the `Date` header, held to glibc's strftime in the C locale.
    private func referenceIMFFixdate(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var text = [CChar](repeating: 0, count: 64)
        let count = strftime(&text, text.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: text[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test(arguments: [(0, "Thu, 01 Jan 1970 00:00:00 GMT"), (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
                      (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"), (1_795_528_033, "Tue, 24 Nov 2026 13:47:13 GMT"),
                      (-1, "Wed, 31 Dec 1969 23:59:59 GMT")])
    func imfFixdate(_ seconds: Int, _ expected: String) {
        #expect(String(decoding: WallClock.imfFixdate(epochSeconds: seconds), as: UTF8.self) == expected)
    }

    @Test func imfFixdateOfRandomInstantsFrom1970To2400() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let seconds = Int.random(in: 0...13_569_465_600, using: &generator)
            #expect(String(decoding: WallClock.imfFixdate(epochSeconds: seconds), as: UTF8.self) == referenceIMFFixdate(seconds))
        }
    }
}
