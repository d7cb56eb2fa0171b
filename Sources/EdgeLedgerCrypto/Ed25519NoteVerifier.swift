import EdgeLedgerCore

/// Verifies Ed25519 note signatures (signature type `0x01`).
public struct Ed25519NoteVerifier: NoteVerifier {
    /// The key name.
    public let name: String
    /// The key ID.
    public let keyID: UInt32
    /// The public key.
    public let publicKey: PublicKey

    /// A verifier named `name` for an Ed25519 public key; the key ID is derived.
    ///
    /// - Throws: `CryptoError` when `publicKey` is not an Ed25519 key.
    public init(name: String, publicKey: PublicKey) throws(CryptoError) {
        guard publicKey.algorithm == .ed25519, let raw = publicKey.rawEd25519 else {
            throw CryptoError(
                "an Ed25519 note verifier needs an Ed25519 key, not \(publicKey.algorithm.displayName)")
        }
        self.name = name
        self.publicKey = publicKey
        self.keyID = NoteKeyID.recommended(name: name, type: VerifierKey.typeEd25519, keyBytes: raw)
    }

    /// Whether `signature` is a valid 64-byte Ed25519 signature of `message`.
    public func verify(_ message: [UInt8], signature: [UInt8]) -> Bool {
        publicKey.verify(message, signature: signature)
    }

    /// The verifier key string for this key.
    public var verifierKey: VerifierKey {
        VerifierKey(name: name, keyID: keyID, type: VerifierKey.typeEd25519, keyBytes: publicKey.rawEd25519!)
    }
}
