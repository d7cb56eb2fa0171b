import EdgeLedgerCore
import PropertyBased
import Testing

@Suite struct JSONSyntaxTests {
    @Test(arguments: [
        #"{}"#, #" { "a" : 1 } "#, #"{"sensor":"press-07","seq":1234,"value":-12.5e-3,"ok":true,"x":null}"#,
        #"{"nested":{"a":[1,2,{"b":[]}]},"s":"\u00e9\n\"q\""}"#, "{\"utf8\":\"Grüße 温度\"}",
    ])
    func acceptsObjects(_ text: String) {
        #expect(JSONSyntax.objectProblem(Array(text.utf8)) == nil)
    }

    @Test(arguments: [
        ("", "empty"), ("[1,2]", "not a JSON object"), ("42", "not a JSON object"), (#"{"a":1"#, "expected"),
        (#"{"a" 1}"#, "expected ':'"), (#"{"a":01}"#, "expected"), (#"{"a":1,}"#, "string key"),
        (#"{"a":tru}"#, "'true'"), (#"{"a":"\x"}"#, "escape"), ("{\"a\":\"\u{01}\"}", "control character"),
        (#"{"a":1} {"#, "after the JSON object"), (#"{"a":"unterminated}"#, "unterminated"),
        (#"{"a":1.}"#, "digit after '.'"), (#"{"a":1e}"#, "exponent"),
    ])
    func rejectsWithAReason(_ text: String, _ fragment: String) throws {
        let problem = try #require(JSONSyntax.objectProblem(Array(text.utf8)))
        #expect(problem.contains(fragment), "\(text): \(problem)")
    }

    @Test func rejectsInvalidUTF8InStrings() {
        #expect(
            JSONSyntax.objectProblem([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])?.contains("UTF-8") == true)
    }

    @Test func deepNestingIsRefusedNotCrashing() {
        let deep = String(repeating: "{\"a\":", count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        #expect(JSONSyntax.objectProblem(Array(deep.utf8))?.contains("nesting") == true)
        let ok = String(repeating: "{\"a\":", count: 60) + "1" + String(repeating: "}", count: 60)
        #expect(JSONSyntax.objectProblem(Array(ok.utf8)) == nil)
    }

    @Test func arbitraryBytesNeverCrash() async {
        await propertyCheck(count: 2_000, input: Gen.int(in: 0...255).map { UInt8($0) }.array(of: 0...64)) { bytes in
            _ = JSONSyntax.objectProblem(bytes)
            _ = JSONSyntax.objectProblem([UInt8(ascii: "{")] + bytes)
        }
    }
}
