/// A key that signs C2SP notes. `EdgeLedgerCrypto` provides Ed25519, ECDSA P-256 and SM2
/// signers; tests may provide their own.
public protocol NoteSigner: Sendable {
    /// The key name written in the signature line; for a log, its origin.
    var name: String { get }
    /// The 32-bit key ID written before the signature.
    var keyID: UInt32 { get }
    /// Signs `message` (the note text as UTF-8) and returns the signature bytes, without the
    /// key ID.
    func sign(_ message: [UInt8]) throws -> [UInt8]
}
