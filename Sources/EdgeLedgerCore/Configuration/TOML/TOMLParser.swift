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

    struct Failure: Error {
        let offset: Int
        let message: String
        var path = ""
    }

    let b: [UInt8]
    var i = 0
    var line = 1
    var tree = TOMLTree()

    init(_ text: String) { b = Array(text.utf8) }

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

    func issue(_ failure: Failure) -> ConfigIssue {
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

    var atEnd: Bool { i >= b.count }
    var current: UInt8? { i < b.count ? b[i] : nil }
    func peek(_ k: Int) -> UInt8? { i + k < b.count ? b[i + k] : nil }

    func fail(_ message: String) -> Failure { Failure(offset: i, message: message) }

    func describeCurrent() -> String {
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

    static func isBareKeyByte(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || TOMLScalar.isDigit(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
    }

    /// Control characters other than tab are not allowed in strings and comments.
    static func isForbiddenControl(_ c: UInt8) -> Bool { (c < 0x20 && c != 0x09) || c == 0x7f }

    mutating func skipWhitespace() {
        while let c = current, c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") { i += 1 }
    }

    /// Consumes a new line (`\n` or `\r\n`); false when there is none here.
    mutating func newline() throws(Failure) -> Bool {
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

    mutating func comment() throws(Failure) {
        guard current == UInt8(ascii: "#") else { return }
        i += 1
        while let c = current, c != UInt8(ascii: "\n") {
            if c == UInt8(ascii: "\r"), peek(1) == UInt8(ascii: "\n") { return }
            if Self.isForbiddenControl(c) { throw fail("control character \(describeCurrent()) in a comment") }
            i += 1
        }
    }

    /// After an expression: optional white space and comment, then a new line or the end.
    mutating func endOfLine() throws(Failure) {
        skipWhitespace()
        try comment()
        if atEnd { return }
        guard try newline() else { throw fail("expected the end of the line, saw \(describeCurrent())") }
    }

    // MARK: Document structure

    mutating func document() throws(Failure) {
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
    mutating func tableHeader() throws(Failure) -> (table: Int, path: String) {
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
    mutating func keyValue(into table: Int, path: String, depth: Int) throws(Failure) {
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
    mutating func key() throws(Failure) -> [String] {
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

    mutating func simpleKey() throws(Failure) -> String {
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
    mutating func value(depth: Int, path: String) throws(Failure) -> Int {
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

    mutating func array(depth: Int, path: String) throws(Failure) -> Int {
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

    mutating func skipWhitespaceCommentsAndNewlines() throws(Failure) {
        while true {
            skipWhitespace()
            if current == UInt8(ascii: "#") {
                try comment()
            } else if try !newline() {
                return
            }
        }
    }

    mutating func inlineTable(depth: Int, path: String) throws(Failure) -> Int {
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
}
