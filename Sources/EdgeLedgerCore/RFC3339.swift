/// RFC 3339 UTC timestamps from Unix time, without Foundation or the C library: the one home
/// for writing them (`export`, `status`, fork reports, the simulator's readings).
public enum RFC3339 {
    /// `2025-03-01T12:00:00.123456789Z` for Unix nanoseconds `ns` (any `Int64`: years 1677…2262).
    public static func string(nanoseconds ns: Int64) -> String {
        let (days, secondsOfDay, fraction) = split(ns, perSecond: 1_000_000_000)
        return dateTime(days: days, secondsOfDay: secondsOfDay) + "." + pad(fraction, 9) + "Z"
    }

    /// `2025-03-01T12:00:00.123Z` for Unix milliseconds `ms`.
    public static func string(milliseconds ms: Int64) -> String {
        let (days, secondsOfDay, fraction) = split(ms, perSecond: 1000)
        return dateTime(days: days, secondsOfDay: secondsOfDay) + "." + pad(fraction, 3) + "Z"
    }

    /// `2025-03-01T12:00:00` (no fraction, no zone) for whole Unix seconds: the part that
    /// changes once a second, for writers that cache it.
    public static func dateTime(seconds: Int64) -> String {
        let (days, secondsOfDay, _) = split(seconds, perSecond: 1)
        return dateTime(days: days, secondsOfDay: secondsOfDay)
    }

    private static func split(_ value: Int64, perSecond: Int64) -> (days: Int64, secondsOfDay: Int64, fraction: Int64) {
        let perDay = 86_400 * perSecond
        var days = value / perDay
        var rest = value % perDay
        if rest < 0 {
            rest += perDay
            days -= 1
        }
        return (days, rest / perSecond, rest % perSecond)
    }

    private static func dateTime(days: Int64, secondsOfDay: Int64) -> String {
        // Civil date from days since 1970-01-01 (H. Hinnant, "chrono-compatible low-level date
        // algorithms").
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(secondsOfDay / 3600, 2) + ":"
            + pad(secondsOfDay / 60 % 60, 2) + ":" + pad(secondsOfDay % 60, 2)
    }

    /// `value` in decimal, left-padded with zeros to `width` digits.
    public static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
