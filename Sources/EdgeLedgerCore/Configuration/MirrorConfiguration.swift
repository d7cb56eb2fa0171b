/// The reference upstream's tlog-mirror identity (`[mirror]` in upstream.toml): with it, gateways
/// may push their logs (`POST <http.prefix>/mirror/add-checkpoint` and `.../add-entries`), and
/// the upstream answers a complete upload with a cosignature by this key.
///
/// C2SP tlog-mirror requires the mirror to be a cosigner distinct from the witness: its name and
/// key must differ from `[witness]`'s.
public struct MirrorConfiguration: Sendable, Equatable {
    /// The mirror's note key name, e.g. `mirror.example/dc-1`. Required.
    public var name: String
    /// Its Ed25519 private key (PKCS#8 PEM); relative paths resolve against the configuration
    /// file's directory. Required.
    public var keyFile: String

    /// Creates a mirror identity.
    public init(name: String, keyFile: String) {
        self.name = name
        self.keyFile = keyFile
    }

    init(reading r: ConfigTableReader, witness: WitnessConfiguration) {
        let name = r.requiredString("name") ?? ""
        if !name.isEmpty, let problem = NoteName.problem(with: name) { r.error("name", problem) }
        if !name.isEmpty, name == witness.name {
            r.error("name", "the mirror's name must differ from witness.name (C2SP tlog-mirror: distinct cosigners)")
        }
        let keyFile = r.requiredFilePath("key_file") ?? ""
        if !keyFile.isEmpty, keyFile == witness.keyFile {
            r.error(
                "key_file",
                "the mirror's key must differ from the witness's (make one with `edge-ledger keygen --alg ed25519`)")
        }
        self.init(name: name, keyFile: keyFile)
        r.finish()
    }
}
