/// The complete, validated configuration of the reference upstream node
/// (`edge-ledger-upstream --config upstream.toml`): a witness that cosigns gateway checkpoints
/// and a collector that pulls, re-verifies and stores their entries, then anchors them.
///
/// Required: `witness.name` and `witness.key_file`. Gateways are enrolled in the store
/// (`edge-ledger-upstream gateways add`); `[[gateways]]` entries, when present, are enrolled (or
/// updated) at every start. The schema is documented in `docs/CONFIGURATION.md`.
public struct UpstreamConfiguration: Sendable, Equatable {
    /// Where the upstream looks for its configuration by default.
    public static let defaultPath = "/etc/edge-ledger/upstream.toml"

    /// `[witness]`: the cosigning identity.
    public var witness: WitnessConfiguration
    /// `[mirror]`: the tlog-mirror identity; gateways may push only when it is set.
    public var mirror: MirrorConfiguration?
    /// `[http]`: the witness endpoint.
    public var http: UpstreamHTTPConfiguration
    /// `[storage]` (or `[store]`).
    public var storage: UpstreamStorageConfiguration
    /// `[[gateways]]`: gateways enrolled from the file at start (the registry in the store holds them all).
    public var gateways: [GatewayConfiguration]
    /// `[anchor]`.
    public var anchor: AnchorConfiguration
    /// `[log]`.
    public var log: LogConfiguration
    /// `[metrics]`.
    public var metrics: MetricsConfiguration
    /// Valid but suspicious settings.
    public var warnings: [ConfigIssue]

    /// Creates a configuration from parts.
    public init(
        witness: WitnessConfiguration, http: UpstreamHTTPConfiguration = UpstreamHTTPConfiguration(),
        storage: UpstreamStorageConfiguration = UpstreamStorageConfiguration(), gateways: [GatewayConfiguration],
        anchor: AnchorConfiguration = AnchorConfiguration(), log: LogConfiguration = LogConfiguration(),
        metrics: MetricsConfiguration = MetricsConfiguration(), mirror: MirrorConfiguration? = nil,
        warnings: [ConfigIssue] = []
    ) {
        self.witness = witness
        self.mirror = mirror
        self.http = http
        self.storage = storage
        self.gateways = gateways
        self.anchor = anchor
        self.log = log
        self.metrics = metrics
        self.warnings = warnings
    }

    /// Validates an upstream configuration document; see
    /// ``AgentConfiguration/init(from:environment:baseDirectory:)`` for the parameters.
    ///
    /// - Throws: ``ConfigError`` listing every problem found.
    public init(
        from document: ConfigValue, environment: [String: String] = [:], baseDirectory: String? = nil
    ) throws(ConfigError) {
        let context = ConfigContext(environment: environment, baseDirectory: baseDirectory)
        let root = ConfigTableReader.root(document, context: context)
        let witness = WitnessConfiguration(reading: root.table("witness"))
        let mirror = root.optionalTable("mirror").map { MirrorConfiguration(reading: $0, witness: witness) }
        let http = UpstreamHTTPConfiguration(reading: root.table("http"))
        if root.has("store") && root.has("storage") {
            root.error("store", "[store] and [storage] are the same table: keep one")
        }
        let storage = UpstreamStorageConfiguration(reading: root.table(root.has("store") ? "store" : "storage"))
        let readers = root.tableArray("gateways")
        var gateways: [GatewayConfiguration] = []
        for r in readers {
            let gateway = GatewayConfiguration(reading: r)
            if !gateway.origin.isEmpty, let j = gateways.firstIndex(where: { $0.origin == gateway.origin }) {
                r.error(
                    "origin", "duplicate gateway origin \(ConfigValue.quote(gateway.origin)) (also \(readers[j].path))")
            }
            gateways.append(gateway)
            let tokenNames = Set(http.tokens.map(\.name))
            for (i, client) in gateway.witnessClients.enumerated() where !client.contains("=") {
                if !tokenNames.contains(client) {
                    r.context.warn(
                        r.path(of: "witness_clients") + "[\(i)]",
                        "no [[http.tokens]] entry is named \(ConfigValue.quote(client)) (a certificate subject has "
                            + "the form CN=...)")
                }
            }
            if !http.allowAnonymous, gateway.witnessClients.isEmpty, !gateway.origin.isEmpty {
                r.warn(
                    "witness_clients",
                    "empty while http.allow_anonymous = false: no token or certificate may submit this gateway's "
                        + "checkpoints to the witness; list the gateway's [[http.tokens]] name or certificate subject")
            }
        }
        let anchor = AnchorConfiguration(reading: root.table("anchor"))
        let log = LogConfiguration(reading: root.table("log"))
        let metrics = MetricsConfiguration(reading: root.table("metrics"))
        root.finish()
        try context.check()
        self.init(
            witness: witness, http: http, storage: storage, gateways: gateways, anchor: anchor, log: log,
            metrics: metrics, mirror: mirror, warnings: context.warnings)
    }
}
