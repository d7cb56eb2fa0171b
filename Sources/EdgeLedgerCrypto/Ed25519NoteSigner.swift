import EdgeLedgerCore

/// Signs notes with Ed25519 (signature type `0x01`), compatible with Go's `sumdb/note`.
///
/// Key ID: SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4].
public struct Ed25519NoteSigner: NoteSigner {
    /// The key name.
    public let name: String
    /// The key ID.
    public let keyID: UInt32
    /// The signing key.
    public let privateKey: PrivateKey

    /// A signer named `name` for an Ed25519 key.
    ///
    /// - Throws: `CryptoError` when `privateKey` is not an Ed25519 key.
    public init(name: String, privateKey: PrivateKey) throws(CryptoError) {
        guard privateKey.algorithm == .ed25519, let raw = privateKey.publicKey.rawEd25519 else {
            throw CryptoError("an Ed25519 note signer needs an Ed25519 key, not \(privateKey.algorithm.displayName)")
        }
        self.name = name
        self.privateKey = privateKey
        self.keyID = NoteKeyID.recommended(name: name, type: VerifierKey.typeEd25519, keyBytes: raw)
    }

    /// The 64-byte Ed25519 signature of `message`.
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        try privateKey.sign(message)
    }

    /// The verifier key string for this signer.
    public var verifierKey: VerifierKey {
        VerifierKey(
            name: name, keyID: keyID, type: VerifierKey.typeEd25519, keyBytes: privateKey.publicKey.rawEd25519!)
    }
}
