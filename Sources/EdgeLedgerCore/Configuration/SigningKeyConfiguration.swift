/// One private key that signs every checkpoint (`[[keys.signing]]`).
public struct SigningKeyConfiguration: Sendable, Equatable {
    /// Signature algorithms for checkpoint keys.
    public enum Algorithm: String, Sendable, Equatable, CaseIterable {
        /// Ed25519 (note signature type 0x01): required, every C2SP verifier understands it.
        case ed25519
        /// ECDSA P-256 with SHA-256 (note signature type 0x02).
        case p256
        /// SM2 with SM3 and the standard user ID (for GM/T deployments).
        case sm2
    }

    /// PKCS#8 PEM private key file (mode 0600), as `edge-ledger keygen` writes it; relative
    /// paths resolve against the configuration file's directory.
    public var path: String
    /// The key's algorithm. Default ed25519.
    public var algorithm: Algorithm

    /// Creates a signing key entry.
    public init(path: String, algorithm: Algorithm = .ed25519) {
        self.path = path
        self.algorithm = algorithm
    }

    init(reading r: ConfigTableReader) {
        self.init(
            path: r.requiredFilePath("path") ?? "",
            algorithm: r.choice("algorithm", default: .ed25519, Algorithm.allCases.map { ($0.rawValue, $0) }))
        r.finish()
    }
}
