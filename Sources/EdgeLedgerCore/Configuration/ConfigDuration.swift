/// The duration syntax of configuration files: `"500ms"`, `"10s"`, `"5m"`, `"2h"`, `"30d"`, or
/// several of these in decreasing order of unit without spaces, e.g. `"1h30m"`.
///
/// Units: `ms` (milliseconds), `s`, `m` (minutes), `h`, `d` (24 hours). Numbers are
/// non-negative decimal integers; `"0"` alone means zero. There are no fractions, no signs and no
/// bare integers (a bare `10` could mean seconds or milliseconds, so it is refused).
public enum ConfigDuration {
    private static let units: [(suffix: String, milliseconds: Int64)] = [
        ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1),
    ]

    /// The largest duration the syntax accepts: 100 years.
    public static let maximum: Duration = .seconds(100 * 365 * 86_400)

    /// Parses `text`; `nil` when it is not a valid duration.
    public static func parse(_ text: String) -> Duration? {
        let bytes = Array(text.utf8)
        if bytes == [UInt8(ascii: "0")] { return .zero }
        guard !bytes.isEmpty else { return nil }
        var total: Int64 = 0
        var lastUnit = Int64.max
        var i = 0
        while i < bytes.count {
            var number: Int64 = 0
            let start = i
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
                guard i - start < 15 else { return nil }
                number = number * 10 + Int64(bytes[i] - UInt8(ascii: "0"))
                i += 1
            }
            guard i > start else { return nil }
            let unitStart = i
            while i < bytes.count, bytes[i] >= UInt8(ascii: "a"), bytes[i] <= UInt8(ascii: "z") { i += 1 }
            let unit = String(decoding: bytes[unitStart..<i], as: UTF8.self)
            guard let factor = units.first(where: { $0.suffix == unit })?.milliseconds else { return nil }
            // Units must decrease ("1h30m", not "30m1h" or "1m1m").
            guard factor < lastUnit else { return nil }
            lastUnit = factor
            let (product, overflow1) = number.multipliedReportingOverflow(by: factor)
            guard !overflow1 else { return nil }
            let (sum, overflow2) = total.addingReportingOverflow(product)
            guard !overflow2 else { return nil }
            total = sum
        }
        let result = Duration.milliseconds(total)
        return result <= maximum ? result : nil
    }

    /// Formats `duration` in the same syntax, with the largest units first (`"1m30s"`,
    /// `"1s500ms"`, `"0"`). Sub-millisecond parts are dropped; negative durations format as `"0"`.
    public static func format(_ duration: Duration) -> String {
        let components = duration.components
        var ms = components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
        guard ms > 0 else { return "0" }
        var out = ""
        for (suffix, factor) in units where ms >= factor {
            out += "\(ms / factor)\(suffix)"
            ms %= factor
        }
        return out
    }
}
