#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// JSON text written byte by byte: enough for export lines and summaries, without Foundation.
enum CLIJSON {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `bytes`, which must be valid UTF-8, as a JSON string literal (RFC 8259 §7):
    /// quote and backslash escaped, control characters as `\n`, `\t`, … or `\u00XX`. Other
    /// characters, including all non-ASCII ones, are copied unchanged.
    static func appendString(_ bytes: some Sequence<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5c, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5c, 0x5c])
            case 0x0a: out.append(contentsOf: [0x5c, UInt8(ascii: "n")])
            case 0x0d: out.append(contentsOf: [0x5c, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5c, UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [0x5c, UInt8(ascii: "b")])
            case 0x0c: out.append(contentsOf: [0x5c, UInt8(ascii: "f")])
            case 0..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hexDigits[Int(b >> 4)])
                out.append(hexDigits[Int(b & 0x0f)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends `text` as a JSON string literal.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        appendString(text.utf8, to: &out)
    }

    /// `text` as a JSON string literal.
    static func quote(_ text: String) -> String {
        var out: [UInt8] = []
        appendString(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the decimal digits of `value`.
    static func appendInteger(_ value: some BinaryInteger, to out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }
}

/// Timestamps, durations and rates for people.
enum CLIFormat {
    /// RFC 3339 UTC with nanoseconds, e.g. `2025-03-01T12:00:00.123456789Z`, for Unix
    /// nanoseconds `ns` (any `Int64`: years 1677…2262).
    static func rfc3339(nanoseconds ns: Int64) -> String {
        let perDay: Int64 = 86_400 * 1_000_000_000
        var days = ns / perDay
        var rest = ns % perDay
        if rest < 0 {
            rest += perDay
            days -= 1
        }
        let secondsOfDay = rest / 1_000_000_000
        let fraction = rest % 1_000_000_000
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
            + pad(secondsOfDay / 60 % 60, 2) + ":" + pad(secondsOfDay % 60, 2) + "." + pad(fraction, 9) + "Z"
    }

    /// `value` in decimal, left-padded with zeros to `width` digits.
    static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

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
        return "\(hundredths / 100).\(pad(hundredths % 100, 2)) s"
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

/// A monotonic clock for rates and durations.
enum CLIClock {
    /// Seconds on the monotonic clock.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
