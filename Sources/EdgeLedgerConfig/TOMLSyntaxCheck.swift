import EdgeLedgerCore

/// A strict TOML 1.0 syntax check, run before the text reaches toml++.
///
/// toml++ 3.4.0 (inside TOMLKit 0.6.0) states some expectations about its input as
/// `TOML_ASSERT_ASSUME` without checking them first. Fuzzing found malformed documents that
/// reach them (`[+a]`, `a = [ } ]`, `d = 1979-05-27T\07:32:00Z`, ...): they abort a debug build
/// and are undefined behaviour (`__builtin_assume`) in a release build. This check follows the
/// TOML 1.0 ABNF for everything lexical — keys, strings and escapes, numbers, dates and times,
/// arrays, inline tables, headers, comments, new lines — and refuses anything else with a
/// line and column, so that toml++ only ever parses syntactically valid TOML. The semantic
/// rules (duplicate keys, redefined tables) stay with toml++.
///
/// It is deliberately conservative where toml++ would accept more: no TOML 1.1 extensions,
/// times must have seconds, leap seconds and more than nine fractional digits are refused,
/// nesting is limited to ``maximumDepth`` and dotted keys to ``maximumKeySegments`` parts (so that
/// neither toml++ nor the conversion recurses deeply).
struct TOMLSyntaxCheck {
    /// Deepest nesting of arrays and inline tables accepted.
    static let maximumDepth = 64
    /// Most segments in one dotted key (`a.b.c` has three).
    static let maximumKeySegments = 32

    private struct Failure: Error {
        let offset: Int
        let message: String
    }

    private let b: [UInt8]
    private var i = 0

    private init(_ text: String) { b = Array(text.utf8) }

    /// The first syntax error in `text`, or `nil` when it is valid TOML 1.0 syntax.
    static func problem(in text: String) -> ConfigIssue? {
        var check = TOMLSyntaxCheck(text)
        do {
            try check.document()
            return nil
        } catch {
            return check.issue(at: error.offset, error.message)
        }
    }

    private func issue(at offset: Int, _ message: String) -> ConfigIssue {
        let end = min(offset, b.count)
        var line = 1
        var lineStart = 0
        for k in 0..<end where b[k] == UInt8(ascii: "\n") {
            line += 1
            lineStart = k + 1
        }
        let column = String(decoding: b[lineStart..<end], as: UTF8.self).unicodeScalars.count + 1
        return ConfigIssue(path: "", message: "TOML syntax error: " + message, line: line, column: column)
    }

    // MARK: Helpers

    private var atEnd: Bool { i >= b.count }
    private var current: UInt8? { i < b.count ? b[i] : nil }
    private func peek(_ k: Int) -> UInt8? { i + k < b.count ? b[i + k] : nil }

    private func fail(_ message: String) -> Failure { Failure(offset: i, message: message) }

    private func describeCurrent() -> String {
        guard let c = current else { return "the end of the document" }
        switch c {
        case UInt8(ascii: "\n"): return "a new line"
        case UInt8(ascii: "\r"): return "a carriage return"
        case UInt8(ascii: "\t"): return "a tab"
        case 0x20..<0x7f: return "'\(Character(Unicode.Scalar(c)))'"
        default:
            let rest = String(decoding: b[i..<min(b.count, i + 4)], as: UTF8.self)
            if let scalar = rest.unicodeScalars.first, scalar != "\u{FFFD}" {
                return "U+" + String(scalar.value, radix: 16, uppercase: true)
            }
            return "byte 0x" + String(c, radix: 16)
        }
    }

    private static func isBareKeyByte(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || isDigit(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f"))
            || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F"))
    }

    /// Control characters other than tab are not allowed in strings and comments.
    private static func isForbiddenControl(_ c: UInt8) -> Bool { (c < 0x20 && c != 0x09) || c == 0x7f }

    private mutating func skipWhitespace() {
        while let c = current, c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") { i += 1 }
    }

    /// Consumes a new line (`\n` or `\r\n`); false when there is none here.
    private mutating func newline() throws(Failure) -> Bool {
        if current == UInt8(ascii: "\n") {
            i += 1
            return true
        }
        if current == UInt8(ascii: "\r") {
            guard peek(1) == UInt8(ascii: "\n") else { throw fail("a carriage return must be followed by a new line") }
            i += 2
            return true
        }
        return false
    }

    private mutating func comment() throws(Failure) {
        guard current == UInt8(ascii: "#") else { return }
        i += 1
        while let c = current, c != UInt8(ascii: "\n") {
            if c == UInt8(ascii: "\r"), peek(1) == UInt8(ascii: "\n") { return }
            if Self.isForbiddenControl(c) { throw fail("control character \(describeCurrent()) in a comment") }
            i += 1
        }
    }

    /// After an expression: optional white space and comment, then a new line or the end.
    private mutating func endOfLine() throws(Failure) {
        skipWhitespace()
        try comment()
        if atEnd { return }
        guard try newline() else { throw fail("expected the end of the line, saw \(describeCurrent())") }
    }

    // MARK: Document structure

    private mutating func document() throws(Failure) {
        if b.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        while !atEnd {
            skipWhitespace()
            guard let c = current else { return }
            if c == UInt8(ascii: "#") {
                try comment()
                try endOfLine()
            } else if c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") {
                _ = try newline()
            } else if c == UInt8(ascii: "[") {
                try tableHeader()
                try endOfLine()
            } else {
                try keyValue(depth: 0)
                try endOfLine()
            }
        }
    }

    private mutating func tableHeader() throws(Failure) {
        i += 1
        let isArray = current == UInt8(ascii: "[")
        if isArray { i += 1 }
        skipWhitespace()
        try key()
        skipWhitespace()
        guard current == UInt8(ascii: "]") else {
            throw fail("expected '\(isArray ? "]]" : "]")' to close the table header, saw \(describeCurrent())")
        }
        i += 1
        if isArray {
            guard current == UInt8(ascii: "]") else { throw fail("expected ']]' to close the array-of-tables header") }
            i += 1
        }
    }

    private mutating func keyValue(depth: Int) throws(Failure) {
        try key()
        skipWhitespace()
        guard current == UInt8(ascii: "=") else { throw fail("expected '=' after the key, saw \(describeCurrent())") }
        i += 1
        skipWhitespace()
        try value(depth: depth)
    }

    /// A dotted key: simple keys separated by dots, white space allowed around the dots.
    private mutating func key() throws(Failure) {
        try simpleKey()
        var segments = 1
        while true {
            let save = i
            skipWhitespace()
            guard current == UInt8(ascii: ".") else {
                i = save
                return
            }
            i += 1
            segments += 1
            guard segments <= Self.maximumKeySegments else {
                throw fail("a dotted key may have at most \(Self.maximumKeySegments) parts")
            }
            skipWhitespace()
            try simpleKey()
        }
    }

    private mutating func simpleKey() throws(Failure) {
        guard let c = current else { throw fail("expected a key, saw the end of the document") }
        if c == UInt8(ascii: "\"") {
            if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") {
                throw fail("a key cannot be a multi-line string")
            }
            try basicString()
        } else if c == UInt8(ascii: "'") {
            if peek(1) == UInt8(ascii: "'"), peek(2) == UInt8(ascii: "'") {
                throw fail("a key cannot be a multi-line string")
            }
            try literalString()
        } else if Self.isBareKeyByte(c) {
            while let k = current, Self.isBareKeyByte(k) { i += 1 }
        } else {
            throw fail("expected a key (letters, digits, '_', '-', or a quoted string), saw \(describeCurrent())")
        }
    }

    // MARK: Values

    private mutating func value(depth: Int) throws(Failure) {
        guard let c = current else { throw fail("expected a value, saw the end of the document") }
        switch c {
        case UInt8(ascii: "\""):
            if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") {
                try multiLineString(quote: c)
            } else {
                try basicString()
            }
        case UInt8(ascii: "'"):
            if peek(1) == UInt8(ascii: "'"), peek(2) == UInt8(ascii: "'") {
                try multiLineString(quote: c)
            } else {
                try literalString()
            }
        case UInt8(ascii: "["):
            try array(depth: depth + 1)
        case UInt8(ascii: "{"):
            try inlineTable(depth: depth + 1)
        default:
            try scalarToken()
        }
    }

    private mutating func array(depth: Int) throws(Failure) {
        guard depth <= Self.maximumDepth else { throw fail("arrays and inline tables nested too deeply") }
        i += 1
        while true {
            try skipWhitespaceCommentsAndNewlines()
            if current == UInt8(ascii: "]") {
                i += 1
                return
            }
            try value(depth: depth)
            try skipWhitespaceCommentsAndNewlines()
            if current == UInt8(ascii: ",") {
                i += 1
            } else if current == UInt8(ascii: "]") {
                i += 1
                return
            } else {
                throw fail("expected ',' or ']' in the array, saw \(describeCurrent())")
            }
        }
    }

    private mutating func skipWhitespaceCommentsAndNewlines() throws(Failure) {
        while true {
            skipWhitespace()
            if current == UInt8(ascii: "#") {
                try comment()
            } else if try !newline() {
                return
            }
        }
    }

    private mutating func inlineTable(depth: Int) throws(Failure) {
        guard depth <= Self.maximumDepth else { throw fail("arrays and inline tables nested too deeply") }
        i += 1
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            i += 1
            return
        }
        while true {
            skipWhitespace()
            try keyValue(depth: depth)
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                i += 1
                skipWhitespace()
                if current == UInt8(ascii: "}") { throw fail("a trailing comma is not allowed in an inline table") }
            } else if current == UInt8(ascii: "}") {
                i += 1
                return
            } else {
                throw fail(
                    "expected ',' or '}' in the inline table (which must fit on one line), saw \(describeCurrent())")
            }
        }
    }

    // MARK: Strings

    private mutating func basicString() throws(Failure) {
        i += 1
        while true {
            guard let c = current else { throw fail("unterminated string") }
            if c == UInt8(ascii: "\"") {
                i += 1
                return
            }
            if c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") { throw fail("unterminated string (new line)") }
            if c == UInt8(ascii: "\\") {
                try escape()
                continue
            }
            if Self.isForbiddenControl(c) { throw fail("control character \(describeCurrent()) in a string") }
            i += 1
        }
    }

    private mutating func literalString() throws(Failure) {
        i += 1
        while true {
            guard let c = current else { throw fail("unterminated string") }
            if c == UInt8(ascii: "'") {
                i += 1
                return
            }
            if c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") { throw fail("unterminated string (new line)") }
            if Self.isForbiddenControl(c) { throw fail("control character \(describeCurrent()) in a string") }
            i += 1
        }
    }

    private mutating func multiLineString(quote: UInt8) throws(Failure) {
        i += 3
        while true {
            guard let c = current else { throw fail("unterminated multi-line string") }
            if c == quote {
                let runStart = i
                while current == quote { i += 1 }
                let run = i - runStart
                if run >= 3 {
                    if run > 5 {
                        throw Failure(offset: runStart, message: "too many quotes at the end of a multi-line string")
                    }
                    return
                }
                continue
            }
            if try newline() { continue }
            if c == UInt8(ascii: "\\"), quote == UInt8(ascii: "\"") {
                // Line-ending backslash: white space up to the new line, then all white space.
                var k = i + 1
                while k < b.count, b[k] == UInt8(ascii: " ") || b[k] == UInt8(ascii: "\t") { k += 1 }
                if k < b.count,
                    b[k] == UInt8(ascii: "\n")
                        || (b[k] == UInt8(ascii: "\r") && k + 1 < b.count && b[k + 1] == UInt8(ascii: "\n"))
                {
                    i = k
                    while true {
                        skipWhitespace()
                        if try !newline() { break }
                    }
                    continue
                }
                try escape()
                continue
            }
            if Self.isForbiddenControl(c) { throw fail("control character \(describeCurrent()) in a string") }
            i += 1
        }
    }

    /// `\b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX`, the scalar a Unicode scalar value.
    private mutating func escape() throws(Failure) {
        let start = i
        i += 1
        guard let e = current else { throw fail("unterminated escape sequence") }
        switch e {
        case UInt8(ascii: "b"), UInt8(ascii: "t"), UInt8(ascii: "n"), UInt8(ascii: "f"), UInt8(ascii: "r"),
            UInt8(ascii: "\""), UInt8(ascii: "\\"):
            i += 1
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = e == UInt8(ascii: "u") ? 4 : 8
            i += 1
            var scalar: UInt32 = 0
            for _ in 0..<count {
                guard let h = current, Self.isHexDigit(h) else {
                    throw Failure(offset: start, message: "\\\(Character(Unicode.Scalar(e))) needs \(count) hex digits")
                }
                scalar = scalar << 4 | Self.nibble(h)
                i += 1
            }
            guard Unicode.Scalar(scalar) != nil else {
                throw Failure(offset: start, message: "escape is not a Unicode scalar value")
            }
        default:
            throw Failure(offset: start, message: "invalid escape sequence \\\(describeEscaped(e))")
        }
    }

    private static func nibble(_ h: UInt8) -> UInt32 {
        switch h {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(h - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(h - UInt8(ascii: "a") + 10)
        default: UInt32(h - UInt8(ascii: "A") + 10)
        }
    }

    private func describeEscaped(_ c: UInt8) -> String {
        (0x21..<0x7f).contains(c) ? String(Character(Unicode.Scalar(c))) : "(0x\(String(c, radix: 16)))"
    }

    // MARK: Numbers, booleans, dates and times

    private static func isTokenByte(_ c: UInt8) -> Bool {
        isBareKeyByte(c) || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: ":")
    }

    private mutating func scalarToken() throws(Failure) {
        let start = i
        while let c = current, Self.isTokenByte(c) { i += 1 }
        // "1979-05-27 07:32:00": a date, one space, a time.
        if i - start == 10, Self.isDate(b[start..<i]), current == UInt8(ascii: " "), let d1 = peek(1), let d2 = peek(2),
            Self.isDigit(d1), Self.isDigit(d2), peek(3) == UInt8(ascii: ":")
        {
            i += 1
            while let c = current, Self.isTokenByte(c) { i += 1 }
        }
        let token = b[start..<i]
        guard !token.isEmpty else { throw fail("expected a value, saw \(describeCurrent())") }
        guard Self.isValidScalar(token) else {
            let text = String(decoding: token.prefix(40), as: UTF8.self)
            throw Failure(
                offset: start,
                message:
                    "invalid value '\(text)' (expected a string, number, true/false, date/time, array or inline table)"
            )
        }
    }

    private static func isValidScalar(_ t: ArraySlice<UInt8>) -> Bool {
        let text = String(decoding: t, as: UTF8.self)
        if text == "true" || text == "false" { return true }
        if let first = t.first, isDigit(first), t.count >= 8, t.contains(UInt8(ascii: ":")) || isDate(t.prefix(10)) {
            return isDateTime(t)
        }
        return isInteger(t) || isFloat(t)
    }

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

    private static func isInteger(_ t: ArraySlice<UInt8>) -> Bool {
        if t.count > 2, t.first == UInt8(ascii: "0") {
            let rest = t.dropFirst(2)
            switch t[t.startIndex + 1] {
            case UInt8(ascii: "x"): return isDigits(rest, isHexDigit)
            case UInt8(ascii: "o"): return isDigits(rest) { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") }
            case UInt8(ascii: "b"): return isDigits(rest) { $0 == UInt8(ascii: "0") || $0 == UInt8(ascii: "1") }
            default: break
            }
        }
        return isDecimalInteger(t)
    }

    private static func isFloat(_ t: ArraySlice<UInt8>) -> Bool {
        var s = t
        if let f = s.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") { s = s.dropFirst() }
        let word = String(decoding: s, as: UTF8.self)
        if word == "inf" || word == "nan" { return true }
        let expIndex = s.firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let mantissa = expIndex.map { s[..<$0] } ?? s
        let dot = mantissa.firstIndex(of: UInt8(ascii: "."))
        let intPart = dot.map { mantissa[..<$0] } ?? mantissa
        guard isDecimalInteger(intPart), intPart.first != UInt8(ascii: "+"), intPart.first != UInt8(ascii: "-") else {
            return false
        }
        if let dot { guard isDigits(mantissa[(dot + 1)...], isDigit) else { return false } }
        if let expIndex {
            var e = s[(expIndex + 1)...]
            if let f = e.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") { e = e.dropFirst() }
            guard isDigits(e, isDigit) else { return false }
        }
        return dot != nil || expIndex != nil
    }

    private static func number(_ t: ArraySlice<UInt8>) -> Int? {
        guard !t.isEmpty, t.allSatisfy(isDigit) else { return nil }
        return t.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    /// `YYYY-MM-DD` with a real calendar date.
    private static func isDate(_ t: ArraySlice<UInt8>) -> Bool {
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
