import EdgeLedgerCore
import EdgeLedgerSystem

/// Timestamps, durations and rates for people.
enum CLIFormat {
    /// `value` with one decimal, e.g. `61.7`.
    static func oneDecimal(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        let tenths = Int64((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let magnitude = tenths.magnitude
        return "\(sign)\(magnitude / 10).\(magnitude % 10)"
    }

    /// A rate such as `412345/s` or `1.2M/s`, compact for a progress line.
    static func rate(_ perSecond: Double) -> String {
        guard perSecond.isFinite, perSecond >= 0 else { return "-" }
        if perSecond >= 10_000_000 { return "\(Int64(perSecond / 1_000_000))M" }
        if perSecond >= 1_000_000 { return oneDecimal(perSecond / 1_000_000) + "M" }
        if perSecond >= 100_000 { return "\(Int64(perSecond / 1000))k" }
        return "\(Int64(perSecond.rounded()))"
    }

    /// Seconds with two decimals, e.g. `1.25 s`.
    static func seconds(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        let hundredths = Int64((value * 100).rounded())
        return "\(hundredths / 100).\(RFC3339.pad(hundredths % 100, 2)) s"
    }

    /// `text` without leading and trailing white space (spaces, tabs, CR, LF).
    static func trim(_ text: some StringProtocol) -> String {
        let scalars = Array(text.unicodeScalars)
        var start = 0
        var end = scalars.count
        while start < end, scalars[start].properties.isWhitespace { start += 1 }
        while end > start, scalars[end - 1].properties.isWhitespace { end -= 1 }
        var out = ""
        out.unicodeScalars.append(contentsOf: scalars[start..<end])
        return out
    }

    /// Singular or plural: `1 entry`, `2 entries`.
    static func count(_ n: some BinaryInteger, _ singular: String, _ plural: String) -> String {
        "\(n) \(n == 1 ? singular : plural)"
    }
}

/// TOML basic strings for generated configuration files.
enum CLITOML {
    /// `text` as a TOML basic string: `"`, `\` and control characters escaped.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
