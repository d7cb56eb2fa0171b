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

/// Makes C2SP `cosignature/v1` cosignatures with an Ed25519 key: what a witness returns from
/// `add-checkpoint`.
public struct CosignatureV1Signer: NoteSigner {
    /// The cosigner (witness) name.
    public let name: String
    /// The `0x04` key ID.
    public let keyID: UInt32
    private let privateKey: PrivateKey
    private let clock: @Sendable () -> UInt64

    /// A cosigner named `name` with an Ed25519 key.
    ///
    /// - Parameter clock: the current POSIX time in seconds (the cosignature timestamp).
    /// - Throws: `CryptoError` when the key is not Ed25519 or the name is not a valid key name.
    public init(
        name: String, privateKey: PrivateKey, clock: @escaping @Sendable () -> UInt64 = CosignatureV1Signer.now
    ) throws(CryptoError) {
        guard privateKey.algorithm == .ed25519, let raw = privateKey.publicKey.rawEd25519 else {
            throw CryptoError(
                "a witness cosigns with an Ed25519 key, not \(privateKey.algorithm.displayName)",
                hint: "make one with edge-ledger keygen --alg ed25519")
        }
        if let problem = NoteName.problem(with: name) { throw CryptoError("witness name: \(problem)") }
        self.name = name
        self.privateKey = privateKey
        self.keyID = CosignatureV1.keyID(name: name, publicKey: raw)
        self.clock = clock
    }

    /// The current POSIX time in seconds.
    @Sendable public static func now() -> UInt64 {
        UInt64(max(0, SystemClock.nowSeconds()))
    }

    /// The verifier key (`name+keyid+base64(0x04 || key)`) that checks this cosigner's
    /// cosignatures; gateways configure it as `upstreams[].verifier_key`.
    public var verifierKey: VerifierKey {
        VerifierKey(
            name: name, keyID: keyID, type: CosignatureV1.signatureType, keyBytes: privateKey.publicKey.rawEd25519!)
    }

    /// Cosigns the note text `message` at the current time: 8-byte timestamp || signature.
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        try sign(message, timestamp: clock())
    }

    /// Cosigns the note text `message` at `timestamp` (POSIX seconds).
    public func sign(_ message: [UInt8], timestamp: UInt64) throws -> [UInt8] {
        let signed = Array("cosignature/v1\ntime \(timestamp)\n".utf8) + message
        let signature = try privateKey.sign(signed)
        var out: [UInt8] = []
        out.reserveCapacity(CosignatureV1.signatureLength)
        for shift in stride(from: 56, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: timestamp >> UInt64(shift)))
        }
        out.append(contentsOf: signature)
        return out
    }

    /// The cosignature line (`— name base64(...)`, no newline) on the checkpoint note text `text`.
    public func cosign(text: String) throws -> NoteSignature {
        NoteSignature(name: name, keyID: keyID, signature: try sign(Array(text.utf8)))
    }
}

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
                hint: "use the witness's cosignature verifier key, as `edge-ledger upstream` prints it at start")
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
