/// Strict unsigned decimal numbers, as the API's paths and query parameters write them.
public enum DecimalNumber {
    /// The value of `text` if it is 1...20 ASCII digits without a leading zero (except "0")
    /// that fit in 64 bits; `nil` for anything else (signs, spaces, overflow, empty).
    public static func parse(_ text: some Collection<UInt8>) -> UInt64? {
        guard !text.isEmpty, text.count <= 20 else { return nil }
        guard text.count == 1 || text.first != UInt8(ascii: "0") else { return nil }
        var value: UInt64 = 0
        for c in text {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(c - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value
    }

    /// ``parse(_:)`` for a string.
    public static func parse(_ text: some StringProtocol) -> UInt64? { parse(Array(text.utf8)) }
}
