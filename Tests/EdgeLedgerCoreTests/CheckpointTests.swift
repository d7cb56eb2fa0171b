import EdgeLedgerCore
import Testing

@Suite struct CheckpointTests {
    let root = Hash32(bytes: (0..<32).map { UInt8($0) })!

    @Test func formatAndParse() throws {
        let checkpoint = Checkpoint(origin: "factory.example/plant-7/gw-12", size: 20_852_163, root: root)
        #expect(
            checkpoint.text == "factory.example/plant-7/gw-12\n20852163\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        )
        #expect(checkpoint.extensions.isEmpty)
        let parsed = try Checkpoint(parsing: checkpoint.text)
        #expect(parsed == checkpoint)
        #expect(parsed.text == checkpoint.text)
        #expect(try Checkpoint(parsing: Substring(checkpoint.text)) == checkpoint)
    }

    @Test func specExample() throws {
        let text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        let checkpoint = try Checkpoint(parsing: text)
        #expect(checkpoint.origin == "example.com/behind-the-sofa")
        #expect(checkpoint.size == 20_852_163)
        #expect(checkpoint.root.hex == "0ac5186a91863e8e1d90c808014aa89bf5da8e3ee1d9f07630f0378f68f1ab62")
        #expect(checkpoint.text == text)
    }

    @Test func sizeLimits() throws {
        for size: UInt64 in [0, 1, 9, 10, 255, 1 << 32, UInt64.max] {
            let checkpoint = Checkpoint(origin: "o", size: size, root: root)
            #expect(try Checkpoint(parsing: checkpoint.text).size == size)
        }
    }

    @Test func extensionLinesAreKept() throws {
        let text = Checkpoint(origin: "o", size: 5, root: root).text + "ext one\n— with dash\n"
        let parsed = try Checkpoint(parsing: text)
        #expect(parsed.extensions == ["ext one", "— with dash"])
        #expect(parsed.text == text)
        #expect(parsed != Checkpoint(origin: "o", size: 5, root: root))
    }

    /// Each malformed body gives its own, specific message.
    @Test(arguments: [
        ("no final newline", "o\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "does not end with a newline"),
        ("empty", "", "does not end with a newline"),
        ("one line", "o\n", "has 1 line;"),
        ("two lines", "o\n5\n", "has 2 lines;"),
        ("empty origin", "\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "origin (line 1) is empty"),
        ("empty size", "o\n\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "tree size (line 2) is empty"),
        ("hex size", "o\n0x5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "not a decimal number"),
        ("signed size", "o\n+5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "not a decimal number"),
        ("negative size", "o\n-5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "not a decimal number"),
        ("spaced size", "o\n 5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "not a decimal number"),
        ("Arabic-Indic digits", "o\n٥\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "not a decimal number"),
        ("leading zero", "o\n05\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "leading zero"),
        ("double zero", "o\n00\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "leading zero"),
        (
            "overflow", "o\n18446744073709551616\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
            "does not fit in 64 bits"
        ),
        (
            "bad base64 root", "o\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",
            "root hash (line 3) is not valid base64"
        ),
        ("root with space", "o\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= \n", "not valid base64"),
        ("short root", "o\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n", "is 31 bytes; expected 32"),
        ("long root", "o\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n", "is 33 bytes; expected 32"),
        ("empty root", "o\n5\n\n", "is 0 bytes; expected 32"),
        ("empty extension", "o\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n", "extension line 4 is empty"),
        ("carriage return", "o\r\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "control character U+000D"),
    ])
    func malformed(name: String, text: String, expected: String) {
        let error = #expect(throws: NoteError.self, "\(name)") { try Checkpoint(parsing: text) }
        #expect(error?.message.contains(expected) == true, "\(name): got \(error?.message ?? "no error")")
    }

    /// Random mutations of a valid body never crash the parser; what parses re-formats exactly.
    @Test func parserIsTotal() {
        var rng = NoteFuzzRandom(seed: 42)
        let valid = Array(Checkpoint(origin: "factory.example/gw", size: 1234, root: root).text.utf8)
        for _ in 0..<3000 {
            var input = valid
            for _ in 0..<(1 + Int(rng.next() % 3)) where !input.isEmpty {
                let i = Int(rng.next() % UInt64(input.count))
                switch rng.next() % 3 {
                case 0: input[i] = UInt8(truncatingIfNeeded: rng.next())
                case 1: input.remove(at: i)
                default: input.insert(Array("0\n=A+".utf8)[Int(rng.next() % 5)], at: i)
                }
            }
            let text = String(decoding: input, as: UTF8.self)
            if let checkpoint = try? Checkpoint(parsing: text) {
                #expect(checkpoint.text == text)
            }
        }
    }
}
