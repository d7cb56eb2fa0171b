import EdgeLedgerCore

/// How each note signature type derives its 32-bit key ID.
enum NoteKeyID {
    /// The first four bytes of SHA-256(`bytes`), big-endian.
    static func sha256Prefix(_ bytes: [UInt8]) -> UInt32 {
        let digest = OpenSSLHasher.sha256.hash(bytes).bytes
        return UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3])
    }

    /// The signed-note recommendation: SHA-256(name || 0x0A || type || key bytes)[:4].
    /// Ed25519 (key bytes = 32-byte key) and SM2 (key bytes = `sm2-sm3\0` || DER SPKI) use it.
    static func recommended(name: String, type: UInt8, keyBytes: [UInt8]) -> UInt32 {
        sha256Prefix(Array(name.utf8) + [0x0a, type] + keyBytes)
    }

    /// ECDSA (type 0x02, transparency-dev form): SHA-256(DER SPKI)[:4].
    static func ecdsa(spki: [UInt8]) -> UInt32 { sha256Prefix(spki) }
}
