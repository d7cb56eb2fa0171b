import EdgeLedgerCore
import EdgeLedgerSystem

/// Verifies C2SP `cosignature/v1` Ed25519 cosignatures; a ``NoteVerifier``, so
/// `NoteSigning.open` checks cosignature lines like any other signature.
public struct CosignatureV1Verifier: NoteVerifier {
    /// The cosigner name.
    public let name: String
    /// The `0x04` key ID.
    public let keyID: UInt32
    /// The Ed25519 public key.
    public let publicKey: PublicKey

    /// A verifier for a `0x04` verifier key (`name+keyid+base64(0x04 || 32-byte key)`).
    ///
    /// - Throws: `CryptoError` for another type, a bad key, or a key ID that does not match.
    public init(verifierKey key: VerifierKey) throws(CryptoError) {
        guard key.type == CosignatureV1.signatureType else {
            throw CryptoError(
                "verifier key \(key.name)+\(Hex.encode(Self.bytes(key.keyID))): type 0x\(String(key.type, radix: 16)) "
                    + "is not a cosignature/v1 key (0x04)",
                hint: "use the witness's cosignature verifier key, as `edge-ledger-upstream` prints it at start")
        }
        if let problem = NoteName.problem(with: key.name) { throw CryptoError("verifier key: \(problem)") }
        let publicKey = try PublicKey(rawEd25519: key.keyBytes)
        let derived = CosignatureV1.keyID(name: key.name, publicKey: key.keyBytes)
        guard derived == key.keyID else {
            throw CryptoError(
                "verifier key \(key.name)+\(Hex.encode(Self.bytes(key.keyID))): key ID does not match the key "
                    + "(derived \(Hex.encode(Self.bytes(derived))))",
                hint: "the name, key ID or key was altered; copy the verifier key again from its source")
        }
        self.name = key.name
        self.keyID = key.keyID
        self.publicKey = publicKey
    }

    /// A verifier from a verifier key string.
    ///
    /// - Throws: `NoteError` for a malformed string, `CryptoError` for an unusable key.
    public init(parsing string: String) throws {
        try self.init(verifierKey: VerifierKey(parsing: string))
    }

    /// Whether `signature` (8-byte timestamp || 64-byte Ed25519 signature) is a valid
    /// cosignature of the note text `message`.
    public func verify(_ message: [UInt8], signature: [UInt8]) -> Bool {
        guard let timestamp = CosignatureV1.timestamp(of: signature) else { return false }
        let signed = Array("cosignature/v1\ntime \(timestamp)\n".utf8) + message
        return publicKey.verify(signed, signature: Array(signature[8...]))
    }

    private static func bytes(_ v: UInt32) -> [UInt8] {
        [
            UInt8(truncatingIfNeeded: v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8),
            UInt8(truncatingIfNeeded: v),
        ]
    }
}
