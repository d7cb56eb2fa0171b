import EdgeLedgerCore

/// Signs notes with SM2 and SM3 (signature type `0xff`, identifier `sm2-sm3\0`): a DER
/// SEQUENCE { r, s } (GM/T 0009) over the note text, with user ID `1234567812345678`.
///
/// Key ID: SHA-256(name || 0x0A || 0xFF || "sm2-sm3" || 0x00 || DER SPKI)[:4].
public struct SM2NoteSigner: NoteSigner {
    /// The key name.
    public let name: String
    /// The key ID.
    public let keyID: UInt32
    /// The signing key.
    public let privateKey: PrivateKey

    /// A signer named `name` for an SM2 key.
    ///
    /// - Throws: `CryptoError` when `privateKey` is not an SM2 key.
    public init(name: String, privateKey: PrivateKey) throws(CryptoError) {
        guard privateKey.algorithm == .sm2 else {
            throw CryptoError("an SM2 note signer needs an SM2 key, not \(privateKey.algorithm.displayName)")
        }
        self.name = name
        self.privateKey = privateKey
        self.keyID = NoteKeyID.recommended(
            name: name, type: VerifierKey.typeOther, keyBytes: VerifierKey.sm2Identifier + privateKey.publicKey.derSPKI)
    }

    /// The DER SM2 signature of `message` (SM3, user ID `1234567812345678`).
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        try privateKey.sign(message)
    }

    /// The verifier key string for this signer.
    public var verifierKey: VerifierKey {
        VerifierKey(
            name: name, keyID: keyID, type: VerifierKey.typeOther,
            keyBytes: VerifierKey.sm2Identifier + privateKey.publicKey.derSPKI)
    }
}
