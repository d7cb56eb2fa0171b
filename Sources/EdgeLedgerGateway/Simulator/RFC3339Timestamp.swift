import EdgeLedgerCore
import EdgeLedgerSystem

/// Writes RFC 3339 UTC timestamps with milliseconds (`2025-11-29T10:12:34.567Z`) as bytes,
/// caching the date-and-time part of the current second (``RFC3339``) so that the hot path is a
/// few stores.
struct RFC3339Timestamp {
    private var cachedSecond: Int = .min
    private var cachedPrefix: [UInt8] = []

    /// Milliseconds since the Unix epoch, from the realtime clock.
    static func nowMillis() -> Int64 { SystemClock.nowNanoseconds() / 1_000_000 }

    /// Appends the timestamp for `millis` (Unix ms) to `out`.
    mutating func append(millis: Int64, to out: inout [UInt8]) {
        let second = Int(millis >= 0 ? millis / 1000 : (millis - 999) / 1000)
        let fraction = Int(millis - Int64(second) * 1000)
        if second != cachedSecond {
            cachedSecond = second
            cachedPrefix = Self.dateTime(second)
        }
        out.append(contentsOf: cachedPrefix)
        out.append(UInt8(ascii: "."))
        out.append(UInt8(ascii: "0") + UInt8(fraction / 100))
        out.append(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        out.append(UInt8(ascii: "0") + UInt8(fraction % 10))
        out.append(UInt8(ascii: "Z"))
    }

    /// The timestamp for `millis` as a string.
    mutating func string(millis: Int64) -> String {
        var out: [UInt8] = []
        append(millis: millis, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func dateTime(_ second: Int) -> [UInt8] { Array(RFC3339.dateTime(seconds: Int64(second)).utf8) }
}
