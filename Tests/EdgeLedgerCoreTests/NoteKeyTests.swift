import EdgeLedgerCore
import Testing

@Suite struct NoteKeyTests {
    @Test func verifierKeyRoundTrip() throws {
        let string = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        let key = try VerifierKey(parsing: string)
        #expect(key.name == "PeterNeumann")
        #expect(key.keyID == 0xc74f_20a3)
        #expect(key.type == 0x01)
        #expect(key.keyBytes.count == 32)
        #expect(key.string == string)
        #expect(key.description == string)
        // Upper-case hex is accepted and normalised.
        #expect(
            try VerifierKey(parsing: "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").string
                == string)
        #expect(key.sm2SPKI == nil)
    }

    @Test func sm2Layout() throws {
        let spki: [UInt8] = [0x30, 0x59, 0x01, 0x02]
        let key = VerifierKey(name: "gw", keyID: 0x0000_00ff, type: 0xff, keyBytes: VerifierKey.sm2Identifier + spki)
        #expect(VerifierKey.sm2Identifier == [0x73, 0x6d, 0x32, 0x2d, 0x73, 0x6d, 0x33, 0x00])
        #expect(key.string.hasPrefix("gw+000000ff+/3NtMi1zbTMA"))
        let parsed = try VerifierKey(parsing: key.string)
        #expect(parsed == key)
        #expect(parsed.sm2SPKI == spki)
    }

    @Test(arguments: [
        ("nameonly", "no '+'"),
        ("name+c74f20a3", "only one '+'"),
        ("+c74f20a3+ARpc", "key name is empty"),
        ("na me+c74f20a3+ARpc2QcU", "white space"),
        ("name+c74f20a+ARpc2QcU", "not 8 hex digits"),
        ("name+c74f20a3a+ARpc2QcU", "not 8 hex digits"),
        ("name+c74f20ag+ARpc2QcU", "not 8 hex digits"),
        ("name+c74f20a3+ARpc2Qc", "not valid base64"),
        ("name+c74f20a3+", "key is empty"),
        ("name+c74f20a3+AQ==", "no key material"),
    ])
    func malformedVerifierKeys(string: String, expected: String) {
        let error = #expect(throws: NoteError.self, "\(string)") { try VerifierKey(parsing: string) }
        #expect(error?.message.contains(expected) == true, "\(string): \(error?.message ?? "no error")")
        #expect(error?.message.hasPrefix("verifier key") == true)
    }

    @Test func signerKey() throws {
        let string = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
        let key = try NoteSignerKey(parsing: string)
        #expect(key.name == "PeterNeumann")
        #expect(key.keyID == 0xc74f_20a3)
        #expect(key.type == 0x01)
        #expect(key.keyBytes.count == 32)
        #expect(key.string == string)
        #expect(key.description == "PRIVATE+KEY+PeterNeumann+c74f20a3+<redacted>")
        #expect(throws: NoteError.self) { try NoteSignerKey(parsing: "PeterNeumann+c74f20a3+AYEKFALV") }
        let error = #expect(throws: NoteError.self) {
            try NoteSignerKey(parsing: "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALV*")
        }
        #expect(error?.message.hasPrefix("signer key") == true)
        #expect(error?.description.contains("AYEKFALV") == false)
    }

    @Test func keyNames() {
        #expect(NoteName.isValid("factory.example/plant-7/gw-12"))
        #expect(NoteName.isValid("ünïcödé/名前"))
        for bad in ["", "a b", "a+b", "a\tb", "a\u{2003}b", "a\u{85}b", "a\u{1}b"] {
            #expect(!NoteName.isValid(bad), "\(bad.debugDescription)")
        }
    }
}
