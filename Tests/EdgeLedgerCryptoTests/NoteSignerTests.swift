import EdgeLedgerCore
import EdgeLedgerCrypto
import Testing

@Suite struct NoteSignerTests {
    let origin = "factory.example/plant-7/gw-12"

    // MARK: The Go sumdb/note Ed25519 vector

    @Test func ed25519VectorIsReproducedByteForByte() throws {
        for v in try CryptoVectors.load().signed_note_ed25519 {
            let signerKey = try NoteSignerKey(parsing: v.signer_key)
            #expect(signerKey.string == v.signer_key)
            #expect(!signerKey.description.contains(v.signer_key.split(separator: "+").last!))
            let signer = try NoteKeys.signer(from: signerKey)
            let note = try NoteSigning.sign(text: v.text, with: [signer])
            #expect(note.serialized == v.signed_note, "\(v.source)")

            // The signer's own verifier key is the published one.
            let derived = try #require(signer as? Ed25519NoteSigner).verifierKey
            #expect(derived.string == v.verifier_key)
        }
    }

    @Test func ed25519VectorVerifiesFromItsVerifierKey() throws {
        for v in try CryptoVectors.load().signed_note_ed25519 {
            let verifierKey = try VerifierKey(parsing: v.verifier_key)
            #expect(verifierKey.string == v.verifier_key)
            let verifier = try NoteKeys.verifier(from: verifierKey)
            let note = try Note(parsing: v.signed_note)
            #expect(note.text == v.text)
            let verified = try NoteSigning.open(note, verifiers: [verifier])
            #expect(verified.count == 1)
            #expect(verified.first?.name == verifierKey.name)
            #expect(verified.first?.keyID == verifierKey.keyID)

            // One altered character of the text: the known key's signature fails.
            let altered = try Note(parsing: v.signed_note.replacingOccurrences(of: "answer", with: "Answer"))
            let error = #expect(throws: NoteError.self) { try NoteSigning.open(altered, verifiers: [verifier]) }
            #expect(error?.message.contains("does not verify") == true)
        }
    }

    @Test func verifierKeyIDMustMatch() throws {
        let v = try #require(try CryptoVectors.load().signed_note_ed25519.first)
        var key = try VerifierKey(parsing: v.verifier_key)
        key.keyID ^= 1
        let error = #expect(throws: CryptoError.self) { try NoteKeys.verifier(from: key) }
        #expect(error?.message.contains("key ID does not match") == true)
        var renamed = try VerifierKey(parsing: v.verifier_key)
        renamed.name = "PeterNeumann2"
        #expect(throws: CryptoError.self) { try NoteKeys.verifier(from: renamed) }

        var signerKey = try NoteSignerKey(parsing: v.signer_key)
        signerKey.keyID ^= 1
        #expect(throws: CryptoError.self) { try NoteKeys.signer(from: signerKey) }
    }

    // MARK: All three algorithms

    @Test(arguments: SigningAlgorithm.allCases)
    func verifierKeyStringRoundTrip(algorithm: SigningAlgorithm) throws {
        let key = try PrivateKey.generate(algorithm)
        let verifierKey = NoteKeys.verifierKey(for: key, name: origin)
        #expect(verifierKey.type == algorithm.noteType)
        let parsed = try VerifierKey(parsing: verifierKey.string)
        #expect(parsed == verifierKey)
        let verifier = try NoteKeys.verifier(from: parsed)
        let signer = NoteKeys.signer(for: key, name: origin)
        #expect(verifier.keyID == signer.keyID)
        #expect(verifier.name == origin)
        #expect(try NoteKeys.verifier(from: verifierKey.string).keyID == signer.keyID)
        #expect(NoteKeys.verifier(for: key.publicKey, name: origin).keyID == signer.keyID)
    }

    @Test func keyIDDerivations() throws {
        let ed = try PrivateKey.generate(.ed25519)
        let p256 = try PrivateKey.generate(.p256)
        let sm2 = try PrivateKey.generate(.sm2)
        let hasher = OpenSSLHasher.sha256
        func prefix(_ bytes: [UInt8]) -> UInt32 {
            hasher.hash(bytes).bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
        }

        let edKey = NoteKeys.verifierKey(for: ed, name: origin)
        #expect(edKey.keyBytes == ed.publicKey.rawEd25519)
        #expect(edKey.keyID == prefix(Array(origin.utf8) + [0x0a, 0x01] + edKey.keyBytes))

        let ecKey = NoteKeys.verifierKey(for: p256, name: origin)
        #expect(ecKey.type == 0x02)
        #expect(ecKey.keyBytes == p256.publicKey.derSPKI)
        #expect(ecKey.keyID == prefix(p256.publicKey.derSPKI))

        let smKey = NoteKeys.verifierKey(for: sm2, name: origin)
        #expect(smKey.type == 0xff)
        #expect(smKey.keyBytes == Array("sm2-sm3".utf8) + [0x00] + sm2.publicKey.derSPKI)
        #expect(smKey.sm2SPKI == sm2.publicKey.derSPKI)
        #expect(
            smKey.keyID
                == prefix(Array(origin.utf8) + [0x0a, 0xff] + Array("sm2-sm3".utf8) + [0x00] + sm2.publicKey.derSPKI))
    }

    @Test func checkpointSignedWithAllThreeKeys() throws {
        let keys = try SigningAlgorithm.allCases.map { try PrivateKey.generate($0) }
        let signers = keys.map { NoteKeys.signer(for: $0, name: origin) }
        let verifiers = try keys.map {
            try NoteKeys.verifier(from: VerifierKey(parsing: NoteKeys.verifierKey(for: $0, name: origin).string))
        }
        let checkpoint = Checkpoint(origin: origin, size: 123_456, root: OpenSSLHasher.sha256.hash(Array("root".utf8)))
        let note = try NoteSigning.sign(text: checkpoint.text, with: signers)
        #expect(note.signatures.count == 3)
        let wire = note.serialized
        let parsed = try Note(parsing: wire)
        #expect(parsed == note)

        for (verifier, signer) in zip(verifiers, signers) {
            let verified = try NoteSigning.open(parsed, verifiers: [verifier])
            #expect(verified.map(\.keyID) == [signer.keyID])
            let opened = try Checkpoint.open(parsed, verifiers: [verifier], origin: origin)
            #expect(opened.checkpoint == checkpoint)
        }
        #expect(try NoteSigning.open(parsed, verifiers: verifiers).count == 3)

        // Tampering with the body breaks every signature.
        let tampered = Note(
            text: Checkpoint(origin: origin, size: 123_457, root: checkpoint.root).text, signatures: parsed.signatures)
        for verifier in verifiers {
            #expect(throws: NoteError.self) { try NoteSigning.open(tampered, verifiers: [verifier]) }
        }
        // Tampering with one signature fails only the verifier that knows it.
        var bad = parsed
        bad.signatures[1].signature[5] ^= 0x01
        #expect(throws: NoteError.self) { try NoteSigning.open(bad, verifiers: verifiers) }
        #expect(try NoteSigning.open(bad, verifiers: [verifiers[0], verifiers[2]]).count == 2)

        // A verifier for another origin finds nothing it knows.
        let stranger = NoteKeys.verifier(for: keys[0].publicKey, name: "other.example/log")
        let error = #expect(throws: NoteError.self) { try NoteSigning.open(parsed, verifiers: [stranger]) }
        #expect(error?.message.contains("no signature by a known key") == true)
        #expect(throws: NoteError.self) {
            try Checkpoint.open(parsed, verifiers: verifiers, origin: "other.example/log")
        }
    }

    @Test func unsupportedVerifierKeys() throws {
        let p256 = try PrivateKey.generate(.p256)
        let sm2 = try PrivateKey.generate(.sm2)
        let ed = try PrivateKey.generate(.ed25519)
        // Type 0x02 carrying an SM2 key, 0xff carrying a P-256 key, 0xff with another identifier.
        let cases = [
            VerifierKey(name: origin, keyID: 0, type: 0x02, keyBytes: sm2.publicKey.derSPKI),
            VerifierKey(
                name: origin, keyID: 0, type: 0xff, keyBytes: VerifierKey.sm2Identifier + p256.publicKey.derSPKI),
            VerifierKey(name: origin, keyID: 0, type: 0xff, keyBytes: Array("other\0".utf8) + sm2.publicKey.derSPKI),
            VerifierKey(name: origin, keyID: 0, type: 0x04, keyBytes: ed.publicKey.rawEd25519!),
            VerifierKey(name: origin, keyID: 0, type: 0x01, keyBytes: [1, 2, 3]),
            VerifierKey(name: origin, keyID: 0, type: 0x02, keyBytes: [0x30, 0x03, 0x02, 0x01, 0x01]),
            VerifierKey(name: "bad name", keyID: 0, type: 0x01, keyBytes: ed.publicKey.rawEd25519!),
        ]
        for key in cases {
            #expect(throws: CryptoError.self, "\(key)") { try NoteKeys.verifier(from: key) }
        }
        #expect(throws: (any Error).self) { try NoteKeys.verifier(from: "not a key") }
    }

    @Test func signerKeyStrings() throws {
        let key = try PrivateKey.generate(.ed25519)
        let signerKey = try NoteKeys.signerKey(for: key, name: origin)
        let signer = try NoteKeys.signer(from: try NoteSignerKey(parsing: signerKey.string))
        #expect(signer.keyID == NoteKeys.signer(for: key, name: origin).keyID)
        #expect(!signerKey.description.contains(Base64.encode([0x01] + signerKey.keyBytes)))
        #expect(throws: CryptoError.self) { try NoteKeys.signerKey(for: try PrivateKey.generate(.p256), name: origin) }
        var other = signerKey
        other.type = 0x02
        #expect(throws: CryptoError.self) { try NoteKeys.signer(from: other) }
    }

    @Test func signerTypesCheckTheirKeys() throws {
        let ed = try PrivateKey.generate(.ed25519)
        let p256 = try PrivateKey.generate(.p256)
        #expect(throws: CryptoError.self) { try Ed25519NoteSigner(name: origin, privateKey: p256) }
        #expect(throws: CryptoError.self) { try ECDSANoteSigner(name: origin, privateKey: ed) }
        #expect(throws: CryptoError.self) { try SM2NoteSigner(name: origin, privateKey: ed) }
        #expect(throws: CryptoError.self) { try Ed25519NoteVerifier(name: origin, publicKey: p256.publicKey) }
        #expect(throws: CryptoError.self) { try ECDSANoteVerifier(name: origin, publicKey: ed.publicKey) }
        #expect(throws: CryptoError.self) { try SM2NoteVerifier(name: origin, publicKey: p256.publicKey) }
        // Signing refuses an invalid key name.
        #expect(throws: NoteError.self) {
            try NoteSigning.sign(text: "x\n", with: [NoteKeys.signer(for: ed, name: "a+b")])
        }
    }
}
