import Glibc

/// Calendar formatting for logs, without Foundation.
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
        var seconds = time_t(epochMilliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return pad(Int(parts.tm_year) + 1900, 4) + "-" + pad(Int(parts.tm_mon) + 1, 2) + "-" + pad(Int(parts.tm_mday), 2)
            + "T" + pad(Int(parts.tm_hour), 2) + ":" + pad(Int(parts.tm_min), 2) + ":" + pad(Int(parts.tm_sec), 2)
            + "." + pad(Int(epochMilliseconds % 1000), 3) + "Z"
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
