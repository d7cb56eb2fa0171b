import Foundation
import Testing

/// The known-answer vectors in `../shared/vectors/crypto.json`, read in place (never copied).
struct CryptoVectors: Decodable {
    struct SM3: Decodable {
        var source: String
        var message_utf8: String
        var digest: String
    }

    struct SM2Sign: Decodable {
        var source: String
        var private_key_d: String
        var public_key_x: String
        var public_key_y: String
        var user_id_utf8: String
        var message_utf8: String
        var r: String
        var s: String
    }

    struct SignedNote: Decodable {
        var source: String
        var verifier_key: String
        var signer_key: String
        var text: String
        var signed_note: String
    }

    var sm3: [SM3]
    var sm2_sign: [SM2Sign]
    var signed_note_ed25519: [SignedNote]

    /// `crypto.json`, located from this file: `<repo>/../shared/vectors/crypto.json`.
    static func load(file: String = #filePath) throws -> CryptoVectors {
        let repo = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let url = repo.deletingLastPathComponent().appendingPathComponent("shared/vectors/crypto.json")
        return try JSONDecoder().decode(CryptoVectors.self, from: Data(contentsOf: url))
    }
}

/// Minimal DER for building test keys and signatures from raw numbers.
enum TestDER {
    static func length(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        if n < 0x100 { return [0x81, UInt8(n)] }
        return [0x82, UInt8(n >> 8), UInt8(n & 0xff)]
    }

    static func tlv(_ tag: UInt8, _ body: [UInt8]) -> [UInt8] { [tag] + length(body.count) + body }

    /// A DER INTEGER from unsigned big-endian bytes.
    static func integer(_ bytes: [UInt8]) -> [UInt8] {
        var b = Array(bytes.drop(while: { $0 == 0 }))
        if b.isEmpty { b = [0] }
        if b[0] & 0x80 != 0 { b.insert(0, at: 0) }
        return tlv(0x02, b)
    }

    /// SEQUENCE { INTEGER r, INTEGER s }.
    static func signature(r: [UInt8], s: [UInt8]) -> [UInt8] { tlv(0x30, integer(r) + integer(s)) }

    /// SubjectPublicKeyInfo for an EC point on the SM2 curve:
    /// SEQUENCE { SEQUENCE { id-ecPublicKey, sm2p256v1 }, BIT STRING 04||x||y }.
    static func sm2SPKI(x: [UInt8], y: [UInt8]) -> [UInt8] {
        let idEcPublicKey: [UInt8] = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]
        let sm2Curve: [UInt8] = [0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d]
        let algorithm = tlv(0x30, idEcPublicKey + sm2Curve)
        let point = tlv(0x03, [0x00, 0x04] + x + y)
        return tlv(0x30, algorithm + point)
    }
}

extension Array where Element == UInt8 {
    init(hex: String) throws {
        var out: [UInt8] = []
        var chars = Array(hex.utf8)
        if chars.count % 2 == 1 { chars.insert(UInt8(ascii: "0"), at: 0) }
        var i = 0
        while i < chars.count {
            let byte = try #require(UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16))
            out.append(byte)
            i += 2
        }
        self = out
    }
}
