import EdgeLedgerCore
import Foundation
import Testing

/// The one JSON writer (``JSONWriter``): every document it writes is valid JSON, whatever the
/// strings hold.
@Suite struct JSONWriterTests {
    @Test("Quotes, backslashes and every control character are escaped; non-ASCII is kept")
    func escapes() throws {
        #expect(JSONWriter.string("a\"b\\c\nd\u{1}é") == "\"a\\\"b\\\\c\\nd\\u0001é\"")
        #expect(JSONWriter.string("\u{8}\u{c}\r\t\u{1f}") == "\"\\b\\f\\r\\t\\u001f\"")
        // DEL and the C1 controls (U+0080–U+009F) too: no raw control reaches a terminal.
        #expect(JSONWriter.string("\u{7f}\u{80}\u{85}\u{9f}") == "\"\\u007f\\u0080\\u0085\\u009f\"")
        // U+00A0 and up, and astral characters, are written as UTF-8.
        #expect(JSONWriter.string("\u{a0}温度🌡") == "\"\u{a0}温度🌡\"")
        var all = ""
        for v in 0..<0x100 { all.unicodeScalars.append(Unicode.Scalar(UInt8(v))) }
        try Self.expectValid(JSONWriter.string(all), equals: all)
    }

    @Test("Bytes that are not UTF-8, among them encoded lone surrogates, become U+FFFD")
    func invalidUTF8() throws {
        // A lone high surrogate (what "\ud800" decodes to in WTF-8), a stray continuation
        // byte, a truncated sequence and an overlong encoding.
        for bytes: [UInt8] in [[0xed, 0xa0, 0x80], [0x61, 0x80, 0x62], [0xe6, 0xb8], [0xc0, 0xaf]] {
            var out: [UInt8] = []
            JSONWriter.appendString(utf8: bytes, to: &out)
            let text = try #require(String(validating: out, as: UTF8.self))
            #expect(text.contains("\u{FFFD}"))
            try Self.expectValid(text, equals: nil)
        }
        var ascii: [UInt8] = []
        JSONWriter.appendString(utf8: Array("plant/\"7\"".utf8), to: &ascii)
        #expect(String(decoding: ascii, as: UTF8.self) == "\"plant/\\\"7\\\"\"")
    }

    @Test("A payload with lone surrogates in \\u escapes is exported as valid JSON, byte for byte")
    func escapedLoneSurrogate() throws {
        // JSON's grammar lets a producer write "\ud800" alone (RFC 8259 §8.2); the ingest check
        // accepts it and the ledger keeps the bytes. Exported as a string, it must still parse
        // and read back as exactly those bytes (Swift strings cannot hold a lone surrogate, so
        // no decoded form ever reaches the writer: the TOML parser refuses one).
        let payload = Array(#"{"t":"\ud800x","u":"\udfff","v":"\ud83c\udf21"}"#.utf8)
        #expect(JSONSyntax.objectProblem(payload) == nil)
        var out: [UInt8] = []
        JSONWriter.appendString(utf8: payload, to: &out)
        try Self.expectValid(String(decoding: out, as: UTF8.self), equals: String(decoding: payload, as: UTF8.self))
    }

    @Test("Objects keep member order, compact or spaced")
    func objects() {
        #expect(JSONWriter.object([("b", "1"), ("a", JSONWriter.string("x"))]) == #"{"b":1,"a":"x"}"#)
        #expect(JSONWriter.object([("b", "1"), ("a", "true")], spaced: true) == #"{"b": 1, "a": true}"#)
        var out: [UInt8] = []
        JSONWriter.appendInteger(-42, to: &out)
        #expect(out == Array("-42".utf8))
    }

    @Test("Integers are written as String(value) writes them, at every width and sign")
    func integers() {
        func written(_ value: some BinaryInteger) -> String {
            var out: [UInt8] = [UInt8(ascii: "x")]
            JSONWriter.appendInteger(value, to: &out)
            return String(decoding: out.dropFirst(), as: UTF8.self)
        }
        #expect(written(0) == "0")
        #expect(written(7) == "7")
        #expect(written(-7) == "-7")
        #expect(written(1_000_000) == "1000000")
        #expect(written(Int64.min) == String(Int64.min))
        #expect(written(Int64.max) == String(Int64.max))
        #expect(written(UInt64.max) == String(UInt64.max))
        #expect(written(Int8.min) == "-128")
        #expect(written(UInt8.max) == "255")
        for k in 0..<64 { #expect(written(UInt64(1) << k) == String(UInt64(1) << k)) }
    }

    /// `literal` parses as a JSON string (with this project's checker and Foundation's), and to
    /// `expected` when given.
    static func expectValid(_ literal: String, equals expected: String?) throws {
        let document = "{\"v\":" + literal + "}"
        #expect(JSONSyntax.objectProblem(Array(document.utf8)) == nil, "\(literal)")
        let parsed = try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: String]
        if let expected { #expect(parsed?["v"] == expected) } else { #expect(parsed?["v"] != nil) }
    }
}
