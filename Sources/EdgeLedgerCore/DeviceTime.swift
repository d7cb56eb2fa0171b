/// Reads a reading's device time from a member of its JSON payload (`device_time = "<member>"`
/// on a topic filter), and judges its skew against the receive time.
///
/// The member's value, at the top level of the payload object:
/// - a **string**: an RFC 3339 date-time with a zone, e.g. `"2026-01-01T00:00:00.1Z"` or
///   `"2026-01-01T01:00:00+01:00"` (1…9 fraction digits, no escapes; see
///   ``RFC3339/nanoseconds(parsing:)``);
/// - a **number** without exponent: Unix time in **seconds** when its magnitude is below 10¹¹
///   (up to the year 5138), in **milliseconds** from 10¹¹ on (from 1973-03-03 on); a fraction
///   is kept to the nanosecond (9 digits of seconds, 6 of milliseconds; further digits are cut).
///
/// Anything else — no such member, another type, an exponent, a time outside 1677…2262 — is
/// ``Problem`` and the reading is stored without a device time (never rejected).
public enum DeviceTime {
    /// Why no device time was read.
    public enum Problem: String, Error, Sendable, Hashable {
        /// The payload has no such top-level member.
        case missing
        /// The member's value is not an RFC 3339 string or a plain Unix-time number.
        case invalid
    }

    /// Numbers below this magnitude are seconds; from it on, milliseconds.
    public static let millisecondsFrom: Int64 = 100_000_000_000

    /// The device time in Unix nanoseconds, read from `member` of the JSON object `payload`.
    public static func read(member: [UInt8], from payload: UnsafeRawBufferPointer) -> Result<Int64, Problem> {
        switch JSONSyntax.topLevelMember(member, in: payload) {
        case nil: return .failure(.missing)
        case .other, .string(_, escaped: true): return .failure(.invalid)
        case .string(let range, escaped: false):
            guard let ns = RFC3339.nanoseconds(parsing: payload[range]) else { return .failure(.invalid) }
            return .success(ns)
        case .number(let range):
            guard let ns = unixNanoseconds(number: payload[range]) else { return .failure(.invalid) }
            return .success(ns)
        }
    }

    /// A JSON number (no exponent) as Unix nanoseconds, by the seconds/milliseconds rule above.
    public static func unixNanoseconds(number text: some Collection<UInt8>) -> Int64? {
        var bytes = text[...]
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { bytes = bytes.dropFirst() }
        let integerDigits = bytes.prefix { $0 >= 0x30 && $0 <= 0x39 }
        guard !integerDigits.isEmpty, integerDigits.count <= 18 else { return nil }
        var rest = bytes.dropFirst(integerDigits.count)
        var fractionDigits = rest.prefix(0)
        if rest.first == UInt8(ascii: ".") {
            fractionDigits = rest.dropFirst().prefix { $0 >= 0x30 && $0 <= 0x39 }
            guard !fractionDigits.isEmpty else { return nil }
            rest = rest.dropFirst(1 + fractionDigits.count)
        }
        guard rest.isEmpty else { return nil }  // an exponent, or anything else
        let integer = integerDigits.reduce(Int64(0)) { $0 * 10 + Int64($1 - 0x30) }
        let seconds = integer < millisecondsFrom
        let unit: Int64 = seconds ? 1_000_000_000 : 1_000_000
        let places = seconds ? 9 : 6
        var fraction: Int64 = 0
        for (n, digit) in fractionDigits.prefix(places).enumerated() {
            fraction += Int64(digit - 0x30) * pow10(places - 1 - n)
        }
        let (scaled, o1) = integer.multipliedReportingOverflow(by: unit)
        let (total, o2) = scaled.addingReportingOverflow(fraction)
        guard !o1, !o2 else { return nil }
        return negative ? -total : total
    }

    private static func pow10(_ n: Int) -> Int64 {
        var value: Int64 = 1
        for _ in 0..<n { value *= 10 }
        return value
    }
}
