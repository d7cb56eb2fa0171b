import COpenSSL
import EdgeLedgerCore
import Testing

@testable import EdgeLedgerCrypto

@Suite struct KeyTests {
    let message = Array("factory.example/plant-7/gw-12\n42\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n".utf8)

    @Test(arguments: SigningAlgorithm.allCases)
    func generatePEMLoadSignVerify(algorithm: SigningAlgorithm) throws {
        let key = try PrivateKey.generate(algorithm)
        #expect(key.algorithm == algorithm)
        let pem = key.pem
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(pem.hasSuffix("-----END PRIVATE KEY-----\n"))
        let loaded = try PrivateKey(pem: pem)
        #expect(loaded.algorithm == algorithm)
        #expect(loaded.publicKey == key.publicKey)
        #expect(loaded.pem == pem)

        let signature = try loaded.sign(message)
        #expect(key.publicKey.verify(message, signature: signature))
        let viaSPKI = try PublicKey(derSPKI: key.publicKey.derSPKI)
        #expect(viaSPKI.algorithm == algorithm)
        #expect(viaSPKI.verify(message, signature: signature))

        var tamperedMessage = message
        tamperedMessage[3] ^= 0x20
        #expect(!viaSPKI.verify(tamperedMessage, signature: signature))
        for index in [0, signature.count / 2, signature.count - 1] {
            var tampered = signature
            tampered[index] ^= 0x01
            #expect(!viaSPKI.verify(message, signature: tampered), "flipped byte \(index)")
        }
        #expect(!viaSPKI.verify(message, signature: Array(signature.dropLast())))
        #expect(!viaSPKI.verify(message, signature: signature + [0]))
        #expect(!viaSPKI.verify(message, signature: []))

        // Another key of the same algorithm does not verify it.
        let other = try PrivateKey.generate(algorithm)
        #expect(!other.publicKey.verify(message, signature: signature))
    }

    @Test func signatureShapes() throws {
        let ed = try PrivateKey.generate(.ed25519)
        #expect(try ed.sign(message).count == 64)
        #expect(try ed.sign(message) == (try ed.sign(message)))  // deterministic
        #expect(ed.publicKey.rawEd25519?.count == 32)
        let p256 = try PrivateKey.generate(.p256)
        #expect(try p256.sign(message).first == 0x30)
        #expect(p256.publicKey.rawEd25519 == nil)
        #expect(try PrivateKey.generate(.sm2).sign(message).first == 0x30)
    }

    @Test(arguments: SigningAlgorithm.allCases)
    func emptyMessage(algorithm: SigningAlgorithm) throws {
        let key = try PrivateKey.generate(algorithm)
        let signature = try key.sign([])
        #expect(key.publicKey.verify([], signature: signature))
        #expect(!key.publicKey.verify([0], signature: signature))
    }

    /// P-256 and SM2 keys share a DER shape; a signature by one never verifies as the other.
    @Test func algorithmsDoNotCrossVerify() throws {
        let p256 = try PrivateKey.generate(.p256)
        let sm2 = try PrivateKey.generate(.sm2)
        #expect(!sm2.publicKey.verify(message, signature: try p256.sign(message)))
        #expect(!p256.publicKey.verify(message, signature: try sm2.sign(message)))
    }

    @Test func rawEd25519RoundTrip() throws {
        let key = try PrivateKey.generate(.ed25519)
        let seed = try #require(key.rawEd25519Seed)
        let again = try PrivateKey(rawEd25519Seed: seed)
        #expect(again.publicKey == key.publicKey)
        let raw = try #require(key.publicKey.rawEd25519)
        let publicKey = try PublicKey(rawEd25519: raw)
        #expect(publicKey == key.publicKey)
        #expect(publicKey.verify(message, signature: try again.sign(message)))
        #expect(throws: CryptoError.self) { try PublicKey(rawEd25519: Array(raw.dropLast())) }
        #expect(throws: CryptoError.self) { try PrivateKey(rawEd25519Seed: [1, 2, 3]) }
        #expect(try PrivateKey.generate(.p256).rawEd25519Seed == nil)
    }

    @Test func badPublicKeysAreRejected() throws {
        let spki = try PrivateKey.generate(.p256).publicKey.derSPKI
        #expect(throws: CryptoError.self) { try PublicKey(derSPKI: []) }
        #expect(throws: CryptoError.self) { try PublicKey(derSPKI: [0x30, 0x00]) }
        #expect(throws: CryptoError.self) { try PublicKey(derSPKI: spki + [0x00]) }
        #expect(throws: CryptoError.self) { try PublicKey(derSPKI: Array(spki.dropLast())) }
        var offCurve = spki
        offCurve[offCurve.count - 1] ^= 0x01
        #expect(throws: CryptoError.self) { try PublicKey(derSPKI: offCurve) }
        // A P-384 key is a valid SPKI but not a supported curve.
        let p384 = try generateRaw(type: "EC", group: "P-384")
        let p384SPKI = try OpenSSL.derSPKI(p384)
        EVP_PKEY_free(p384)
        let error = #expect(throws: CryptoError.self) { try PublicKey(derSPKI: p384SPKI) }
        #expect(error?.message.contains("secp384r1") == true)
    }

    @Test func badPEMIsRejected() throws {
        #expect(throws: CryptoError.self) { try PrivateKey(pem: "") }
        #expect(throws: CryptoError.self) {
            try PrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        }
        let encrypted =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0=\n-----END ENCRYPTED PRIVATE KEY-----\n"
        let error = #expect(throws: CryptoError.self) { try PrivateKey(pem: encrypted) }
        #expect(error?.message.contains("encrypted") == true)
        // A public key PEM is not a private key.
        #expect(throws: CryptoError.self) {
            try PrivateKey(
                pem:
                    "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"
            )
        }
    }

    /// A key OpenSSL hands over as "EC" on the SM2 curve is converted into an SM2 key, so that
    /// it signs with SM2 rather than ECDSA.
    @Test func ecKeyOnSM2CurveBecomesSM2() throws {
        let ecOnSM2 = try generateRaw(type: "EC", group: "SM2")
        #expect(EVP_PKEY_is_a(ecOnSM2, "EC") == 1)
        let key = try PrivateKey(taking: ecOnSM2)
        #expect(key.algorithm == .sm2)
        #expect(EVP_PKEY_is_a(key.pkey, "SM2") == 1)
        let signature = try key.sign(message)
        #expect(key.publicKey.verify(message, signature: signature))
        #expect(key.publicKey.algorithm == .sm2)
    }

    /// A key pair generated directly through OpenSSL, bypassing `PrivateKey.generate`.
    private func generateRaw(type: String, group: String) throws -> OpaquePointer {
        let ctx = try #require(EVP_PKEY_CTX_new_from_name(nil, type, nil))
        defer { EVP_PKEY_CTX_free(ctx) }
        #expect(EVP_PKEY_keygen_init(ctx) == 1)
        #expect(EVP_PKEY_CTX_set_group_name(ctx, group) == 1)
        var key: OpaquePointer? = nil
        #expect(EVP_PKEY_generate(ctx, &key) == 1)
        return try #require(key)
    }

    /// Keys are shared across threads: concurrent signing and verification work.
    @Test(arguments: SigningAlgorithm.allCases)
    func concurrentUse(algorithm: SigningAlgorithm) async throws {
        let key = try PrivateKey.generate(algorithm)
        let message = self.message
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask {
                    var ok = true
                    for j in 0..<10 {
                        let m = message + [UInt8(i), UInt8(j)]
                        let signature = try key.sign(m)
                        ok = ok && key.publicKey.verify(m, signature: signature)
                    }
                    return ok
                }
            }
            for try await ok in group { #expect(ok) }
        }
    }
}
