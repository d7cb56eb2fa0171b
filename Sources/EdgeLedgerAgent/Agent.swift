import EdgeLedgerConfig
import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerMQTT
import EdgeLedgerStore
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

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
    private let configPath: String?
    private let logger: Logger

    /// Opens the store, loads the keys and prepares the MQTT client. Nothing connects yet.
    public static func make(configuration: AgentConfiguration, configPath: String?, logger: Logger) throws -> Agent {
        let hasher = try OpenSSLHasher(configuration.identity.hash)
        try createParentDirectory(of: configuration.storage.path)
        let store = try LedgerStore(
            path: configuration.storage.path,
            durability: configuration.storage.durability == .power ? .power : .process,
            hasher: hasher, origin: configuration.identity.origin)
        let signers = try loadSigners(configuration)
        let sealer = Sealer(
            store: store, origin: configuration.identity.origin, hash: configuration.identity.hash, signers: signers,
            logger: Logger(label: "edge-ledger.sealer"))
        let pipeline = IngestPipeline(
            store: store,
            validator: ReadingValidator(topics: configuration.mqtt.topics, limits: configuration.ingest),
            logger: Logger(label: "edge-ledger.ingest"))
        let mqttLogger = Logger(label: "edge-ledger.mqtt")
        let broker = "\(configuration.mqtt.host):\(configuration.mqtt.port)"
        let client = try MQTTClient(
            options: mqttOptions(configuration.mqtt),
            onMessage: { pipeline.handle($0) },
            onState: { state in
                switch state {
                case .connected: mqttLogger.info("broker connected", metadata: ["broker": "\(broker)"])
                case .disconnected: mqttLogger.warning("broker \(state)", metadata: ["broker": "\(broker)"])
                case .connecting, .stopped: mqttLogger.info("broker \(state)", metadata: ["broker": "\(broker)"])
                }
            })
        if configuration.mqtt.topics.contains(where: { $0.qos == 2 }) {
            logger.notice(
                "QoS 2 topics are subscribed at QoS 1: with acknowledge-after-commit that loses nothing, and redeliveries are counted as duplicates"
            )
        }
        return Agent(
            configuration: configuration, store: store, pipeline: pipeline, client: client, sealer: sealer,
            configPath: configPath, logger: logger)
    }

    /// Runs until SIGTERM/SIGINT, then shuts down cleanly.
    public func run() async throws {
        logger.info(
            "edge-ledger starting",
            metadata: [
                "origin": "\(configuration.identity.origin)", "hash": "\(configuration.identity.hash.rawValue)",
                "store": "\(store.path)", "entries": "\(store.nextIndex)", "sealed": "\(store.sealedSize)",
                "broker": "\(configuration.mqtt.host):\(configuration.mqtt.port)",
            ])
        let sealerService = SealerService(
            sealer: sealer, interval: configuration.seal.interval, maxEntries: configuration.seal.maxEntries,
            logger: Logger(label: "edge-ledger.sealer"))
        let ingest = IngestService(client: client, pipeline: pipeline, logger: Logger(label: "edge-ledger.ingest"))
        let reloader = AgentReloader(
            configPath: configPath, current: configuration, pipeline: pipeline, client: client,
            logger: Logger(label: "edge-ledger.reload"))
        // Shutdown runs in reverse order: reloader, then ingest, then the sealer's final seal.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: sealerService), .init(service: ingest),
                    .init(service: reloader, successTerminationBehavior: .ignore),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        logger.info(
            "edge-ledger stopped", metadata: ["entries": "\(store.nextIndex)", "sealed": "\(store.sealedSize)"])
    }

    /// Creates the store's directory (mode 0750) on first start, like `mkdir -p`.
    static func createParentDirectory(of path: String) throws {
        var components = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        var prefix = path.hasPrefix("/") ? "" : "."
        if path.hasPrefix("/") { components = components.dropFirst() }
        for component in components where !component.isEmpty {
            prefix += "/" + component
            if mkdir(prefix, 0o750) != 0 && errno != EEXIST {
                throw AgentError(
                    "storage.path: cannot create the directory \(prefix): \(String(cString: strerror(errno)))",
                    hint: "create it, owned by the user the agent runs as")
            }
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
            reconnectInitial: mqtt.reconnect.initial.seconds, reconnectMax: mqtt.reconnect.max.seconds,
            subscriptions: mqtt.topics.map { MQTTSubscription(filter: $0.filter.text, qos: $0.qos) })
    }
}

extension Duration {
    /// The duration in (fractional) seconds.
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
