extension JSONSyntax {
    /// A top-level member's value as found in the bytes of a JSON object.
    public enum MemberValue: Equatable {
        /// A string: the bytes between the quotes, escapes not decoded (`escaped` says whether
        /// there are any).
        case string(Range<Int>, escaped: Bool)
        /// A number: its bytes.
        case number(Range<Int>)
        /// `true`, `false`, `null`, an object or an array.
        case other
    }

    /// The value of the first top-level member named `name` in `bytes`, which must already be a
    /// valid JSON object (``objectProblem(_:)-7ceqf`` returned `nil`); `nil` when there is no
    /// such member. Member names are compared after decoding their escapes.
    public static func topLevelMember(_ name: [UInt8], in bytes: UnsafeRawBufferPointer) -> MemberValue? {
        var i = 0
        let n = bytes.count
        func skipWhitespace() {
            while i < n, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
        }
        /// At an opening quote: the content range, whether it has escapes; `i` after the closing quote.
        func string() -> (Range<Int>, Bool) {
            i += 1
            let start = i
            var escaped = false
            while i < n, bytes[i] != UInt8(ascii: "\"") {
                if bytes[i] == UInt8(ascii: "\\") {
                    escaped = true
                    i += 1
                }
                i += 1
            }
            let range = start..<min(i, n)
            i += 1
            return (range, escaped)
        }
        /// Skips one value (a scalar, or a whole object or array); `i` after it.
        func skipValue() {
            var depth = 0
            while i < n {
                switch bytes[i] {
                case UInt8(ascii: "\""):
                    _ = string()
                    if depth == 0 { return }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return }
                    depth -= 1
                    if depth == 0 {
                        i += 1
                        return
                    }
                case UInt8(ascii: ","), 0x20, 0x09, 0x0A, 0x0D:
                    if depth == 0 { return }
                default:
                    break
                }
                i += 1
            }
        }
        skipWhitespace()
        guard i < n, bytes[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        while true {
            skipWhitespace()
            guard i < n, bytes[i] == UInt8(ascii: "\"") else { return nil }
            let (key, keyEscaped) = string()
            let matches =
                keyEscaped
                ? unescape(UnsafeRawBufferPointer(rebasing: bytes[key])) == name
                : bytes[key].elementsEqual(name)
            skipWhitespace()
            i += 1  // ':'
            skipWhitespace()
            guard i < n else { return nil }
            if matches {
                switch bytes[i] {
                case UInt8(ascii: "\""):
                    let (range, escaped) = string()
                    return .string(range, escaped: escaped)
                case UInt8(ascii: "-"), 0x30...0x39:
                    let start = i
                    while i < n, "+-.eE0123456789".utf8.contains(bytes[i]) { i += 1 }
                    return .number(start..<i)
                default: return .other
                }
            }
            skipValue()
            skipWhitespace()
            guard i < n, bytes[i] == UInt8(ascii: ",") else { return nil }
            i += 1
        }
    }

    /// The UTF-8 bytes of a JSON string's content with its escapes decoded (`nil` if malformed).
    static func unescape(_ raw: UnsafeRawBufferPointer) -> [UInt8]? {
        var out: [UInt8] = []
        var i = 0
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= raw.count else { return nil }
            return UInt32(String(decoding: raw[at..<at + 4], as: UTF8.self), radix: 16)
        }
        while i < raw.count {
            let c = raw[i]
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                i += 1
                continue
            }
            guard i + 1 < raw.count else { return nil }
            let e = raw[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(i) else { return nil }
                i += 4
                if (0xD800..<0xDC00).contains(scalar), i + 6 <= raw.count, raw[i] == UInt8(ascii: "\\"),
                    raw[i + 1] == UInt8(ascii: "u"), let low = hex4(i + 2), (0xDC00..<0xE000).contains(low)
                {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                out.append(contentsOf: String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
            default: out.append(e)
            }
        }
        return out
    }
}
