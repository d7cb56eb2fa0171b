import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerMQTT
import EdgeLedgerStore
import EdgeLedgerSystem
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// The running agent: the store, the ingest path and the sealer, wired from one configuration.
///
/// ``run()`` runs them in a `ServiceGroup`: SIGTERM or SIGINT stops ingest first (no new
/// readings; the one in progress is committed), then seals what is left and closes the store.
/// SIGHUP reloads what can change safely (see ``AgentReloader``).
public struct Agent: Sendable {
    public let configuration: AgentConfiguration
    public let store: LedgerStore
    public let pipeline: IngestPipeline
    public let client: MQTTClient
    public let sealer: Sealer
    public let metrics: AgentMetrics
    /// The HTTP API, when `http.enabled`.
    public let api: LedgerAPIService?
    /// Checkpoint push to the witnesses among `upstreams`.
    public let pusher: WitnessPusher
    /// Reports store damage found by a seal or the integrity check.
    public let damageReporter: StoreDamageReporter
    private let configPath: String?
    private let logger: Logger

    /// Opens the store, loads the keys and prepares the MQTT client. Nothing connects yet.
    ///
    /// - Parameter registry: where `/metrics` reads from; the caller bootstraps `MetricsSystem`
    ///   with a Prometheus factory over the same registry.
    public static func make(
        configuration: AgentConfiguration, configPath: String?, registry: PrometheusCollectorRegistry? = nil,
        logger: Logger
    ) throws -> Agent {
        let hasher = try OpenSSLHasher(configuration.identity.hash)
        try createParentDirectory(of: configuration.storage.path)
        let store = try LedgerStore(
            path: configuration.storage.path,
            durability: configuration.storage.durability == .power ? .power : .process,
            hasher: hasher, origin: configuration.identity.origin)
        let required = configuration.upstreams.filter(\.requiredForRetention).map(\.name)
        _ = try store.configureQuota(
            configuration.storage, requiredUpstreams: required,
            onDrop: RetentionService.quotaDropLogger(Logger(label: "edge-ledger.retention")))
        let signers = try loadSigners(configuration)
        let metrics = AgentMetrics(upstreams: configuration.upstreams.map(\.name))
        for upstream in configuration.upstreams {
            let acked = try store.upstream(named: upstream.name)?.ackedSize ?? 0
            metrics.recordUpstream(upstream.name, ackedSize: acked, sealedSize: store.sealedSize)
        }
        metrics.recordSizes(treeSize: store.nextIndex, sealedSize: store.sealedSize, bytesOnDisk: store.bytesOnDisk())
        let pushing = Set(configuration.upstreams.filter { $0.mode == .push }.map(\.name))
        let pusher = try WitnessPusher(
            store: store, upstreams: configuration.upstreams, logger: Logger(label: "edge-ledger.push"),
            onAttempt: { failed, state in
                metrics.recordPush(state.name, failed: failed, consecutiveFailures: state.consecutiveFailures)
                // A push upstream acknowledges with the mirror's cosignature, which the push itself
                // records (a pull upstream's acknowledgement comes with POST /ack, recorded there).
                if pushing.contains(state.name) {
                    metrics.recordUpstream(state.name, ackedSize: state.ackedSize, sealedSize: store.sealedSize)
                }
            })
        let damageReporter = try checkStoreAtStart(store, metrics: metrics)
        let sealer = Sealer(
            store: store, origin: configuration.identity.origin, hash: configuration.identity.hash, signers: signers,
            metrics: metrics, logger: Logger(label: "edge-ledger.sealer"), onSealed: { _ in pusher.nudge() },
            damageReporter: damageReporter)
        // One budget for every log line an outsider can trigger (rejected readings, wrong tokens).
        let logBudget = LogBudget(logger: Logger(label: "edge-ledger"))
        try configureRejectedTable(store, configuration.storage, logBudget: logBudget)
        try configureDeduplication(store, configuration, metrics: metrics, logBudget: logBudget)
        let sparkplug = SparkplugHost(
            configuration: configuration.sparkplug, metrics: metrics.sparkplug, logBudget: logBudget,
            logger: Logger(label: "edge-ledger.sparkplug"))
        let pipeline = try IngestPipeline(
            store: store,
            validator: ReadingValidator(topics: configuration.mqtt.topics, limits: configuration.ingest),
            metrics: metrics, sparkplug: sparkplug, logBudget: logBudget,
            deviceTimeMaxSkew: configuration.mqtt.deviceTimeMaxSkew, logger: Logger(label: "edge-ledger.ingest"))
        let brokerConnected = AtomicFlag()
        let mqttLogger = Logger(label: "edge-ledger.mqtt")
        let broker = "\(configuration.mqtt.host):\(configuration.mqtt.port)"
        for issue in ClientCertificateCheck.warnings(configuration) {
            logger.warning("client certificate: \(issue)")
        }
        let client = try MQTTClient(
            options: mqttOptions(configuration.mqtt),
            onMessage: { pipeline.handle($0) },
            onState: { state in
                brokerConnected.set(state.isConnected)
                metrics.mqttConnected.record(state.isConnected ? 1 : 0)
                switch state {
                case .connected: mqttLogger.info("broker connected", metadata: ["broker": "\(broker)"])
                case .disconnected, .retrying:
                    mqttLogger.warning("broker \(state)", metadata: ["broker": "\(broker)"])
                case .connecting, .stopped: mqttLogger.info("broker \(state)", metadata: ["broker": "\(broker)"])
                }
            },
            onWarning: { warning in mqttLogger.warning("\(warning)", metadata: ["broker": "\(broker)"]) })
        // Sparkplug NCMDs are QoS 0, as the specification has them: queued, never waited for.
        sparkplug.connect { topic, payload in client.publish(topic: topic, payload: payload, qos: 0) }
        if configuration.mqtt.topics.contains(where: { $0.qos == 2 }) {
            logger.notice(
                "QoS 2 topics: each reading is journaled before its PUBCOMP, but libmosquitto sends PUBREC before handing it over, so a crash within that broker round trip loses it (QoS 1 loses nothing; see OPERATIONS.md, MQTT 5)"
            )
        }
        let journalDamage = JournalDamageWatch(reader: store.reader, metrics: metrics)
        _ = journalDamage.warnings()
        var api: LedgerAPIService? = nil
        if configuration.http.enabled {
            api = try LedgerAPIService(
                http: configuration.http, metrics: configuration.metrics, upstreams: configuration.upstreams,
                storePath: store.path, hasher: hasher, acknowledger: store,
                status: LedgerAPIStatusClosure(refresh: { _ = journalDamage.warnings() }) {
                    var problems: [String] = []
                    if !brokerConnected.value { problems.append("MQTT broker not connected") }
                    if let problem = pipeline.storeProblem { problems.append("store not writable: \(problem)") }
                    if let damage = store.damage { problems.append(storeDamageProblem(damage)) }
                    var warnings = journalDamage.warnings()
                    if let deviceTime = pipeline.statistics.deviceTimeWarning(
                        maxSkew: configuration.mqtt.deviceTimeMaxSkew)
                    {
                        warnings.append(deviceTime)
                    }
                    let sparkplugTopics = configuration.mqtt.topics.contains { $0.format == .sparkplugB }
                    return LedgerReadiness(
                        problems: problems, warnings: warnings, brokerConnected: brokerConnected.value,
                        sparkplug: sparkplugTopics ? sparkplug.status : nil)
                },
                registry: registry, logger: Logger(label: "edge-ledger.http"), logBudget: logBudget,
                onAcknowledge: { state in
                    metrics.recordUpstream(state.name, ackedSize: state.ackedSize, sealedSize: store.sealedSize)
                })
        }
        return Agent(
            configuration: configuration, store: store, pipeline: pipeline, client: client, sealer: sealer,
            metrics: metrics, api: api, pusher: pusher, damageReporter: damageReporter, configPath: configPath,
            logger: logger)
    }

    /// Runs until SIGTERM/SIGINT, then shuts down cleanly.
    ///
    /// - Parameter notifier: systemd's notification socket (`READY=1`, `STATUS=`, `WATCHDOG=1`,
    ///   `STOPPING=1`); make it with `SystemdNotifier(unsetEnvironment: true)` first thing in the
    ///   process, before other threads or child processes exist.
    public func run(notifier: SystemdNotifier = .disabled) async throws {
        logger.info(
            "edge-ledger starting",
            metadata: [
                "origin": "\(configuration.identity.origin)", "hash": "\(configuration.identity.hash.rawValue)",
                "store": "\(store.path)", "entries": "\(store.nextIndex)", "sealed": "\(store.sealedSize)",
                "broker": "\(configuration.mqtt.host):\(configuration.mqtt.port)",
            ])
        let watchdog = SystemdProgressWatchdog(notifier: notifier, sources: ["ingest", "sealer"])
        let sealerService = SealerService(
            sealer: sealer, interval: configuration.seal.interval, maxEntries: configuration.seal.maxEntries,
            logger: Logger(label: "edge-ledger.sealer"), watchdog: watchdog)
        let ingest = IngestService(
            client: client, pipeline: pipeline, logger: Logger(label: "edge-ledger.ingest"), notifier: notifier,
            watchdog: watchdog)
        let reloader = AgentReloader(
            configPath: configPath, current: configuration, pipeline: pipeline, client: client,
            logger: Logger(label: "edge-ledger.reload"))
        // Shutdown runs in reverse order: reloader, ingest, then the sealer's final seal, then the
        // push of that last checkpoint and the API, which serve until the end.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let api { services.append(.init(service: api)) }
        services.append(.init(service: pusher, successTerminationBehavior: .ignore))
        if let integrityCheck = integrityCheckService() {
            services.append(.init(service: integrityCheck, successTerminationBehavior: .ignore))
        }
        services += [
            .init(
                service: RetentionService(
                    store: store, configuration: configuration, logger: Logger(label: "edge-ledger.retention")),
                successTerminationBehavior: .ignore),
            .init(service: sealerService), .init(service: ingest),
            .init(service: reloader, successTerminationBehavior: .ignore),
        ]
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        logger.info(
            "edge-ledger stopped", metadata: ["entries": "\(store.nextIndex)", "sealed": "\(store.sealedSize)"])
    }

    /// Creates the store's directory (mode 0750) on first start, like `mkdir -p`.
    static func createParentDirectory(of path: String) throws {
        if let (directory, reason) = FileSystem.createParents(of: path) {
            throw AgentError(
                "storage.path: cannot create the directory \(directory): \(reason)",
                hint: "create it, owned by the user the agent runs as")
        }
    }

    static func loadSigners(_ configuration: AgentConfiguration) throws -> [any NoteSigner] {
        var signers: [any NoteSigner] = []
        for (i, key) in configuration.keys.signing.enumerated() {
            let privateKey: PrivateKey
            do {
                privateKey = try KeyFile.load(path: key.path)
            } catch {
                throw AgentError("keys.signing[\(i)].path: \(error)")
            }
            guard privateKey.algorithm.rawValue == key.algorithm.rawValue else {
                throw AgentError(
                    "keys.signing[\(i)]: \(key.path) holds a \(privateKey.algorithm.rawValue) key, configured as \(key.algorithm.rawValue)",
                    hint: "fix keys.signing[\(i)].algorithm")
            }
            signers.append(NoteKeys.signer(for: privateKey, name: configuration.identity.origin))
        }
        return signers
    }

    static func mqttOptions(_ mqtt: MQTTConfiguration) -> MQTTClientOptions {
        MQTTClientOptions(
            host: mqtt.host, port: Int(mqtt.port), clientID: mqtt.clientID,
            protocolVersion: mqtt.protocolVersion == .v5 ? .v5 : .v311,
            keepalive: Int(mqtt.keepalive.components.seconds), username: mqtt.username, password: mqtt.password?.value,
            tls: mqtt.tls.map { MQTTClientOptions.TLS(caFile: $0.caFile, certFile: $0.certFile, keyFile: $0.keyFile) },
            cleanSession: mqtt.cleanSession,
            sessionExpiry: mqtt.sessionExpiry.map { UInt32(clamping: $0.components.seconds) } ?? UInt32.max,
            receiveMaximum: UInt16(clamping: mqtt.receiveMaximum),
            reconnectInitial: mqtt.reconnect.initial.secondsDouble, reconnectMax: mqtt.reconnect.max.secondsDouble,
            subscriptions: mqtt.topics.map { MQTTSubscription(filter: $0.filter.text, qos: $0.qos) })
    }
}

/// A boolean shared between threads (closures cannot capture an `Atomic` directly).
final class AtomicFlag: Sendable {
    private let storage = Atomic<Bool>(false)

    var value: Bool { storage.load(ordering: .relaxed) }

    func set(_ value: Bool) { storage.store(value, ordering: .relaxed) }
}
