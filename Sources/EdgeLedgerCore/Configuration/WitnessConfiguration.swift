/// The reference upstream's own witness identity (`[witness]` in upstream.toml).
public struct WitnessConfiguration: Sendable, Equatable {
    /// The witness's note key name, e.g. `witness.example/dc-1`. Required.
    public var name: String
    /// Its Ed25519 private key (PKCS#8 PEM, `edge-ledger keygen --alg ed25519`); relative paths
    /// resolve against the configuration file's directory. Required.
    public var keyFile: String

    /// Creates a witness identity.
    public init(name: String, keyFile: String) {
        self.name = name
        self.keyFile = keyFile
    }

    init(reading r: ConfigTableReader) {
        let name = r.requiredString("name") ?? ""
        if !name.isEmpty, let problem = NoteName.problem(with: name) { r.error("name", problem) }
        self.init(name: name, keyFile: r.requiredFilePath("key_file") ?? "")
        r.finish()
    }
}
