import Testing
import Webhooks

/// A random source that always gives the same 64 bits.
struct FixedRandom: RandomNumberGenerator {
    let value: UInt64

    mutating func next() -> UInt64 { value }
}

@Suite("Retry schedules: parsing, and the delay before each attempt")
struct RetryScheduleTests {
    @Test(arguments: [
        ("5s,5m,30m,2h,5h,10h,10h", [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]),
        ("0s", [0]), ("0s,0s", [0, 0]), ("90s", [90]), ("1440m", [86_400]), ("24h", [86_400]), ("007s", [7]),
    ])
    func parsed(_ text: String, _ seconds: [Int]) throws {
        #expect(try RetrySchedule(text).delays == seconds)
    }

    @Test func standardIsStandardWebhooksSchedule() throws {
        #expect(RetrySchedule.standard == (try RetrySchedule("5s,5m,30m,2h,5h,10h,10h")))
        #expect(RetrySchedule.standard.attempts == 8)
        #expect(RetrySchedule.standard.description == "5s,5m,30m,2h,5h,10h,10h")
        #expect((try RetrySchedule("90s,0s,120m")).description == "90s,0s,2h")
    }

    @Test(arguments: [
        ("", RetryScheduleError.empty), ("5s,", .notADelay("")), (",5s", .notADelay("")), ("5s,,5m", .notADelay("")),
        ("5", .notADelay("5")), ("s", .notADelay("s")), ("-5s", .notADelay("-5s")), ("5x", .notADelay("5x")),
        ("5S", .notADelay("5S")), (" 5s", .notADelay(" 5s")), ("5s, 5m", .notADelay(" 5m")), ("1.5h", .notADelay("1.5h")),
        ("+5s", .notADelay("+5s")), ("٥s", .notADelay("٥s")), ("123456789s", .notADelay("123456789s")),
        ("25h", .tooLong("25h")), ("86401s", .tooLong("86401s")), ("1441m", .tooLong("1441m")),
        ("9999999h", .tooLong("9999999h")),
    ])
    func refused(_ text: String, _ error: RetryScheduleError) {
        #expect(throws: error) { try RetrySchedule(text) }
    }

    /// The middle of the random range is no jitter, its ends 10 % less and (a hair under) 10 % more.
    @Test(arguments: [
        (1, UInt64(1) << 63, 5_000), (2, UInt64(1) << 63, 300_000), (7, UInt64(1) << 63, 36_000_000),
        (1, 0, 4_500), (2, 0, 270_000), (7, 0, 32_400_000),
        (1, UInt64.max, 5_500), (4, UInt64.max, 7_920_000), (7, UInt64.max, 39_600_000),
    ])
    func delays(_ attempt: Int, _ random: UInt64, _ milliseconds: Int64) {
        var generator = FixedRandom(value: random)
        #expect(RetrySchedule.standard.delay(afterAttempt: attempt, using: &generator) == .milliseconds(milliseconds))
    }

    /// After the last attempt the delivery is dropped; there is no attempt 0.
    @Test(arguments: [0, 8, 9, -1])
    func noDelay(_ attempt: Int) {
        var generator = FixedRandom(value: 1 << 63)
        #expect(RetrySchedule.standard.delay(afterAttempt: attempt, using: &generator) == nil)
    }

    @Test func zeroStaysZero() throws {
        var generator = FixedRandom(value: .max)
        #expect(try RetrySchedule("0s").delay(afterAttempt: 1, using: &generator) == .zero)
    }
}
