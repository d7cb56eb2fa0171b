/// The upstream's store (`[storage]` in upstream.toml, also accepted as `[store]`): one SQLite
/// file (the embedded default: one instance) or a PostgreSQL database that several instances
/// share (a fleet), and how this instance takes part in the fleet.
public struct UpstreamStorageConfiguration: Sendable, Equatable {
    /// SQLite database; relative paths resolve against the configuration file's directory.
    /// Default `/var/lib/edge-ledger/upstream.db`. Ignored when `url` is set.
    public var path: String
    /// Commit durability of the SQLite file. Default `power`: the upstream is the long-term copy.
    public var durability: StorageDurability
    /// `url` (or `url_env`): a PostgreSQL connection URI (`postgres://user@host:5432/db?sslmode=…`);
    /// when set, every piece of upstream state lives in that database instead of `path`.
    public var url: ConfigSecret?
    /// `connections`: PostgreSQL connections (and store threads) of this instance. Default 8.
    public var connections: Int
    /// `instance_id`: this instance's name in leases and claims; default `<hostname>-<pid>`.
    public var instanceID: String?
    /// `lease`: how long a collection lease lasts without renewal (the takeover time after an
    /// instance dies). Default 30 s.
    public var lease: Duration
    /// `registry_interval`: how often the gateway registry is read for enrolled, changed or
    /// disabled gateways. Default 2 s.
    public var registryInterval: Duration
    /// `collector_memory`: the bytes of fetched entries not stored yet that this instance's
    /// collectors hold at once, all pulls together (past it, a pull fetches one bundle at a
    /// time and only with nothing else in progress). Default 256 MiB.
    public var collectorMemory: Int
    /// `tiles_dir`: where this instance keeps the immutable tiles and entry bundles it serves
    /// (docs/UPSTREAM.md, "Reading what the upstream holds"); relative paths resolve against the
    /// configuration file's directory. `nil`: ``defaultTilesDirectory``.
    public var tilesDir: String?

    /// The directory the served tiles are written to: ``tilesDir``, or by default `tiles` beside
    /// the SQLite file (`/var/lib/edge-ledger/tiles` for the default path) and
    /// `/var/lib/edge-ledger/upstream-tiles` with PostgreSQL (each instance keeps its own: the
    /// files are a cache of the database, rebuilt from it on demand).
    public var tilesDirectory: String { tilesDir ?? defaultTilesDirectory }

    /// ``tilesDirectory`` when `tiles_dir` is not set.
    public var defaultTilesDirectory: String {
        if isPostgres { return "/var/lib/edge-ledger/upstream-tiles" }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        let directory = parts.joined(separator: "/")
        return (parts.isEmpty ? "." : directory.isEmpty ? "" : directory) + "/tiles"
    }

    /// Whether the store is a PostgreSQL database.
    public var isPostgres: Bool { url != nil }

    /// Creates store settings.
    public init(
        path: String = "/var/lib/edge-ledger/upstream.db", durability: StorageDurability = .power,
        url: ConfigSecret? = nil, connections: Int = 8, instanceID: String? = nil, lease: Duration = .seconds(30),
        registryInterval: Duration = .seconds(2), tilesDir: String? = nil, collectorMemory: Int = 256 << 20
    ) {
        self.tilesDir = tilesDir
        self.collectorMemory = collectorMemory
        self.path = path
        self.durability = durability
        self.url = url
        self.connections = connections
        self.instanceID = instanceID
        self.lease = lease
        self.registryInterval = registryInterval
    }

    init(reading r: ConfigTableReader) {
        let d = UpstreamStorageConfiguration()
        let url = r.secret("url")
        if let url, !(url.value.hasPrefix("postgres://") || url.value.hasPrefix("postgresql://")) {
            r.error("url", "must be a PostgreSQL connection URI (postgres://user@host:5432/database)")
        }
        self.init(
            path: r.filePath("path", default: d.path),
            durability: r.choice(
                "durability", default: d.durability, StorageDurability.allCases.map { ($0.rawValue, $0) }),
            url: url, connections: r.integer("connections", default: d.connections, in: 1...256),
            instanceID: r.string("instance_id"),
            lease: r.duration("lease", default: d.lease, in: .seconds(2)...(.seconds(3600))),
            registryInterval: r.duration(
                "registry_interval", default: d.registryInterval, in: .milliseconds(100)...(.seconds(600))),
            tilesDir: r.filePath("tiles_dir"),
            collectorMemory: r.byteSize("collector_memory", default: d.collectorMemory, in: (1 << 20)...(1 << 40)))
        r.finish()
    }
}
