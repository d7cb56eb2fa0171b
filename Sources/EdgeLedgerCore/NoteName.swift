/// Rules for C2SP signed-note key names.
public enum NoteName {
    /// Why `name` cannot be a C2SP key name, or `nil` when it can.
    ///
    /// Key names must be non-empty and contain neither Unicode white space nor `+`
    /// (signed-note spec); control characters are refused too, since a note may not contain
    /// them.
    public static func problem(with name: some StringProtocol) -> String? {
        if name.isEmpty { return "key name is empty" }
        for scalar in name.unicodeScalars {
            if scalar == "+" { return "key name \(quoted(name)) contains '+'" }
            if scalar.properties.isWhitespace {
                return "key name \(quoted(name)) contains white space (U+\(hex4(scalar.value)))"
            }
            if scalar.value < 0x20 {
                return "key name \(quoted(name)) contains a control character (U+\(hex4(scalar.value)))"
            }
        }
        return nil
    }

    /// Whether `name` is a valid key name.
    public static func isValid(_ name: some StringProtocol) -> Bool { problem(with: name) == nil }

    /// `name` in double quotes with control characters escaped, for error messages.
    static func quoted(_ name: some StringProtocol) -> String {
        var out = "\""
        for scalar in name.unicodeScalars.prefix(200) {
            if scalar.value < 0x20 {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        if name.unicodeScalars.count > 200 { out += "…" }
        return out + "\""
    }

    static func hex4(_ v: UInt32) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}
