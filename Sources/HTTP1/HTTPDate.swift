/// The IMF-fixdate of RFC 9110 §5.6.7 ("Sun, 06 Nov 1994 08:49:37 GMT") from seconds since the epoch, computed
/// without Foundation so the server can refresh its cached `Date` header once a second for free.
public enum HTTPDate {
    public static func format(epochSeconds: Int) -> [UInt8] {
        let days = epochSeconds >= 0 ? epochSeconds / 86400 : (epochSeconds - 86399) / 86400
        let secondsOfDay = epochSeconds - days * 86400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        let weekday = (days % 7 + 11) % 7  // 1970-01-01 was a Thursday (index 4 of Sun...Sat)
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        var out: [UInt8] = []
        out.reserveCapacity(29)
        out.append(contentsOf: weekdays[weekday].utf8)
        out.append(contentsOf: ", ".utf8)
        appendTwoDigits(day, to: &out)
        out.append(ASCII.space)
        out.append(contentsOf: months[month - 1].utf8)
        out.append(ASCII.space)
        ResponseSerializer.appendDecimal(year, to: &out)
        out.append(ASCII.space)
        appendTwoDigits(secondsOfDay / 3600, to: &out)
        out.append(ASCII.colon)
        appendTwoDigits(secondsOfDay / 60 % 60, to: &out)
        out.append(ASCII.colon)
        appendTwoDigits(secondsOfDay % 60, to: &out)
        out.append(contentsOf: " GMT".utf8)
        return out
    }

    /// Howard Hinnant's days-from-civil inverse: proleptic Gregorian (year, month 1–12, day 1–31).
    public static func civilDate(daysSinceEpoch: Int) -> (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func appendTwoDigits(_ value: Int, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "0") + UInt8(value / 10))
        out.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}
