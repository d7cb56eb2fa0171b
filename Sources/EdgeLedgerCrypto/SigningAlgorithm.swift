import EdgeLedgerCore

/// The signature algorithms EdgeLedger signs checkpoints with.
public enum SigningAlgorithm: String, Sendable, Hashable, CaseIterable, Codable {
    /// Ed25519 (RFC 8032); note signature type `0x01`. Always present on a checkpoint.
    case ed25519
    /// ECDSA on NIST P-256 with SHA-256, DER signatures; note signature type `0x02`.
    case p256
    /// SM2 (GB/T 32918.2) with SM3 and user ID `1234567812345678`, DER signatures; note
    /// signature type `0xff` followed by the identifier `sm2-sm3\0`.
    case sm2

    /// The C2SP signed-note signature type byte.
    public var noteType: UInt8 {
        switch self {
        case .ed25519: VerifierKey.typeEd25519
        case .p256: VerifierKey.typeECDSA
        case .sm2: VerifierKey.typeOther
        }
    }

    /// A human-readable name, e.g. "ECDSA P-256".
    public var displayName: String {
        switch self {
        case .ed25519: "Ed25519"
        case .p256: "ECDSA P-256"
        case .sm2: "SM2"
        }
    }
}
