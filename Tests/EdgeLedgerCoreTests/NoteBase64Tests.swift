import EdgeLedgerCore
import Testing

@Suite struct NoteBase64Tests {
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test func allBytesRoundTrip() {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 251) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        let every = (0...255).map { UInt8($0) }
        #expect(Base64.decode(Base64.encode(every)) == every)
    }

    @Test func strictDecoding() {
        for bad in [
            "Zg", "Zg=", "Zg===", "Z===", "====", "Zh==", "Zm9=", "Zm=v", "Zm9v\n", " Zm9v", "Zm-v", "Zm_v", "Zm9vY",
            "Zg==Zg==", "Zm9vÿ",
        ] {
            #expect(Base64.decode(bad) == nil, "\(bad.debugDescription)")
        }
    }
}
