/// TOML numbers, booleans, dates and times.
extension TOMLParser {
    static func isTokenByte(_ c: UInt8) -> Bool {
        isBareKeyByte(c) || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: ":")
    }

    mutating func scalarToken(path: String) throws(Failure) -> ConfigValue {
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
