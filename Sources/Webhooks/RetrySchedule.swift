/// How long to wait after each failed attempt before the next one; after the last delay's attempt fails the
/// delivery is dropped. The first attempt is immediate, so a schedule of n delays makes n + 1 attempts.
///
/// Written as a comma list, without spaces, of whole numbers with a unit, `s`, `m` or `h` (`5s,5m,30m,2h`). `0s` is allowed (try
/// again at once, as a test or a flapping receiver may want); nothing longer than a day, which is a typo or a
/// dimension change too stale to deliver. Each delay is stretched or shrunk by up to 10 % at random, so
/// deliveries that failed together do not all come back together.
public struct RetrySchedule: Sendable, Equatable, CustomStringConvertible {
    /// Seconds before attempt 2, 3, ….
    public let delays: [Int]

    static let longest = 86_400
    static let jitter = 0.1

    /// Standard Webhooks' schedule: immediately, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h.
    public static let standard = RetrySchedule(uncheckedDelays: [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000])

    private init(uncheckedDelays: [Int]) {
        delays = uncheckedDelays
    }

    public init(_ text: String) throws(RetryScheduleError) {
        guard !text.isEmpty else { throw .empty }
        var delays: [Int] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let unit = item.last, let multiplier = ["s": 1, "m": 60, "h": 3_600][unit],
                  item.dropLast().allSatisfy({ $0.isASCII && $0.isNumber }), item.count > 1, item.count <= 8,
                  let count = Int(item.dropLast()) else {
                throw .notADelay(String(item.prefix(40)))
            }
            guard count * multiplier <= Self.longest else { throw .tooLong(String(item)) }
            delays.append(count * multiplier)
        }
        self.delays = delays
    }

    /// The number of attempts in all, the first included.
    public var attempts: Int { delays.count + 1 }

    /// The wait after attempt `attempt` (1 for the first) failed, or nil when it was the last: drop the delivery.
    /// The jitter comes from `random`, so a fixed generator gives fixed delays.
    public func delay(afterAttempt attempt: Int, using random: inout some RandomNumberGenerator) -> Duration? {
        guard attempt >= 1, attempt <= delays.count else { return nil }
        // 53 random bits as a fraction in [0, 1), mapped to a factor in [0.9, 1.1).
        let unit = Double(random.next() >> 11) * 0x1p-53
        let factor = 1 + Self.jitter * (2 * unit - 1)
        return .milliseconds(Int((Double(delays[attempt - 1] * 1000) * factor).rounded()))
    }

    /// The schedule as it is written, each delay in its largest whole unit.
    public var description: String {
        delays.map { seconds in
            seconds != 0 && seconds % 3_600 == 0 ? "\(seconds / 3_600)h" : seconds != 0 && seconds % 60 == 0 ? "\(seconds / 60)m" : "\(seconds)s"
        }.joined(separator: ",")
    }
}

/// Why a text is not a retry schedule.
public enum RetryScheduleError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case notADelay(String)
    case tooLong(String)

    public var description: String {
        switch self {
        case .empty: "a retry schedule lists at least one delay, such as 5s,5m,30m,2h,5h,10h,10h"
        case .notADelay(let item): "\"\(item)\" is not a delay: a whole number and s, m or h (5s, 30m, 2h)"
        case .tooLong(let item): "\(item) is longer than a day, the longest delay allowed"
        }
    }
}
