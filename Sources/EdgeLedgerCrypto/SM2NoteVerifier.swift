import EdgeLedgerCore

/// Verifies SM2-with-SM3 note signatures (signature type `0xff`, identifier `sm2-sm3\0`,
/// user ID `1234567812345678`, DER signature).
public struct SM2NoteVerifier: NoteVerifier {
    /// The key name.
    public let name: String
    /// The key ID.
    public let keyID: UInt32
    /// The public key.
    public let publicKey: PublicKey

    /// A verifier named `name` for an SM2 public key; the key ID is derived.
    ///
    /// - Throws: `CryptoError` when `publicKey` is not an SM2 key.
    public init(name: String, publicKey: PublicKey) throws(CryptoError) {
        guard publicKey.algorithm == .sm2 else {
            throw CryptoError("an SM2 note verifier needs an SM2 key, not \(publicKey.algorithm.displayName)")
        }
        self.name = name
        self.publicKey = publicKey
        self.keyID = NoteKeyID.recommended(
            name: name, type: VerifierKey.typeOther, keyBytes: VerifierKey.sm2Identifier + publicKey.derSPKI)
    }

    /// Whether `signature` is a valid DER SM2 signature of `message`.
    public func verify(_ message: [UInt8], signature: [UInt8]) -> Bool {
        publicKey.verify(message, signature: signature)
    }

    /// The verifier key string for this key.
    public var verifierKey: VerifierKey {
        VerifierKey(
            name: name, keyID: keyID, type: VerifierKey.typeOther,
            keyBytes: VerifierKey.sm2Identifier + publicKey.derSPKI)
    }
}
