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
    private let notifier: SystemdNotifier
    private let watchdog: SystemdProgressWatchdog?
    /// Upper bound on how long a QoS 0 reading waits in the group buffer.
    public static let groupCommitInterval: Duration = .milliseconds(50)

    /// - Parameters:
    ///   - notifier: told READY=1 once the client runs (connected or retrying), STOPPING=1 on shutdown.
    ///   - watchdog: each tick reports progress only after the group commit went through the
    ///     store's lock, so a hung commit stops the systemd watchdog pings.
    public init(
        client: MQTTClient, pipeline: IngestPipeline, logger: Logger, notifier: SystemdNotifier = .disabled,
        watchdog: SystemdProgressWatchdog? = nil
    ) {
        self.client = client
        self.pipeline = pipeline
        self.logger = logger
        self.notifier = notifier
        self.watchdog = watchdog
    }

    public func run() async throws {
        try client.start()
        _ = notifier.ready(status: "ingesting")
        while !Task.isShuttingDownGracefully {
            do {
                try await Task.sleep(for: Self.groupCommitInterval)
            } catch {
                break
            }
            pipeline.flush()
            watchdog?.progress("ingest")
        }
        _ = notifier.stopping(status: "stopping: sealing the last readings")
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
