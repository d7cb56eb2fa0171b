import EdgeLedgerCore
import EdgeLedgerCrypto
import Testing

/// SM2 with SM3 against the GB/T 32918.2 example: the standard (r, s) must verify under the
/// standard public key with user ID 1234567812345678, and fail otherwise.
@Suite struct SM2SignatureTests {
    struct Standard {
        var key: PublicKey
        var message: [UInt8]
        var userID: [UInt8]
        var signature: [UInt8]
    }

    func standard() throws -> Standard {
        let v = try #require(try CryptoVectors.load().sm2_sign.first)
        let spki = TestDER.sm2SPKI(x: try [UInt8](hex: v.public_key_x), y: try [UInt8](hex: v.public_key_y))
        let key = try PublicKey(derSPKI: spki)
        let signature = TestDER.signature(r: try [UInt8](hex: v.r), s: try [UInt8](hex: v.s))
        return Standard(
            key: key, message: Array(v.message_utf8.utf8), userID: Array(v.user_id_utf8.utf8), signature: signature)
    }

    @Test func standardKeyLoadsAsSM2() throws {
        let std = try standard()
        #expect(std.key.algorithm == .sm2)
        #expect(std.userID == PublicKey.defaultSM2UserID)
    }

    @Test func standardSignatureVerifies() throws {
        let std = try standard()
        #expect(std.key.verify(std.message, signature: std.signature))
        #expect(std.key.verify(std.message, signature: std.signature, sm2UserID: std.userID))
    }

    @Test func changedMessageFails() throws {
        let std = try standard()
        var message = std.message
        message[0] ^= 0x01
        #expect(!std.key.verify(message, signature: std.signature))
        #expect(!std.key.verify(std.message + [0x20], signature: std.signature))
    }

    @Test func changedUserIDFails() throws {
        let std = try standard()
        #expect(!std.key.verify(std.message, signature: std.signature, sm2UserID: Array("1234567812345679".utf8)))
        // OpenSSL 3.0's implicit default (empty ID) must not be what we use.
        #expect(!std.key.verify(std.message, signature: std.signature, sm2UserID: []))
    }

    @Test func changedSignatureFails() throws {
        let std = try standard()
        var signature = std.signature
        signature[signature.count - 1] ^= 0x01
        #expect(!std.key.verify(std.message, signature: signature))
        #expect(!std.key.verify(std.message, signature: Array(std.signature.dropLast())))
        #expect(!std.key.verify(std.message, signature: []))
    }

    /// Our own SM2 signatures use the same user ID: they verify with it explicitly and not
    /// with another one.
    @Test func ownSignaturesUseTheStandardUserID() throws {
        let key = try PrivateKey.generate(.sm2)
        let message = Array("message digest".utf8)
        let signature = try key.sign(message)
        #expect(signature.first == 0x30)  // DER SEQUENCE
        #expect(key.publicKey.verify(message, signature: signature, sm2UserID: Array("1234567812345678".utf8)))
        #expect(!key.publicKey.verify(message, signature: signature, sm2UserID: []))
        let other = try key.sign(message, sm2UserID: Array("alice".utf8))
        #expect(key.publicKey.verify(message, signature: other, sm2UserID: Array("alice".utf8)))
        #expect(!key.publicKey.verify(message, signature: other))
    }
}
