import Glibc

/// Calendar formatting for logs and the `Date` header, without Foundation.
public enum WallClock {
    /// `YYYYMMDD` and `YYYYMMDD-HHMMSS` in local time, as the old sample's Python `strftime` wrote them
    /// (containers run in UTC unless TZ says otherwise).
    public static func localStamps(epochSeconds: Int) -> (day: String, stamp: String) {
        var seconds = time_t(epochSeconds)
        var parts = tm()
        localtime_r(&seconds, &parts)
        let day = pad(Int(parts.tm_year) + 1900, 4) + pad(Int(parts.tm_mon) + 1, 2) + pad(Int(parts.tm_mday), 2)
        return (day, day + "-" + pad(Int(parts.tm_hour), 2) + pad(Int(parts.tm_min), 2) + pad(Int(parts.tm_sec), 2))
    }

    /// RFC 3339 in UTC with milliseconds: `2026-11-24T13:40:30.123Z`.
    public static func iso8601(epochMilliseconds: Int64) -> String {
        var bytes: [UInt8] = []
        appendISO8601(epochMilliseconds: epochMilliseconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The same 24 bytes appended to `out`, by integer arithmetic alone: every access-log line starts with one,
    /// and `gmtime_r` with string formatting cost more than the rest of the line.
    public static func appendISO8601(epochMilliseconds: Int64, to out: inout [UInt8]) {
        let milliseconds = Int(epochMilliseconds)
        let (seconds, millisecond) = floorDivision(milliseconds, 1000)
        let (days, secondOfDay) = floorDivision(seconds, 86_400)
        let (year, month, day) = civilDate(daysSince1970: days)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { stamp in
            put(year, 4, at: 0, in: stamp)
            stamp[4] = UInt8(ascii: "-")
            put(month, 2, at: 5, in: stamp)
            stamp[7] = UInt8(ascii: "-")
            put(day, 2, at: 8, in: stamp)
            stamp[10] = UInt8(ascii: "T")
            putTime(secondOfDay, at: 11, in: stamp)
            stamp[19] = UInt8(ascii: ".")
            put(millisecond, 3, at: 20, in: stamp)
            stamp[23] = UInt8(ascii: "Z")
            out.append(contentsOf: UnsafeBufferPointer(stamp))
        }
    }

    /// The IMF-fixdate of RFC 9110 §5.6.7 (`Sun, 06 Nov 1994 08:49:37 GMT`), for the `Date` header that the
    /// server makes once a second.
    public static func imfFixdate(epochSeconds: Int) -> [UInt8] {
        let (days, secondOfDay) = floorDivision(epochSeconds, 86_400)
        let (year, month, day) = civilDate(daysSince1970: days)
        // 1970-01-01 was a Thursday, the fifth of the names from Sunday.
        let weekday = floorDivision(days + 4, 7).remainder
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 29) { stamp in
            weekdayNames.withUTF8Buffer { names in
                for index in 0..<3 { stamp[index] = names[weekday * 3 + index] }
            }
            stamp[3] = UInt8(ascii: ",")
            stamp[4] = UInt8(ascii: " ")
            put(day, 2, at: 5, in: stamp)
            stamp[7] = UInt8(ascii: " ")
            monthNames.withUTF8Buffer { names in
                for index in 0..<3 { stamp[8 + index] = names[(month - 1) * 3 + index] }
            }
            stamp[11] = UInt8(ascii: " ")
            put(year, 4, at: 12, in: stamp)
            stamp[16] = UInt8(ascii: " ")
            putTime(secondOfDay, at: 17, in: stamp)
            for (index, byte) in " GMT".utf8.enumerated() { stamp[25 + index] = byte }
            return Array(stamp)
        }
    }

    private static let weekdayNames: StaticString = "SunMonTueWedThuFriSat"
    private static let monthNames: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"

    /// `value` in `width` decimal digits, zero-padded, at `offset`.
    private static func put(_ value: Int, _ width: Int, at offset: Int, in stamp: UnsafeMutableBufferPointer<UInt8>) {
        var value = value
        for index in stride(from: offset + width - 1, through: offset, by: -1) {
            stamp[index] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
        }
    }

    /// `HH:MM:SS` at `offset`.
    private static func putTime(_ secondOfDay: Int, at offset: Int, in stamp: UnsafeMutableBufferPointer<UInt8>) {
        put(secondOfDay / 3600, 2, at: offset, in: stamp)
        stamp[offset + 2] = UInt8(ascii: ":")
        put(secondOfDay / 60 % 60, 2, at: offset + 3, in: stamp)
        stamp[offset + 5] = UInt8(ascii: ":")
        put(secondOfDay % 60, 2, at: offset + 6, in: stamp)
    }

    /// The proleptic Gregorian date of a day count from 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civilDate(daysSince1970: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = daysSince1970 + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDivision(_ value: Int, _ divisor: Int) -> (quotient: Int, remainder: Int) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }

    public static func now() -> (seconds: Int, milliseconds: Int64) {
        let milliseconds = Clock.epochMilliseconds()
        return (Int(milliseconds / 1000), milliseconds)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
