import EdgeLedgerCore

/// Verifies ECDSA P-256 note signatures (signature type `0x02`): DER ECDSA over
/// SHA-256(note text).
public struct ECDSANoteVerifier: NoteVerifier {
    /// The key name.
    public let name: String
    /// The key ID.
    public let keyID: UInt32
    /// The public key.
    public let publicKey: PublicKey

    /// A verifier named `name` for a P-256 public key; the key ID is derived.
    ///
    /// - Throws: `CryptoError` when `publicKey` is not a P-256 key.
    public init(name: String, publicKey: PublicKey) throws(CryptoError) {
        guard publicKey.algorithm == .p256 else {
            throw CryptoError("an ECDSA note verifier needs a P-256 key, not \(publicKey.algorithm.displayName)")
        }
        self.name = name
        self.publicKey = publicKey
        self.keyID = NoteKeyID.ecdsa(spki: publicKey.derSPKI)
    }

    /// Whether `signature` is a valid DER ECDSA signature of SHA-256(`message`).
    public func verify(_ message: [UInt8], signature: [UInt8]) -> Bool {
        publicKey.verify(message, signature: signature)
    }

    /// The verifier key string for this key.
    public var verifierKey: VerifierKey {
        VerifierKey(name: name, keyID: keyID, type: VerifierKey.typeECDSA, keyBytes: publicKey.derSPKI)
    }
}
