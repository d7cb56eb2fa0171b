/// A private note key in the string form of Go's `golang.org/x/mod/sumdb/note`:
/// `PRIVATE+KEY+<name>+<hex key ID>+<base64(type || key bytes)>`.
///
/// For Ed25519 (type `0x01`) the key bytes are the 32-byte seed. EdgeLedger keeps its own keys
/// as PKCS#8 PEM files; this form exists for interoperability and test vectors.
/// `description` never shows the key material.
public struct NoteSignerKey: Sendable, Hashable, CustomStringConvertible {
    /// The key name.
    public var name: String
    /// The 32-bit key ID (checked against the public key by `NoteKeys.signer(from:)`).
    public var keyID: UInt32
    /// The signature type byte.
    public var type: UInt8
    /// The private key material after the type byte.
    public var keyBytes: [UInt8]

    /// A key from its parts.
    public init(name: String, keyID: UInt32, type: UInt8, keyBytes: [UInt8]) {
        self.name = name
        self.keyID = keyID
        self.type = type
        self.keyBytes = keyBytes
    }

    /// Parses `PRIVATE+KEY+<name>+<8 hex digits>+<base64(type || key)>`.
    ///
    /// - Throws: `NoteError` naming the part that is wrong (never echoing key material).
    public init(parsing string: some StringProtocol) throws(NoteError) {
        let prefix = "PRIVATE+KEY+"
        guard string.hasPrefix(prefix) else {
            throw NoteError("signer key does not start with PRIVATE+KEY+")
        }
        let parts = try NoteKeyString.split(string.dropFirst(prefix.count), what: "signer key")
        self.init(name: parts.name, keyID: parts.keyID, type: parts.type, keyBytes: parts.keyBytes)
    }

    /// The secret key string. Treat it like the key itself.
    public var string: String {
        "PRIVATE+KEY+\(name)+\(NoteSignature.hex8(keyID))+\(Base64.encode([type] + keyBytes))"
    }

    /// Name and key ID only; the key material is redacted.
    public var description: String {
        "PRIVATE+KEY+\(name)+\(NoteSignature.hex8(keyID))+<redacted>"
    }
}
