/// Who the log is (`[identity]`): its C2SP origin and hash function.
public struct IdentityConfiguration: Sendable, Equatable {
    /// The log's origin, the first line of every checkpoint and the name of its note keys, e.g.
    /// `factory.example/plant-7/gw-12`. Required; non-empty, no white space, no `+`.
    public var origin: String
    /// Hash function of the Merkle tree. Default SHA-256. Cannot change for an existing log.
    public var hash: HashAlgorithm

    /// Creates an identity.
    public init(origin: String, hash: HashAlgorithm = .sha256) {
        self.origin = origin
        self.hash = hash
    }

    init(reading r: ConfigTableReader) {
        let origin = r.requiredString("origin") ?? ""
        if !origin.isEmpty, let problem = ConfigNames.problem(withOrigin: origin) { r.error("origin", problem) }
        self.init(
            origin: origin, hash: r.choice("hash", default: .sha256, HashAlgorithm.allCases.map { ($0.rawValue, $0) }))
        r.finish()
    }
}
