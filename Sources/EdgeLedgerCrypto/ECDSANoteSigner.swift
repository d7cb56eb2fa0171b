import EdgeLedgerCore

/// Signs notes with ECDSA P-256 (signature type `0x02`), in the form of transparency-dev's
/// witness and Sigstore's log: a DER ECDSA signature over SHA-256(note text).
///
/// Key ID: SHA-256(DER SubjectPublicKeyInfo)[:4] (independent of the name).
public struct ECDSANoteSigner: NoteSigner {
    /// The key name.
    public let name: String
    /// The key ID.
    public let keyID: UInt32
    /// The signing key.
    public let privateKey: PrivateKey

    /// A signer named `name` for a P-256 key.
    ///
    /// - Throws: `CryptoError` when `privateKey` is not a P-256 key.
    public init(name: String, privateKey: PrivateKey) throws(CryptoError) {
        guard privateKey.algorithm == .p256 else {
            throw CryptoError("an ECDSA note signer needs a P-256 key, not \(privateKey.algorithm.displayName)")
        }
        self.name = name
        self.privateKey = privateKey
        self.keyID = NoteKeyID.ecdsa(spki: privateKey.publicKey.derSPKI)
    }

    /// The DER ECDSA signature of SHA-256(`message`).
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        try privateKey.sign(message)
    }

    /// The verifier key string for this signer.
    public var verifierKey: VerifierKey {
        VerifierKey(name: name, keyID: keyID, type: VerifierKey.typeECDSA, keyBytes: privateKey.publicKey.derSPKI)
    }
}
