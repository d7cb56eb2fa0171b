/// JSON text without Foundation: the one writer every JSON document of the project goes
/// through (log lines, `export`, `status --json`, API answers, anchor documents), so that each
/// stays valid JSON (RFC 8259) whatever the strings hold.
///
/// Strings are written as UTF-8 with `"` and `\` escaped, the C0 controls as `\b \f \n \r \t` or
/// `\u00XX`, and DEL and the C1 controls (U+0080–U+009F) as `\u00XX` too, so that no document
/// carries a raw control character into a terminal or a log. Bytes that are not valid UTF-8
/// (including encoded lone surrogates) are written as U+FFFD; a Swift `String` is always valid.
public enum JSONWriter {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `text` as a JSON string literal, with quotes.
    public static func appendString(_ text: some StringProtocol, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        appendEscaped(validUTF8: text.utf8, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// Appends `bytes` as a JSON string literal, with quotes; invalid UTF-8 becomes U+FFFD.
    public static func appendString(utf8 bytes: some Collection<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if bytes.allSatisfy({ $0 < 0x80 }) {
            appendEscaped(validUTF8: bytes, to: &out)
        } else {
            appendEscaped(validUTF8: String(decoding: bytes, as: UTF8.self).utf8, to: &out)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `text` as a JSON string literal, with quotes.
    public static func string(_ text: some StringProtocol) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 2)
        appendString(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A JSON object from members whose values are already JSON text, in the given order:
    /// `{"a":1,"b":"x"}`, or `{"a": 1, "b": "x"}` when `spaced`.
    public static func object(_ members: [(String, String)], spaced: Bool = false) -> String {
        let separator = spaced ? ", " : ","
        let colon = spaced ? ": " : ":"
        return "{" + members.map { string($0.0) + colon + $0.1 }.joined(separator: separator) + "}"
    }

    /// Appends the decimal digits of `value` (with `-` when negative), without allocating.
    public static func appendInteger(_ value: some BinaryInteger, to out: inout [UInt8]) {
        guard value.bitWidth <= 64 else {
            out.append(contentsOf: String(value).utf8)
            return
        }
        var magnitude = UInt64(truncatingIfNeeded: value)
        if value < 0 {
            out.append(UInt8(ascii: "-"))
            magnitude = 0 &- magnitude  // the sign-extended pattern's two's complement
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var first = 20
            repeat {
                first -= 1
                digits[first] = UInt8(ascii: "0") &+ UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[first...]))
        }
    }

    /// Appends valid UTF-8 with the escapes described on ``JSONWriter``.
    private static func appendEscaped(validUTF8 bytes: some Sequence<UInt8>, to out: inout [UInt8]) {
        var afterC2 = false  // the previous byte was 0xC2, the lead byte of U+0080–U+00BF
        for b in bytes {
            if afterC2 {
                afterC2 = false
                if b < 0xa0 {  // U+0080–U+009F: a C1 control
                    appendUnicodeEscape(b, to: &out)
                    continue
                }
                out.append(0xc2)
            }
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5c, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5c, 0x5c])
            case 0x0a: out.append(contentsOf: [0x5c, UInt8(ascii: "n")])
            case 0x0d: out.append(contentsOf: [0x5c, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5c, UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [0x5c, UInt8(ascii: "b")])
            case 0x0c: out.append(contentsOf: [0x5c, UInt8(ascii: "f")])
            case 0..<0x20, 0x7f: appendUnicodeEscape(b, to: &out)
            case 0xc2: afterC2 = true
            default: out.append(b)
            }
        }
        if afterC2 { out.append(0xc2) }  // unreachable for valid UTF-8
    }

    private static func appendUnicodeEscape(_ value: UInt8, to out: inout [UInt8]) {
        out.append(contentsOf: [0x5c, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
        out.append(hexDigits[Int(value >> 4)])
        out.append(hexDigits[Int(value & 0x0f)])
    }
}
