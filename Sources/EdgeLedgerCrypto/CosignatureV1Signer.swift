import EdgeLedgerCore
import EdgeLedgerSystem

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
