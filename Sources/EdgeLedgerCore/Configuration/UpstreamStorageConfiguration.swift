/// The reference upstream's store (`[storage]` in upstream.toml).
public struct UpstreamStorageConfiguration: Sendable, Equatable {
    /// SQLite database; relative paths resolve against the configuration file's directory.
    /// Default `/var/lib/edge-ledger/upstream.db`.
    public var path: String
    /// Commit durability. Default `power`: the upstream is the long-term copy.
    public var durability: StorageDurability

    /// Creates store settings.
    public init(path: String = "/var/lib/edge-ledger/upstream.db", durability: StorageDurability = .power) {
        self.path = path
        self.durability = durability
    }

    init(reading r: ConfigTableReader) {
        let d = UpstreamStorageConfiguration()
        self.init(
            path: r.filePath("path", default: d.path),
            durability: r.choice(
                "durability", default: d.durability, StorageDurability.allCases.map { ($0.rawValue, $0) }))
        r.finish()
    }
}
