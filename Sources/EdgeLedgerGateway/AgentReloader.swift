import EdgeLedgerCore
import EdgeLedgerMQTT
import EdgeLedgerSystem
import Logging
import ServiceLifecycle
import UnixSignals

/// Applies a new configuration on SIGHUP: topics (re-subscribes), ingest limits and the log level
/// change at once; anything else that changed is named in a warning as needing a restart. A
/// configuration that does not validate is refused and the running one stays.
public struct AgentReloader: Service {
    private let configPath: String?
    private let current: AgentConfiguration
    private let pipeline: IngestPipeline
    private let client: MQTTClient
    private let logger: Logger

    public init(
        configPath: String?, current: AgentConfiguration, pipeline: IngestPipeline, client: MQTTClient, logger: Logger
    ) {
        self.configPath = configPath
        self.current = current
        self.pipeline = pipeline
        self.client = client
        self.logger = logger
    }

    public func run() async throws {
        guard let configPath else { return }
        let signals = await UnixSignalsSequence(trapping: .sighup)
        let initial = current
        await cancelWhenGracefulShutdown {
            var running = initial
            for await _ in signals {
                running = reload(from: configPath, running: running)
            }
        }
    }

    /// Loads `path` and applies what can change live; returns the configuration now in force.
    func reload(from path: String, running: AgentConfiguration) -> AgentConfiguration {
        let new: AgentConfiguration
        do {
            new = try ConfigLoader.load(path: path)
        } catch {
            logger.error("reload refused: the configuration does not validate; keeping the running one\n\(error)")
            return running
        }
        var applied = running
        applied.mqtt.topics = new.mqtt.topics
        applied.mqtt.deviceTimeMaxSkew = new.mqtt.deviceTimeMaxSkew
        applied.ingest = new.ingest
        applied.log.level = new.log.level
        applied.sparkplug = new.sparkplug
        pipeline.update(
            validator: ReadingValidator(topics: new.mqtt.topics, limits: new.ingest),
            deviceTimeMaxSkew: new.mqtt.deviceTimeMaxSkew)
        pipeline.sparkplug?.update(configuration: new.sparkplug)
        client.update(subscriptions: new.mqtt.topics.map { MQTTSubscription(filter: $0.filter.text, qos: $0.qos) })
        EdgeLedgerLogHandler.sharedLevel.withLock { $0 = Logger.Level(rawValue: new.log.level.rawValue) ?? .info }
        var needRestart: [String] = []
        if new.identity != running.identity { needRestart.append("identity") }
        if new.keys != running.keys { needRestart.append("keys") }
        if new.storage != running.storage { needRestart.append("storage") }
        if new.seal != running.seal { needRestart.append("seal") }
        if new.http != running.http { needRestart.append("http") }
        if new.upstreams != running.upstreams { needRestart.append("upstreams") }
        if new.log.format != running.log.format { needRestart.append("log.format") }
        if new.mqtt.topics.map(\.dedup) != running.mqtt.topics.map(\.dedup)
            || new.ingest.dedupMaxKeys != running.ingest.dedupMaxKeys
        {
            needRestart.append("deduplication (mqtt.topics dedup, ingest.dedup_max_keys)")
        }
        var mqttRest = new.mqtt
        mqttRest.topics = running.mqtt.topics
        mqttRest.deviceTimeMaxSkew = running.mqtt.deviceTimeMaxSkew
        if mqttRest != running.mqtt { needRestart.append("mqtt (connection settings)") }
        logger.notice(
            "configuration reloaded: topics, ingest limits, device time skew bound and log level applied",
            metadata: ["topics": "\(new.mqtt.topics.map(\.filter.text))", "log_level": "\(new.log.level.rawValue)"])
        if !needRestart.isEmpty {
            logger.warning(
                "changed settings that need a restart to take effect: \(needRestart.joined(separator: ", "))")
        }
        return applied
    }
}
