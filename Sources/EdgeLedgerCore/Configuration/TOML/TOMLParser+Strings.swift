/// TOML strings: basic and literal, single- and multi-line, with their escapes.
extension TOMLParser {
    mutating func basicString() throws(Failure) -> String {
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

    mutating func literalString() throws(Failure) -> String {
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
    mutating func multiLineString(quote: UInt8) throws(Failure) -> String {
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
    mutating func escape(into out: inout [UInt8]) throws(Failure) {
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

    func describeEscaped(_ c: UInt8) -> String {
        (0x21..<0x7f).contains(c) ? String(Character(Unicode.Scalar(c))) : "(0x\(String(c, radix: 16)))"
    }
}
