/// The complete, validated configuration of the gateway agent (`edge-ledger run`).
///
/// Build it from a document with ``init(from:environment:baseDirectory:)``, normally through
/// `ConfigLoader` (its `load(path:)` in EdgeLedgerSystem reads the file). Every key has a default
/// except `identity.origin`, `keys.signing`, `mqtt.client_id` and `mqtt.topics`. The schema is
/// documented key by key in `docs/CONFIGURATION.md`.
public struct AgentConfiguration: Sendable, Equatable {
    /// Where the agent looks for its configuration by default.
    public static let defaultPath = "/etc/edge-ledger/edge-ledger.toml"

    /// `[identity]`: origin and hash.
    public var identity: IdentityConfiguration
    /// `[keys]`: checkpoint signing keys.
    public var keys: KeysConfiguration
    /// `[mqtt]`: broker and subscriptions.
    public var mqtt: MQTTConfiguration
    /// `[ingest]`: per-reading limits.
    public var ingest: IngestConfiguration
    /// `[seal]`: checkpoint policy.
    public var seal: SealConfiguration
    /// `[storage]`: database, durability, quota, retention.
    public var storage: StorageConfiguration
    /// `[http]`: the HTTP API.
    public var http: HTTPConfiguration
    /// `[[upstreams]]`: witnesses and collectors.
    public var upstreams: [UpstreamPeerConfiguration]
    /// `[log]`.
    public var log: LogConfiguration
    /// `[metrics]`.
    public var metrics: MetricsConfiguration
    /// `[sparkplug]`: what the agent does on a gap in a Sparkplug edge node's messages.
    public var sparkplug: SparkplugConfiguration
    /// Things that are valid but probably not meant (`edge-ledger check-config` prints them,
    /// the agent logs them at start).
    public var warnings: [ConfigIssue]

    /// Creates a configuration from parts.
    public init(
        identity: IdentityConfiguration, keys: KeysConfiguration, mqtt: MQTTConfiguration,
        ingest: IngestConfiguration = IngestConfiguration(), seal: SealConfiguration = SealConfiguration(),
        storage: StorageConfiguration = StorageConfiguration(), http: HTTPConfiguration = HTTPConfiguration(),
        upstreams: [UpstreamPeerConfiguration] = [], log: LogConfiguration = LogConfiguration(),
        metrics: MetricsConfiguration = MetricsConfiguration(),
        sparkplug: SparkplugConfiguration = SparkplugConfiguration(), warnings: [ConfigIssue] = []
    ) {
        self.identity = identity
        self.keys = keys
        self.mqtt = mqtt
        self.ingest = ingest
        self.seal = seal
        self.storage = storage
        self.http = http
        self.upstreams = upstreams
        self.log = log
        self.metrics = metrics
        self.sparkplug = sparkplug
        self.warnings = warnings
    }

    /// Validates a configuration document.
    ///
    /// - Parameters:
    ///   - document: the parsed document; its root must be a table.
    ///   - environment: variables for `*_env` secrets.
    ///   - baseDirectory: directory that relative file paths (keys, database, TLS files) are
    ///     resolved against, normally the configuration file's directory; `nil` leaves them
    ///     relative.
    /// - Throws: ``ConfigError`` listing every problem found, each with its key path.
    public init(
        from document: ConfigValue, environment: [String: String] = [:], baseDirectory: String? = nil
    ) throws(ConfigError) {
        let context = ConfigContext(environment: environment, baseDirectory: baseDirectory)
        let root = ConfigTableReader.root(document, context: context)
        let identity = IdentityConfiguration(reading: root.table("identity"))
        let keys = KeysConfiguration(reading: root.table("keys"))
        let mqtt = MQTTConfiguration(reading: root.table("mqtt"))
        let ingest = IngestConfiguration(reading: root.table("ingest"))
        let seal = SealConfiguration(reading: root.table("seal"))
        let storage = StorageConfiguration(reading: root.table("storage"))
        let http = HTTPConfiguration(reading: root.table("http"))
        let upstreamReaders = root.tableArray("upstreams")
        let upstreams = upstreamReaders.map(UpstreamPeerConfiguration.init(reading:))
        let log = LogConfiguration(reading: root.table("log"))
        let metrics = MetricsConfiguration(reading: root.table("metrics"))
        let sparkplug = SparkplugConfiguration(reading: root.table("sparkplug"))
        root.finish()

        Self.crossCheck(
            http: http, storage: storage, metrics: metrics, upstreams: upstreams, readers: upstreamReaders,
            root: root)

        try context.check()
        self.init(
            identity: identity, keys: keys, mqtt: mqtt, ingest: ingest, seal: seal, storage: storage, http: http,
            upstreams: upstreams, log: log, metrics: metrics, sparkplug: sparkplug, warnings: context.warnings)
    }

    /// Checks that need several sections at once.
    private static func crossCheck(
        http: HTTPConfiguration, storage: StorageConfiguration, metrics: MetricsConfiguration,
        upstreams: [UpstreamPeerConfiguration], readers: [ConfigTableReader], root: ConfigTableReader
    ) {
        let context = root.context
        for (i, upstream) in upstreams.enumerated() where !upstream.name.isEmpty {
            let r = readers[i]
            if let j = upstreams[..<i].firstIndex(where: { $0.name == upstream.name }) {
                r.error("name", "duplicate upstream name \(ConfigValue.quote(upstream.name)) (also \(readers[j].path))")
            }
            if upstream.clientSubject != nil, http.tls?.clientCAFile == nil {
                r.error("client_subject", "requires http.tls.client_ca_file (mutual TLS)")
            }
            // A push upstream acknowledges with the mirror's cosignature, not over the agent's API.
            if upstream.requiredForRetention, upstream.mode == .pull {
                if !http.enabled {
                    r.error("required_for_retention", "acknowledgements arrive over HTTP, but http.enabled = false")
                } else if upstream.clientSubject == nil, !http.tokens.contains(where: { $0.name == upstream.name }) {
                    r.error(
                        "required_for_retention",
                        "upstream \(ConfigValue.quote(upstream.name)) could never acknowledge: add a [[http.tokens]] entry named \(ConfigValue.quote(upstream.name)) or set client_subject"
                    )
                }
            }
        }
        let required = upstreams.contains { $0.requiredForRetention }
        if storage.retention.prunePayloads, !required {
            context.error(
                "storage.retention.prune_payloads",
                "pruning needs at least one [[upstreams]] entry with required_for_retention = true, or payloads nobody holds would be lost"
            )
        }
        if storage.overflow == .dropOldestAcknowledged, !required {
            context.error(
                "storage.overflow",
                "\"drop-oldest-acked\" needs at least one [[upstreams]] entry with required_for_retention = true")
        }
        if http.enabled, http.tokens.isEmpty, http.tls?.clientCAFile == nil, !http.allowAnonymousRead {
            context.warn(
                "http",
                "no [[http.tokens]], no client_ca_file and allow_anonymous_read = false: nobody can pull entries")
        }
        if metrics.enabled, !http.enabled {
            context.warn("metrics.enabled", "metrics are served on the HTTP listener, which is disabled")
        }
    }
}
