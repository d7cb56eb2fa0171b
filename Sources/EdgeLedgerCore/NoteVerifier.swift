/// A public key that checks C2SP note signatures. `EdgeLedgerCrypto` builds them from
/// ``VerifierKey`` strings.
public protocol NoteVerifier: Sendable {
    /// The key name this verifier answers to.
    var name: String { get }
    /// The 32-bit key ID this verifier answers to.
    var keyID: UInt32 { get }
    /// Whether `signature` (without the key ID) is a valid signature of `message` (the note
    /// text as UTF-8) by this key.
    func verify(_ message: [UInt8], signature: [UInt8]) -> Bool
}
