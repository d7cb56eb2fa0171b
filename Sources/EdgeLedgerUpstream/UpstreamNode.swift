import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerSystem
import Logging
import Prometheus
import ServiceLifecycle

/// The reference upstream node, `edge-ledger-upstream --config upstream.toml`: the witness HTTP
/// server, one collector per gateway and the anchoring hook, run as one `ServiceGroup` that
/// stops cleanly on SIGTERM or SIGINT (in-flight requests finish, an interrupted catch-up
/// resumes at the next start, queued anchoring jobs stay queued).
public struct UpstreamNode: Sendable {
    /// The configuration.
    public let configuration: UpstreamConfiguration
    /// The store.
    public let store: CollectorStore
    /// The witness.
    public let witness: Witness
    /// The mirror (`[mirror]` configured: gateways may push), or `nil`.
    public let mirror: Mirror?
    /// Runs this instance's share of the collectors (enrolled gateways, leases).
    public let supervisor: CollectorSupervisor
    /// The anchoring hook.
    public let anchorer: Anchorer
    /// The HTTP server.
    public let server: WitnessService
    /// The node's metrics (collection, witnessing, anchoring).
    public let metrics: UpstreamMetrics
    /// The registry `<prefix>/metrics` prints (when `metrics.enabled`).
    public let registry: PrometheusCollectorRegistry
    /// What `<prefix>/readyz` answers: the store answers reads.
    public let readiness: UpstreamReadiness
    /// Serves the collected logs as tlog-tiles under `http.monitoring_prefix`.
    public let logs: CollectedLogServer
    private let logger: Logger

    /// Opens the store, loads the witness key and prepares every service. Nothing listens yet.
    ///
    /// - Parameters:
    ///   - registry: where the node's metrics go and what `<prefix>/metrics` prints; a new one
    ///     when `nil`. The node records into it directly, without `MetricsSystem.bootstrap`.
    ///   - probeInterval: how often ``readiness`` reads the store.
    ///   - onStoreProbe: told the result of each of those reads (e.g. the systemd watchdog).
    ///   - onServerRunning: called with the bound port once the witness listens.
    /// - Throws: ``UpstreamError`` naming the configuration key that is unusable, or the store's
    ///   error.
    public static func make(
        configuration: UpstreamConfiguration, logger: Logger = Logger(label: "edge-ledger.upstream"),
        registry: PrometheusCollectorRegistry? = nil, probeInterval: Duration = UpstreamReadiness.defaultInterval,
        onStoreProbe: (@Sendable (Result<[CollectorGatewayState], any Error>) -> Void)? = nil,
        onServerRunning: (@Sendable (Int) async -> Void)? = nil
    ) throws -> UpstreamNode {
        let store = try openStore(configuration.storage)
        let cosigner = try loadCosigner(configuration)
        var logs: [WitnessedLog] = []
        for gateway in configuration.gateways {
            do {
                logs.append(try WitnessedLog(gateway: gateway))
            } catch {
                throw UpstreamError("gateways \(gateway.origin): verifier_keys: \(error)")
            }
        }
        let witness = Witness(cosigner: cosigner, logs: logs, store: store)
        let witnessVerifier: any NoteVerifier
        do {
            witnessVerifier = try CosignatureV1Verifier(verifierKey: cosigner.verifierKey)
        } catch {
            throw UpstreamError("witness.key_file: \(error)")
        }
        let registry = registry ?? PrometheusCollectorRegistry()
        let metrics = UpstreamMetrics(
            gateways: configuration.gateways.map(\.origin),
            witnessOutcomes: WitnessResponse.Outcome.allCases.map(\.rawValue),
            mirrorOutcomes: configuration.mirror == nil ? [] : MirrorResponse.Outcome.allCases.map(\.rawValue),
            factory: PrometheusMetricsFactory(registry: registry))
        let instanceID = configuration.storage.instanceID ?? defaultInstanceID()
        let anchorer = Anchorer(
            configuration: configuration.anchor, store: store, logger: Logger(label: "edge-ledger.anchor"),
            metrics: metrics, instanceID: instanceID)
        let anchoring = configuration.anchor.isEnabled
        let collectorMemory = CollectorMemoryBudget(
            capacity: configuration.storage.collectorMemory, gauge: metrics.collectorMemory)
        let supervisor = CollectorSupervisor(
            instanceID: instanceID, store: store, witness: witness, configuration: configuration, metrics: metrics
        ) { gateway, _ in
            try GatewayCollector(
                gateway: gateway, store: store, anchoring: anchoring, cosigners: [witnessVerifier],
                memory: collectorMemory, logger: Logger(label: "edge-ledger.collector"),
                onVerified: { _ in anchorer.nudge() },
                metrics: metrics)
        }
        let endpoint =
            configuration.metrics.enabled
            ? WitnessAPI.MetricsEndpoint(
                registry: registry,
                authenticator: WitnessAuthenticator(
                    allowAnonymous: configuration.metrics.allowAnonymous, tokens: configuration.http.tokens))
            : nil
        let readiness = UpstreamReadiness(store: store, interval: probeInterval, onProbe: onStoreProbe)
        let mirror = try configuration.mirror.map { mirrorConfiguration in
            Mirror(
                cosigner: try loadMirrorCosigner(mirrorConfiguration, witness: cosigner), witness: witness,
                store: store,
                anchoring: anchoring, cosigners: [witnessVerifier], onVerified: { _ in anchorer.nudge() })
        }
        let mirrorEndpoint = mirror.map { mirror in
            MirrorAPI.Endpoint(mirror: mirror, http: configuration.http) { endpoint, result in
                metrics.recordMirror(
                    endpoint: endpoint, outcome: result.outcome.rawValue, storedEntries: result.storedEntries,
                    refusal: result.refusal, phases: result.phases)
                if result.outcome == .forked, let origin = result.origin {
                    metrics.recordFork(gateway: origin, new: result.forkDetected)
                }
                if let size = result.committedSize, let origin = result.origin {
                    metrics.recordMirrorCommit(gateway: origin, size: size)
                }
            }
        }
        // The served checkpoints carry the mirror's cosignature (tlog-mirror) when it has a key.
        let served = CollectedLogServer(
            store: store, directory: configuration.storage.tilesDirectory, cosigner: mirror?.cosigner,
            metrics: LogServingMetrics(factory: PrometheusMetricsFactory(registry: registry)),
            maxConcurrentBuilds: max(2, 2 * configuration.storage.connections),
            logger: Logger(label: "edge-ledger.logs"))
        let server: WitnessService
        do {
            server = try WitnessService(
                witness: witness, http: configuration.http, metrics: endpoint, status: readiness,
                onResult: { result in
                    metrics.recordWitness(
                        outcome: result.outcome.rawValue, origin: result.origin, cosigned: result.outcome == .cosigned)
                    if result.outcome == .forked, let origin = result.origin {
                        metrics.recordFork(gateway: origin, new: result.forkDetected)
                    }
                },
                metricsFactory: PrometheusMetricsFactory(registry: registry),
                admin: AdminAPI.Endpoint(store: store, http: configuration.http), logs: served, mirror: mirrorEndpoint,
                logger: Logger(label: "edge-ledger.witness"), onServerRunning: onServerRunning)
        } catch {
            throw UpstreamError("http: \(error)")
        }
        return UpstreamNode(
            configuration: configuration, store: store, witness: witness, mirror: mirror, supervisor: supervisor,
            anchorer: anchorer, server: server, metrics: metrics, registry: registry, readiness: readiness,
            logs: served,
            logger: logger)
    }

    /// The verifier key of the witness's cosignatures (`name+keyid+base64(0x04 || key)`): what
    /// gateways configure as `upstreams[].verifier_key`.
    public static func witnessVerifierKey(configuration: UpstreamConfiguration) throws -> VerifierKey {
        try loadCosigner(configuration).verifierKey
    }

    /// The verifier key of the mirror's cosignatures (what pushing gateways configure as
    /// `upstreams[].mirror_key`), or `nil` without `[mirror]`.
    public static func mirrorVerifierKey(configuration: UpstreamConfiguration) throws -> VerifierKey? {
        guard let mirror = configuration.mirror else { return nil }
        return try loadMirrorCosigner(mirror, witness: loadCosigner(configuration)).verifierKey
    }

    static func loadCosigner(_ configuration: UpstreamConfiguration) throws -> CosignatureV1Signer {
        do {
            let key = try KeyFile.load(path: configuration.witness.keyFile)
            return try CosignatureV1Signer(name: configuration.witness.name, privateKey: key)
        } catch {
            throw UpstreamError("witness.key_file: \(error)")
        }
    }

    /// The mirror's cosigner from `[mirror]`: its key must differ from the witness's (C2SP
    /// tlog-mirror: the mirror is a distinct cosigner).
    static func loadMirrorCosigner(
        _ mirror: MirrorConfiguration, witness: CosignatureV1Signer
    ) throws -> CosignatureV1Signer {
        let signer: CosignatureV1Signer
        do {
            signer = try CosignatureV1Signer(name: mirror.name, privateKey: try KeyFile.load(path: mirror.keyFile))
        } catch {
            throw UpstreamError("mirror.key_file: \(error)")
        }
        guard signer.verifierKey.keyBytes != witness.verifierKey.keyBytes else {
            throw UpstreamError(
                "mirror.key_file: the mirror's key is the witness's key",
                hint: "the mirror must be a distinct cosigner: make a key with `edge-ledger keygen --alg ed25519`")
        }
        return signer
    }

    /// Runs until SIGTERM or SIGINT (or cancellation), then shuts down cleanly.
    ///
    /// - Parameter onShutdown: called once when the shutdown starts, before any service stops
    ///   (e.g. to send systemd `STOPPING=1`); not called when `run` ends by cancellation alone.
    public func run(onShutdown: (@Sendable () -> Void)? = nil) async throws {
        logger.info(
            "edge-ledger-upstream starting",
            metadata: [
                "witness": "\(witness.name)", "verifier_key": "\(witness.verifierKey.string)",
                "instance": "\(supervisor.instanceID)", "store": "\(store.engine.rawValue):\(store.location)",
                "anchoring": "\(configuration.anchor.isEnabled)",
                "mirror": "\(mirror.map { "\($0.name) \($0.verifierKey.string)" } ?? "off")",
            ])
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: readiness), .init(service: server),
        ]
        services.append(.init(service: supervisor))
        if configuration.anchor.isEnabled { services.append(.init(service: anchorer)) }
        if let onShutdown {
            // Last in the list, first to be told.
            services.append(
                .init(service: ShutdownAnnouncer(announce: onShutdown), successTerminationBehavior: .ignore))
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.info("edge-ledger-upstream stopped")
    }

    /// Opens the configured store: the PostgreSQL database at `storage.url`, or the SQLite file at
    /// `storage.path` (its directory created on first start; `run` always brings its schema up
    /// to date, as the embedded default has one instance).
    ///
    /// - Parameter migrate: bring the schema up to date (`edge-ledger-upstream migrate`; `nil`:
    ///   SQLite yes, PostgreSQL no — a PostgreSQL schema that is behind is refused with the
    ///   command to run).
    public static func openStore(
        _ storage: UpstreamStorageConfiguration, migrate: Bool? = nil
    ) throws
        -> CollectorStore
    {
        if let url = storage.url {
            return try CollectorStore(
                postgresURL: url.value, connections: storage.connections, migrate: migrate ?? false)
        }
        try createParentDirectory(of: storage.path)
        return try CollectorStore(
            path: storage.path, durability: storage.durability == .power ? .power : .process, migrate: migrate ?? true)
    }

    /// `<hostname>-<pid>`: this instance's default name in leases and claims.
    static func defaultInstanceID() -> String {
        var name = [CChar](repeating: 0, count: 256)
        let ok = name.withUnsafeMutableBufferPointer { gethostname($0.baseAddress!, 255) } == 0
        let host =
            ok ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "upstream"
        return "\(host)-\(getpid())"
    }

    /// Creates the store's directory (mode 0750) on first start, like `mkdir -p`.
    static func createParentDirectory(of path: String) throws {
        if let (directory, reason) = FileSystem.createParents(of: path) {
            throw UpstreamError(
                "storage.path: cannot create the directory \(directory): \(reason)")
        }
    }
}
