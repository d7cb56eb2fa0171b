/// A strict, allocation-free JSON syntax check (RFC 8259) for payload validation on the hot path.
///
/// It only answers "is this one JSON object, and if not, where does it go wrong"; it builds no
/// values. Nesting deeper than ``maximumDepth`` is rejected rather than risking the stack.
public enum JSONSyntax {
    /// Deepest nesting of objects/arrays accepted.
    public static let maximumDepth = 64

    /// `nil` if `bytes` is exactly one JSON object (surrounding whitespace allowed);
    /// otherwise a short description of the first problem, e.g. "expected ':' at byte 12".
    public static func objectProblem(_ bytes: UnsafeRawBufferPointer) -> String? {
        var p = Parser(bytes: bytes)
        p.skipWhitespace()
        guard p.peek == UInt8(ascii: "{") else {
            return p.atEnd
                ? "empty payload, expected a JSON object" : "not a JSON object (starts with \(p.describePeek))"
        }
        if let problem = p.value(depth: 0) { return problem }
        p.skipWhitespace()
        return p.atEnd ? nil : "unexpected \(p.describePeek) at byte \(p.index) after the JSON object"
    }

    /// Convenience for arrays.
    public static func objectProblem(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { objectProblem($0) }
    }

    struct Parser {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }
        var describePeek: String {
            guard let c = peek else { return "end of payload" }
            return c >= 0x20 && c < 0x7f ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x\(Hex.encode([c]))"
        }

        mutating func skipWhitespace() {
            while let c = peek, c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09 { index += 1 }
        }

        func expected(_ what: String) -> String { "expected \(what) at byte \(index), found \(describePeek)" }

        mutating func value(depth: Int) -> String? {
            skipWhitespace()
            guard let c = peek else { return expected("a value") }
            switch c {
            case UInt8(ascii: "{"): return object(depth: depth + 1)
            case UInt8(ascii: "["): return array(depth: depth + 1)
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number()
            default: return expected("a value")
            }
        }

        mutating func object(depth: Int) -> String? {
            guard depth <= JSONSyntax.maximumDepth else { return "nesting deeper than \(JSONSyntax.maximumDepth)" }
            index += 1
            skipWhitespace()
            if peek == UInt8(ascii: "}") {
                index += 1
                return nil
            }
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\"") else { return expected("a string key") }
                if let problem = string() { return problem }
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { return expected("':'") }
                index += 1
                if let problem = value(depth: depth) { return problem }
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"):
                    index += 1
                    return nil
                default: return expected("',' or '}'")
                }
            }
        }

        mutating func array(depth: Int) -> String? {
            guard depth <= JSONSyntax.maximumDepth else { return "nesting deeper than \(JSONSyntax.maximumDepth)" }
            index += 1
            skipWhitespace()
            if peek == UInt8(ascii: "]") {
                index += 1
                return nil
            }
            while true {
                if let problem = value(depth: depth) { return problem }
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "]"):
                    index += 1
                    return nil
                default: return expected("',' or ']'")
                }
            }
        }

        mutating func literal(_ word: StaticString) -> String? {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return expected("'\(word)'") }
            for i in 0..<count where bytes[index + i] != word.utf8Start[i] {
                return expected("'\(word)'")
            }
            index += count
            return nil
        }

        mutating func number() -> String? {
            if peek == UInt8(ascii: "-") { index += 1 }
            guard let first = peek, first >= 0x30 && first <= 0x39 else { return expected("a digit") }
            index += 1
            if first != 0x30 { digits() }
            if peek == UInt8(ascii: ".") {
                index += 1
                guard let d = peek, d >= 0x30 && d <= 0x39 else { return expected("a digit after '.'") }
                digits()
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                index += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
                guard let d = peek, d >= 0x30 && d <= 0x39 else { return expected("an exponent digit") }
                digits()
            }
            return nil
        }

        mutating func digits() {
            while let c = peek, c >= 0x30 && c <= 0x39 { index += 1 }
        }

        /// A string, with escapes checked and the bytes required to be valid UTF-8.
        mutating func string() -> String? {
            index += 1
            let start = index
            while let c = peek {
                switch c {
                case UInt8(ascii: "\""):
                    let ok = validUTF8(bytes[start..<index])
                    index += 1
                    return ok ? nil : "invalid UTF-8 in string at byte \(start)"
                case UInt8(ascii: "\\"):
                    index += 1
                    guard let e = peek else { return expected("an escape") }
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                        UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        index += 1
                    case UInt8(ascii: "u"):
                        index += 1
                        for _ in 0..<4 {
                            guard let h = peek, isHexDigit(h) else {
                                return expected("4 hex digits after \\u")
                            }
                            index += 1
                        }
                    default: return expected("a valid escape")
                    }
                case 0..<0x20:
                    return "control character 0x\(Hex.encode([c])) in string at byte \(index)"
                default:
                    index += 1
                }
            }
            return "unterminated string starting at byte \(start - 1)"
        }

        func isHexDigit(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
        }

        func validUTF8(_ slice: Slice<UnsafeRawBufferPointer>) -> Bool {
            var it = slice.makeIterator()
            var decoder = UTF8()
            while true {
                switch decoder.decode(&it) {
                case .scalarValue: continue
                case .emptyInput: return true
                case .error: return false
                }
            }
        }
    }
}
