/// The bare (unquoted) TOML values: booleans, integers, floats, dates and times.
///
/// Follows the TOML 1.0 ABNF: decimal integers with an optional sign and no leading zero,
/// `0x`/`0o`/`0b` integers without a sign, single underscores between digits, floats with a
/// fraction and/or an exponent or `inf`/`nan` with an optional sign, and RFC 3339 dates and
/// times with a real calendar date, seconds required, at most nine fractional digits and no
/// leap seconds.
enum TOMLScalar {
    /// What a token is.
    enum Parsed: Equatable {
        case value(ConfigValue)
        /// A well-formed integer that does not fit in 64 bits (signed).
        case integerOutOfRange
        /// Not a TOML value.
        case invalid
    }

    /// The value a bare token stands for.
    static func parse(_ t: ArraySlice<UInt8>) -> Parsed {
        if t.elementsEqual("true".utf8) { return .value(.bool(true)) }
        if t.elementsEqual("false".utf8) { return .value(.bool(false)) }
        if let first = t.first, isDigit(first), t.count >= 8, t.contains(UInt8(ascii: ":")) || isDate(t.prefix(10)) {
            return isDateTime(t) ? .value(.datetime(String(decoding: t, as: UTF8.self))) : .invalid
        }
        if let integer = integer(t) { return integer }
        if let float = float(t) { return .value(.float(float)) }
        return .invalid
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    static func isHexDigit(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f"))
            || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F"))
    }

    /// The value of a hex digit.
    static func nibble(_ h: UInt8) -> UInt32 {
        switch h {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(h - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(h - UInt8(ascii: "a") + 10)
        default: UInt32(h - UInt8(ascii: "A") + 10)
        }
    }

    // MARK: Integers

    /// Digits with single underscores between them, at least one digit.
    private static func isDigits(_ t: ArraySlice<UInt8>, _ isDigit: (UInt8) -> Bool) -> Bool {
        guard let first = t.first, let last = t.last, isDigit(first), isDigit(last) else { return false }
        var previousUnderscore = false
        for c in t {
            if c == UInt8(ascii: "_") {
                if previousUnderscore { return false }
                previousUnderscore = true
            } else if isDigit(c) {
                previousUnderscore = false
            } else {
                return false
            }
        }
        return true
    }

    private static func isDecimalInteger(_ t: ArraySlice<UInt8>) -> Bool {
        var s = t
        if let f = s.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") { s = s.dropFirst() }
        guard isDigits(s, isDigit) else { return false }
        return s.count == 1 || s.first != UInt8(ascii: "0")
    }

    /// The magnitude of `digits` (underscores skipped) in `radix`, or nil past `limit`.
    private static func magnitude(_ digits: ArraySlice<UInt8>, radix: UInt64, limit: UInt64) -> UInt64? {
        var result: UInt64 = 0
        for c in digits where c != UInt8(ascii: "_") {
            let (shifted, overflow) = result.multipliedReportingOverflow(by: radix)
            let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(nibble(c)))
            guard !overflow, !overflow2, sum <= limit else { return nil }
            result = sum
        }
        return result
    }

    /// An integer token's value; nil when `t` is not an integer.
    private static func integer(_ t: ArraySlice<UInt8>) -> Parsed? {
        let maximum = UInt64(Int64.max)
        if t.count > 2, t.first == UInt8(ascii: "0") {
            let rest = t.dropFirst(2)
            let radix: UInt64?
            let valid: Bool
            switch t[t.startIndex + 1] {
            case UInt8(ascii: "x"): (radix, valid) = (16, isDigits(rest, isHexDigit))
            case UInt8(ascii: "o"):
                (radix, valid) = (8, isDigits(rest) { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") })
            case UInt8(ascii: "b"):
                (radix, valid) = (2, isDigits(rest) { $0 == UInt8(ascii: "0") || $0 == UInt8(ascii: "1") })
            default: (radix, valid) = (nil, false)
            }
            if let radix {
                guard valid else { return nil }
                guard let m = magnitude(rest, radix: radix, limit: maximum) else { return .integerOutOfRange }
                return .value(.integer(Int64(m)))
            }
        }
        guard isDecimalInteger(t) else { return nil }
        let negative = t.first == UInt8(ascii: "-")
        let digits = t.first == UInt8(ascii: "-") || t.first == UInt8(ascii: "+") ? t.dropFirst() : t
        guard let m = magnitude(digits, radix: 10, limit: negative ? maximum + 1 : maximum) else {
            return .integerOutOfRange
        }
        return .value(.integer(negative ? (m == maximum + 1 ? Int64.min : -Int64(m)) : Int64(m)))
    }

    // MARK: Floats

    /// A float token's value; nil when `t` is not a float.
    private static func float(_ t: ArraySlice<UInt8>) -> Double? {
        var s = t
        let negative = s.first == UInt8(ascii: "-")
        if let f = s.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") { s = s.dropFirst() }
        if s.elementsEqual("inf".utf8) { return negative ? -.infinity : .infinity }
        if s.elementsEqual("nan".utf8) { return negative ? -.nan : .nan }
        let expIndex = s.firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let mantissa = expIndex.map { s[..<$0] } ?? s
        let dot = mantissa.firstIndex(of: UInt8(ascii: "."))
        let intPart = dot.map { mantissa[..<$0] } ?? mantissa
        guard isDecimalInteger(intPart), intPart.first != UInt8(ascii: "+"), intPart.first != UInt8(ascii: "-") else {
            return nil
        }
        if let dot { guard isDigits(mantissa[(dot + 1)...], isDigit) else { return nil } }
        if let expIndex {
            var e = s[(expIndex + 1)...]
            if let f = e.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") { e = e.dropFirst() }
            guard isDigits(e, isDigit) else { return nil }
        }
        guard dot != nil || expIndex != nil else { return nil }
        let text = String(decoding: t.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
        return Double(text)
    }

    // MARK: Dates and times

    private static func number(_ t: ArraySlice<UInt8>) -> Int? {
        guard !t.isEmpty, t.allSatisfy(isDigit) else { return nil }
        return t.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    /// `YYYY-MM-DD` with a real calendar date.
    static func isDate(_ t: ArraySlice<UInt8>) -> Bool {
        guard t.count == 10 else { return false }
        let s = t.startIndex
        guard t[s + 4] == UInt8(ascii: "-"), t[s + 7] == UInt8(ascii: "-"), let year = number(t[s..<(s + 4)]),
            let month = number(t[(s + 5)..<(s + 7)]), let day = number(t[(s + 8)..<(s + 10)])
        else { return false }
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }

    /// `HH:MM:SS[.fraction]` (1...9 fractional digits).
    private static func isTime(_ t: ArraySlice<UInt8>) -> Bool {
        guard t.count >= 8 else { return false }
        let s = t.startIndex
        guard t[s + 2] == UInt8(ascii: ":"), t[s + 5] == UInt8(ascii: ":"), let h = number(t[s..<(s + 2)]),
            let m = number(t[(s + 3)..<(s + 5)]), let sec = number(t[(s + 6)..<(s + 8)]), h <= 23, m <= 59, sec <= 59
        else { return false }
        let rest = t[(s + 8)...]
        if rest.isEmpty { return true }
        guard rest.first == UInt8(ascii: "."), (2...10).contains(rest.count) else { return false }
        return rest.dropFirst().allSatisfy(isDigit)
    }

    /// `Z`, `z` or `±HH:MM`.
    private static func isOffset(_ t: ArraySlice<UInt8>) -> Bool {
        if t.count == 1 { return t.first == UInt8(ascii: "Z") || t.first == UInt8(ascii: "z") }
        guard t.count == 6, let f = t.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") else { return false }
        let s = t.startIndex
        guard t[s + 3] == UInt8(ascii: ":"), let h = number(t[(s + 1)..<(s + 3)]), let m = number(t[(s + 4)..<(s + 6)])
        else { return false }
        return h <= 23 && m <= 59
    }

    /// Local date, local time, local date-time or offset date-time.
    private static func isDateTime(_ t: ArraySlice<UInt8>) -> Bool {
        if t.count >= 3, t[t.startIndex + 2] == UInt8(ascii: ":") { return isTime(t) }
        guard t.count >= 10, isDate(t.prefix(10)) else { return false }
        if t.count == 10 { return true }
        let sep = t[t.startIndex + 10]
        guard sep == UInt8(ascii: "T") || sep == UInt8(ascii: "t") || sep == UInt8(ascii: " ") else { return false }
        let rest = t[(t.startIndex + 11)...]
        // The offset starts at the first Z/z/+/- after the seconds.
        if let o = rest.firstIndex(where: {
            $0 == UInt8(ascii: "Z") || $0 == UInt8(ascii: "z") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-")
        }) {
            return isTime(rest[..<o]) && isOffset(rest[o...])
        }
        return isTime(rest)
    }
}
