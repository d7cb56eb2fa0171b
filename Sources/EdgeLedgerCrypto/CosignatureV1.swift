import EdgeLedgerCore
import EdgeLedgerSystem

/// C2SP tlog-cosignature `cosignature/v1` with Ed25519 (note signature type `0x04`).
///
/// - Key ID: `SHA-256(name || "\n" || 0x04 || 32-byte public key)[:4]`.
/// - Signed message: `cosignature/v1\ntime <POSIX seconds>\n` followed by the whole checkpoint
///   body (every line of the note text, extension lines included).
/// - Signature bytes after the key ID: the timestamp as a big-endian u64, then the 64-byte
///   Ed25519 signature.
public enum CosignatureV1 {
    /// The note signature type byte of Ed25519 cosignatures.
    public static let signatureType: UInt8 = 0x04
    /// Length of the signature bytes after the key ID: 8-byte timestamp + 64-byte signature.
    public static let signatureLength = 72

    /// The key ID of an Ed25519 cosigner named `name` with the 32-byte `publicKey`.
    public static func keyID(name: String, publicKey: [UInt8]) -> UInt32 {
        let digest = OpenSSLHasher.sha256.hash(Array(name.utf8) + [0x0a, signatureType] + publicKey).bytes
        return UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3])
    }

    /// The message a cosignature at `timestamp` (POSIX seconds) signs for the note text `text`.
    public static func message(text: some StringProtocol, timestamp: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(timestamp)\n".utf8) + Array(text.utf8)
    }

    /// The timestamp (POSIX seconds) of a cosignature's signature bytes, or `nil` when they are not
    /// 72 bytes long or the timestamp exceeds 2⁶³-1.
    public static func timestamp(of signature: [UInt8]) -> UInt64? {
        guard signature.count == signatureLength else { return nil }
        let t = signature.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return t <= UInt64(Int64.max) ? t : nil
    }
}
