/// The size syntax of configuration files: an integer number of bytes (`65536`, or the string
/// `"65536"`), or a string with a unit: `"512KiB"`, `"64MiB"`, `"1GiB"`, `"2TiB"` (powers of
/// 1024) or `"500KB"`, `"10MB"`, `"1GB"`, `"1TB"` (powers of 1000), or `"100B"`.
///
/// Units are case-insensitive and may be separated from the number by one space. Numbers are
/// non-negative decimal integers: no fractions, no signs.
public enum ConfigByteSize {
    private static let units: [(suffix: String, factor: Int64)] = [
        ("b", 1),
        ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("tib", 1 << 40),
        ("kb", 1_000), ("mb", 1_000_000), ("gb", 1_000_000_000), ("tb", 1_000_000_000_000),
    ]

    /// Parses `text`; `nil` when it is not a valid size or does not fit in 63 bits.
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        var i = 0
        var number: Int64 = 0
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
            guard i < 19 else { return nil }
            let (times10, o1) = number.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.addingReportingOverflow(Int64(bytes[i] - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            number = next
            i += 1
        }
        guard i > 0 else { return nil }
        if i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
        let unit = String(decoding: bytes[i...], as: UTF8.self).lowercased()
        if unit.isEmpty { return i == bytes.count && bytes.last != UInt8(ascii: " ") ? number : nil }
        guard let factor = units.first(where: { $0.suffix == unit })?.factor else { return nil }
        let (result, overflow) = number.multipliedReportingOverflow(by: factor)
        return overflow ? nil : result
    }

    /// Formats `bytes` with the largest binary unit that divides it exactly (`"64MiB"`), else
    /// as a plain number.
    public static func format(_ bytes: Int64) -> String {
        guard bytes > 0 else { return "0" }
        for (suffix, name) in [(Int64(1) << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        where bytes % suffix == 0 {
            return "\(bytes / suffix)\(name)"
        }
        return String(bytes)
    }
}
