/// A TOML 1.0 parser onto ``ConfigValue``, without Foundation.
///
/// It follows the TOML 1.0 ABNF for everything lexical — keys, strings and escapes, numbers,
/// dates and times, arrays, inline tables, headers, comments, new lines — and the TOML 1.0
/// rules on defining keys and tables (``TOMLTree``). Anything else is refused with a line and
/// column (1-based; columns count Unicode scalars) and, for a key or table defined in a way
/// TOML forbids, the key path.
///
/// It is deliberately conservative: no TOML 1.1 extensions, times must have seconds, leap
/// seconds and more than nine fractional digits are refused, nesting is limited to
/// ``maximumDepth`` and dotted keys to ``maximumKeySegments`` parts, so that neither parsing
/// nor building the result recurses deeply. Dates and times are kept as their text
/// (``ConfigValue/datetime(_:)``); new lines in multi-line strings are read as `\n`.
struct TOMLParser {
    /// Deepest nesting of arrays and inline tables accepted.
    static let maximumDepth = 64
    /// Most segments in one dotted key (`a.b.c` has three).
    static let maximumKeySegments = 32

    private struct Failure: Error {
        let offset: Int
        let message: String
        var path = ""
    }

    private let b: [UInt8]
    private var i = 0
    private var line = 1
    private var tree = TOMLTree()

    private init(_ text: String) { b = Array(text.utf8) }

    /// The document `text` stands for, or the first problem in it.
    static func parse(_ text: String) throws(ConfigError) -> ConfigValue {
        var parser = TOMLParser(text)
        do {
            try parser.document()
        } catch {
            throw ConfigError(issues: [parser.issue(error)])
        }
        return parser.tree.document
    }

    private func issue(_ failure: Failure) -> ConfigIssue {
        let end = min(failure.offset, b.count)
        var line = 1
        var lineStart = 0
        for k in 0..<end where b[k] == UInt8(ascii: "\n") {
            line += 1
            lineStart = k + 1
        }
        let column = String(decoding: b[lineStart..<end], as: UTF8.self).unicodeScalars.count + 1
        let message = failure.path.isEmpty ? "TOML syntax error: " + failure.message : failure.message
        return ConfigIssue(path: failure.path, message: message, line: line, column: column)
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
                let hex = String(scalar.value, radix: 16, uppercase: true)
                return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            }
            return "byte 0x" + String(c, radix: 16)
        }
    }

    private static func isBareKeyByte(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || TOMLScalar.isDigit(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
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
            line += 1
            return true
        }
        if current == UInt8(ascii: "\r") {
            guard peek(1) == UInt8(ascii: "\n") else { throw fail("a carriage return must be followed by a new line") }
            i += 2
            line += 1
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
        var table = 0
        var path = ""
        while !atEnd {
            skipWhitespace()
            guard let c = current else { return }
            if c == UInt8(ascii: "#") {
                try comment()
                try endOfLine()
            } else if c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") {
                _ = try newline()
            } else if c == UInt8(ascii: "[") {
                (table, path) = try tableHeader()
                try endOfLine()
            } else {
                try keyValue(into: table, path: path, depth: 0)
                try endOfLine()
            }
        }
    }

    /// `[a.b]` or `[[a.b]]`: the table it opens and that table's key path.
    private mutating func tableHeader() throws(Failure) -> (table: Int, path: String) {
        let start = i
        let headerLine = line
        i += 1
        let isArray = current == UInt8(ascii: "[")
        if isArray { i += 1 }
        skipWhitespace()
        let keys = try key()
        skipWhitespace()
        guard current == UInt8(ascii: "]") else {
            throw fail("expected '\(isArray ? "]]" : "]")' to close the table header, saw \(describeCurrent())")
        }
        i += 1
        if isArray {
            guard current == UInt8(ascii: "]") else { throw fail("expected ']]' to close the array-of-tables header") }
            i += 1
        }
        do {
            return try tree.openHeader(keys, isArray: isArray, line: headerLine)
        } catch {
            throw Failure(offset: start, message: error.message, path: error.path)
        }
    }

    /// `key = value` into `table`, whose key path is `path`.
    private mutating func keyValue(into table: Int, path: String, depth: Int) throws(Failure) {
        let start = i
        let keyLine = line
        let keys = try key()
        skipWhitespace()
        guard current == UInt8(ascii: "=") else { throw fail("expected '=' after the key, saw \(describeCurrent())") }
        i += 1
        skipWhitespace()
        let valuePath = keys.reduce(path, TOMLTree.join)
        let node = try value(depth: depth, path: valuePath)
        do {
            try tree.insert(keys, value: node, into: table, path: path, line: keyLine)
        } catch {
            throw Failure(offset: start, message: error.message, path: error.path)
        }
    }

    /// A dotted key: simple keys separated by dots, white space allowed around the dots.
    private mutating func key() throws(Failure) -> [String] {
        var keys = [try simpleKey()]
        while true {
            let save = i
            skipWhitespace()
            guard current == UInt8(ascii: ".") else {
                i = save
                return keys
            }
            i += 1
            guard keys.count < Self.maximumKeySegments else {
                throw fail("a dotted key may have at most \(Self.maximumKeySegments) parts")
            }
            skipWhitespace()
            keys.append(try simpleKey())
        }
    }

    private mutating func simpleKey() throws(Failure) -> String {
        guard let c = current else { throw fail("expected a key, saw the end of the document") }
        if c == UInt8(ascii: "\"") {
            if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") {
                throw fail("a key cannot be a multi-line string")
            }
            return try basicString()
        } else if c == UInt8(ascii: "'") {
            if peek(1) == UInt8(ascii: "'"), peek(2) == UInt8(ascii: "'") {
                throw fail("a key cannot be a multi-line string")
            }
            return try literalString()
        } else if Self.isBareKeyByte(c) {
            let start = i
            while let k = current, Self.isBareKeyByte(k) { i += 1 }
            return String(decoding: b[start..<i], as: UTF8.self)
        } else {
            throw fail("expected a key (letters, digits, '_', '-', or a quoted string), saw \(describeCurrent())")
        }
    }

    // MARK: Values

    /// A value; its node in the tree. `path` names it in messages.
    private mutating func value(depth: Int, path: String) throws(Failure) -> Int {
        guard let c = current else { throw fail("expected a value, saw the end of the document") }
        let valueLine = line
        switch c {
        case UInt8(ascii: "\""):
            let text =
                peek(1) == UInt8(ascii: "\"") && peek(2) == UInt8(ascii: "\"")
                ? try multiLineString(quote: c) : try basicString()
            return tree.scalar(.string(text), line: valueLine)
        case UInt8(ascii: "'"):
            let text =
                peek(1) == UInt8(ascii: "'") && peek(2) == UInt8(ascii: "'")
                ? try multiLineString(quote: c) : try literalString()
            return tree.scalar(.string(text), line: valueLine)
        case UInt8(ascii: "["):
            return try array(depth: depth + 1, path: path)
        case UInt8(ascii: "{"):
            return try inlineTable(depth: depth + 1, path: path)
        default:
            return tree.scalar(try scalarToken(path: path), line: valueLine)
        }
    }

    private mutating func array(depth: Int, path: String) throws(Failure) -> Int {
        guard depth <= Self.maximumDepth else { throw fail("arrays and inline tables nested too deeply") }
        let array = tree.staticArray(line: line)
        var count = 0
        i += 1
        while true {
            try skipWhitespaceCommentsAndNewlines()
            if current == UInt8(ascii: "]") {
                i += 1
                return array
            }
            tree.append(try value(depth: depth, path: path + "[\(count)]"), to: array)
            count += 1
            try skipWhitespaceCommentsAndNewlines()
            if current == UInt8(ascii: ",") {
                i += 1
            } else if current == UInt8(ascii: "]") {
                i += 1
                return array
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

    private mutating func inlineTable(depth: Int, path: String) throws(Failure) -> Int {
        guard depth <= Self.maximumDepth else { throw fail("arrays and inline tables nested too deeply") }
        let table = tree.inlineTable(line: line)
        i += 1
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            i += 1
            return table
        }
        while true {
            skipWhitespace()
            try keyValue(into: table, path: path, depth: depth)
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                i += 1
                skipWhitespace()
                if current == UInt8(ascii: "}") { throw fail("a trailing comma is not allowed in an inline table") }
            } else if current == UInt8(ascii: "}") {
                i += 1
                return table
            } else {
                throw fail(
                    "expected ',' or '}' in the inline table (which must fit on one line), saw \(describeCurrent())")
            }
        }
    }

    // MARK: Strings

    private mutating func basicString() throws(Failure) -> String {
        i += 1
        var out: [UInt8] = []
        while true {
            guard let c = current else { throw fail("unterminated string") }
            if c == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") { throw fail("unterminated string (new line)") }
            if c == UInt8(ascii: "\\") {
                try escape(into: &out)
                continue
            }
            if Self.isForbiddenControl(c) { throw fail("control character \(describeCurrent()) in a string") }
            out.append(c)
            i += 1
        }
    }

    private mutating func literalString() throws(Failure) -> String {
        i += 1
        let start = i
        while true {
            guard let c = current else { throw fail("unterminated string") }
            if c == UInt8(ascii: "'") {
                i += 1
                return String(decoding: b[start..<(i - 1)], as: UTF8.self)
            }
            if c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") { throw fail("unterminated string (new line)") }
            if Self.isForbiddenControl(c) { throw fail("control character \(describeCurrent()) in a string") }
            i += 1
        }
    }

    /// `"""..."""` (escapes, line-ending backslashes) or `'''...'''` (raw); a new line right
    /// after the opening quotes is not part of the string.
    private mutating func multiLineString(quote: UInt8) throws(Failure) -> String {
        i += 3
        var out: [UInt8] = []
        _ = try newline()
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
                    out.append(contentsOf: repeatElement(quote, count: run - 3))
                    return String(decoding: out, as: UTF8.self)
                }
                out.append(contentsOf: repeatElement(quote, count: run))
                continue
            }
            if try newline() {
                out.append(UInt8(ascii: "\n"))
                continue
            }
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
                try escape(into: &out)
                continue
            }
            if Self.isForbiddenControl(c) { throw fail("control character \(describeCurrent()) in a string") }
            out.append(c)
            i += 1
        }
    }

    /// `\b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX`, the scalar a Unicode scalar value; appends
    /// what it stands for as UTF-8.
    private mutating func escape(into out: inout [UInt8]) throws(Failure) {
        let start = i
        i += 1
        guard let e = current else { throw fail("unterminated escape sequence") }
        let simple: UInt8? =
            switch e {
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "t"): 0x09
            case UInt8(ascii: "n"): 0x0A
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "r"): 0x0D
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): e
            default: nil
            }
        if let simple {
            out.append(simple)
            i += 1
            return
        }
        guard e == UInt8(ascii: "u") || e == UInt8(ascii: "U") else {
            throw Failure(offset: start, message: "invalid escape sequence \\\(describeEscaped(e))")
        }
        let count = e == UInt8(ascii: "u") ? 4 : 8
        i += 1
        var value: UInt32 = 0
        for _ in 0..<count {
            guard let h = current, TOMLScalar.isHexDigit(h) else {
                throw Failure(offset: start, message: "\\\(Character(Unicode.Scalar(e))) needs \(count) hex digits")
            }
            value = value << 4 | TOMLScalar.nibble(h)
            i += 1
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw Failure(offset: start, message: "escape is not a Unicode scalar value")
        }
        out.append(contentsOf: UTF8.encode(scalar)!)
    }

    private func describeEscaped(_ c: UInt8) -> String {
        (0x21..<0x7f).contains(c) ? String(Character(Unicode.Scalar(c))) : "(0x\(String(c, radix: 16)))"
    }

    // MARK: Numbers, booleans, dates and times

    private static func isTokenByte(_ c: UInt8) -> Bool {
        isBareKeyByte(c) || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: ":")
    }

    private mutating func scalarToken(path: String) throws(Failure) -> ConfigValue {
        let start = i
        while let c = current, Self.isTokenByte(c) { i += 1 }
        // "1979-05-27 07:32:00": a date, one space, a time.
        if i - start == 10, TOMLScalar.isDate(b[start..<i]), current == UInt8(ascii: " "), let d1 = peek(1),
            let d2 = peek(2), TOMLScalar.isDigit(d1), TOMLScalar.isDigit(d2), peek(3) == UInt8(ascii: ":")
        {
            i += 1
            while let c = current, Self.isTokenByte(c) { i += 1 }
        }
        let token = b[start..<i]
        guard !token.isEmpty else { throw fail("expected a value, saw \(describeCurrent())") }
        switch TOMLScalar.parse(token) {
        case .value(let value):
            return value
        case .integerOutOfRange:
            throw Failure(offset: start, message: "integer out of range (64-bit signed)", path: path)
        case .invalid:
            let text = String(decoding: token.prefix(40), as: UTF8.self)
            throw Failure(
                offset: start,
                message:
                    "invalid value '\(text)' (expected a string, number, true/false, date/time, array or inline table)"
            )
        }
    }
}
