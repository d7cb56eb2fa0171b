import EdgeLedgerMQTT
import Logging
import ServiceLifecycle

/// Runs the MQTT client that feeds ``IngestPipeline``, and commits grouped QoS 0 readings on a
/// short tick. On graceful shutdown it stops taking readings (the reading in progress is
/// committed and acknowledged), disconnects, and commits what is buffered.
public struct IngestService: Service {
    private let client: MQTTClient
    private let pipeline: IngestPipeline
    private let logger: Logger
    /// Upper bound on how long a QoS 0 reading waits in the group buffer.
    public static let groupCommitInterval: Duration = .milliseconds(50)

    public init(client: MQTTClient, pipeline: IngestPipeline, logger: Logger) {
        self.client = client
        self.pipeline = pipeline
        self.logger = logger
    }

    public func run() async throws {
        try client.start()
        while !Task.isShuttingDownGracefully {
            do {
                try await Task.sleep(for: Self.groupCommitInterval)
            } catch {
                break
            }
            pipeline.flush()
        }
        client.stop()
        pipeline.flush()
        logger.info(
            "ingest stopped",
            metadata: [
                "received": "\(pipeline.statistics.received.load(ordering: .relaxed))",
                "stored": "\(pipeline.statistics.stored.load(ordering: .relaxed))",
                "rejected": "\(pipeline.statistics.rejectedTotal)",
            ])
    }
}
