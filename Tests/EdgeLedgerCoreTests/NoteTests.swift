import EdgeLedgerCore
import Testing

/// A toy signature scheme for exercising the note logic without cryptography:
/// the "signature" is the key's secret byte XORed into the first bytes of the message.
struct NoteToyKey: NoteSigner, NoteVerifier {
    var name: String
    var keyID: UInt32
    var secret: UInt8

    func sign(_ message: [UInt8]) throws -> [UInt8] { message.prefix(8).map { $0 ^ secret } + [secret] }
    func verify(_ message: [UInt8], signature: [UInt8]) -> Bool { (try? sign(message)) == signature }
}

@Suite struct NoteTests {
    let text = "example.com/log\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
    let alice = NoteToyKey(name: "alice.example", keyID: 0x0102_0304, secret: 0x5a)
    let bob = NoteToyKey(name: "bob.example", keyID: 0xa0b0_c0d0, secret: 0x33)

    // MARK: Format

    @Test func serializeAndParseRoundTrip() throws {
        let note = try NoteSigning.sign(text: text, with: [alice, bob])
        let wire = note.serialized
        #expect(wire.hasPrefix(text + "\n\u{2014} alice.example AQIDB"))
        #expect(wire.hasSuffix("\n"))
        let parsed = try Note(parsing: wire)
        #expect(parsed == note)
        #expect(parsed.serialized == wire)
        #expect(try Note(parsing: Array(wire.utf8)) == note)
        #expect(parsed.signatures[1].keyIDHex == "a0b0c0d0")
        #expect(
            parsed.signatures[0].line == "\u{2014} alice.example "
                + Base64.encode([1, 2, 3, 4] + (try alice.sign(Array(text.utf8)))))
    }

    /// The text may contain blank lines; the last blank line separates the signatures.
    @Test func textWithBlankLines() throws {
        // Signature lines after an earlier blank line belong to the text.
        let nested = try Note(parsing: "a\n\n\u{2014} k AQIDBAU=\n\n\u{2014} k AQIDBAU=\n")
        #expect(nested.text == "a\n\n\u{2014} k AQIDBAU=\n")
        #expect(nested.signatures.count == 1)

        let text = "first\n\nthird\n\n"
        let note = try NoteSigning.sign(text: text, with: [alice])
        let parsed = try Note(parsing: note.serialized)
        #expect(parsed.text == text)
        #expect(try NoteSigning.open(parsed, verifiers: [alice]).count == 1)
    }

    @Test func parsesGoDocumentationExample() throws {
        let wire =
            "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        let note = try Note(parsing: wire)
        #expect(note.signatures.count == 1)
        #expect(note.signatures[0].name == "PeterNeumann")
        #expect(note.signatures[0].keyIDHex == "c74f20a3")
        #expect(note.signatures[0].signature.count == 64)
        #expect(note.serialized == wire)
    }

    /// Each malformed note gives its own, specific message.
    @Test(arguments: [
        ("no final newline", "a\n\n\u{2014} k AQIDBAU=", "does not end with a newline"),
        ("missing blank line", "a\n\u{2014} k AQIDBAU=\n", "no blank line"),
        ("only text", "hello\n", "no blank line"),
        ("empty", "", "does not end with a newline"),
        ("no signature lines", "a\n\n", "no signature lines"),
        ("blank line only after blank", "a\n\n\n", "no signature lines"),
        ("hyphen instead of em dash", "a\n\n- k AQIDBAU=\n", "em dash"),
        ("no space after dash", "a\n\n\u{2014}k AQIDBAU=\n", "em dash"),
        ("no signature", "a\n\n\u{2014} k\n", "no space"),
        ("empty signature", "a\n\n\u{2014} k \n", "signature is empty"),
        ("bad base64", "a\n\n\u{2014} k AQID*AU=\n", "not valid base64"),
        ("unpadded base64", "a\n\n\u{2014} k AQIDBAU\n", "not valid base64"),
        ("non-canonical base64", "a\n\n\u{2014} k AQIDBAV=\n", "not valid base64"),
        ("short signature", "a\n\n\u{2014} k AQIDBA==\n", "4-byte key ID"),
        ("empty name", "a\n\n\u{2014}  AQIDBAU=\n", "key name is empty"),
        ("plus in name", "a\n\n\u{2014} a+b AQIDBAU=\n", "contains '+'"),
        ("no-break space in name", "a\n\n\u{2014} a\u{00A0}b AQIDBAU=\n", "white space"),
        ("extra field", "a\n\n\u{2014} k AQIDBAU= more\n", "not valid base64"),
        ("carriage return", "a\r\n\n\u{2014} k AQIDBAU=\n", "control character U+000D"),
        ("tab", "a\tb\n\n\u{2014} k AQIDBAU=\n", "control character U+0009"),
        ("NUL", "a\n\n\u{2014} k AQIDBAU=\n\u{0}", "control character U+0000"),
        ("trailing non-signature line", "a\n\n\u{2014} k AQIDBAU=\nxyz\n", "em dash"),
    ])
    func malformed(name: String, wire: String, expected: String) {
        let error = #expect(throws: NoteError.self, "\(name)") { try Note(parsing: wire) }
        #expect(error?.message.contains(expected) == true, "\(name): got \(error?.message ?? "no error")")
    }

    @Test func signatureLineNumberIsReported() {
        let wire = "a\n\n\u{2014} k AQIDBAU=\n\u{2014} k AQID*AU=\n"
        let error = #expect(throws: NoteError.self) { try Note(parsing: wire) }
        #expect(error?.message.hasPrefix("signature line 2:") == true)
    }

    @Test func invalidUTF8() {
        let bytes = Array("a\n\n\u{2014} k AQIDBAU=\n".utf8)
        for bad in [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]] as [[UInt8]] {
            let error = #expect(throws: NoteError.self) { try Note(parsing: [0x61] + bad + bytes) }
            #expect(error?.message.contains("not valid UTF-8") == true)
            #expect(error?.message.contains("byte offset 1") == true)
        }
    }

    @Test func tooManySignatures() throws {
        let line = "\u{2014} k AQIDBAU=\n"
        let ok = "a\n\n" + String(repeating: line, count: Note.maxSignatures)
        #expect(try Note(parsing: ok).signatures.count == Note.maxSignatures)
        let error = #expect(throws: NoteError.self) {
            try Note(parsing: "a\n\n" + String(repeating: line, count: Note.maxSignatures + 1))
        }
        #expect(error?.message.contains("more than \(Note.maxSignatures) signature lines") == true)
    }

    // MARK: Opening

    @Test func unknownKeysAreIgnored() throws {
        let carol = NoteToyKey(name: "carol.example", keyID: 7, secret: 1)
        let aliceOtherID = NoteToyKey(name: alice.name, keyID: 9, secret: 9)  // same name, different ID
        let bobOtherName = NoteToyKey(name: "bob2.example", keyID: bob.keyID, secret: 9)  // same ID, different name
        let note = try Note(
            parsing: NoteSigning.sign(text: text, with: [carol, alice, aliceOtherID, bobOtherName]).serialized)
        let verified = try NoteSigning.open(note, verifiers: [alice, bob])
        #expect(verified.map(\.name) == [alice.name])
        #expect(verified.map(\.keyID) == [alice.keyID])
    }

    @Test func noVerifyingSignatureFails() throws {
        let note = try NoteSigning.sign(text: text, with: [alice])
        let error = #expect(throws: NoteError.self) { try NoteSigning.open(note, verifiers: [bob]) }
        #expect(error?.message == "note has no signature by a known key")
        #expect(error?.hint?.contains("alice.example+01020304") == true)
        #expect(error?.hint?.contains("bob.example+a0b0c0d0") == true)
        #expect(throws: NoteError.self) { try NoteSigning.open(note, verifiers: []) }
    }

    @Test func badSignatureByKnownKeyFails() throws {
        var note = try NoteSigning.sign(text: text, with: [alice, bob])
        note.signatures[1].signature[0] ^= 0xff
        let error = #expect(throws: NoteError.self) { try NoteSigning.open(note, verifiers: [alice, bob]) }
        #expect(error?.message == "signature by known key bob.example+a0b0c0d0 does not verify")
        // The other verifier alone accepts it: bob's signature is then an unknown one.
        #expect(try NoteSigning.open(note, verifiers: [alice]).count == 1)

        // A verifier answering to alice's name and ID but holding another key.
        let impostor = NoteToyKey(name: alice.name, keyID: alice.keyID, secret: 0x00)
        #expect(throws: NoteError.self) { try NoteSigning.open(note, verifiers: [impostor]) }
    }

    @Test func duplicateSignaturesCountOnce() throws {
        let note = try NoteSigning.sign(text: text, with: [alice])
        let doubled = Note(text: note.text, signatures: note.signatures + note.signatures)
        let parsed = try Note(parsing: doubled.serialized)
        #expect(try NoteSigning.open(parsed, verifiers: [alice]).count == 1)
    }

    @Test func signingRefusesBadInput() throws {
        #expect(throws: NoteError.self) { try NoteSigning.sign(text: "no newline", with: [alice]) }
        #expect(throws: NoteError.self) { try NoteSigning.sign(text: "", with: [alice]) }
        #expect(throws: NoteError.self) { try NoteSigning.sign(text: "tab\there\n", with: [alice]) }
        #expect(throws: NoteError.self) { try NoteSigning.sign(text: text, with: []) }
        #expect(throws: NoteError.self) { try NoteSigning.sign(text: text, with: [alice, alice]) }
        let spaced = NoteToyKey(name: "a b", keyID: 1, secret: 1)
        let error = #expect(throws: NoteError.self) { try NoteSigning.sign(text: text, with: [spaced]) }
        #expect(error?.message.contains("white space") == true)
    }

    // MARK: Robustness

    /// Arbitrary bytes and random mutations of a valid note never crash the parser, and
    /// whatever parses re-serialises to exactly the input.
    @Test func parserIsTotal() throws {
        var rng = NoteFuzzRandom(seed: 0x5eed)
        let valid = Array(try NoteSigning.sign(text: text, with: [alice, bob]).serialized.utf8)
        let alphabet = Array("a\n\u{2014} +=/AQ0\r".utf8) + [0xe2, 0x80, 0x94, 0xff, 0x00]
        var parsedCount = 0
        for round in 0..<3000 {
            var input: [UInt8]
            if round % 3 == 0 {
                input = (0..<Int(rng.next() % 64)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            } else {
                input = valid
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    let i = Int(rng.next() % UInt64(input.count))
                    switch rng.next() % 3 {
                    case 0: input[i] = UInt8(truncatingIfNeeded: rng.next())
                    case 1: input.remove(at: i)
                    default: input.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: i)
                    }
                    if input.isEmpty { break }
                }
            }
            if let note = try? Note(parsing: input) {
                parsedCount += 1
                #expect(Array(note.serialized.utf8) == input)
                _ = try? NoteSigning.open(note, verifiers: [alice, bob])
            }
        }
        #expect(parsedCount > 0)
    }
}

/// A small deterministic generator for the fuzz loops.
struct NoteFuzzRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
