import EdgeLedgerMQTT
import EdgeLedgerSystem
import Logging
import ServiceLifecycle

/// Runs the MQTT client that feeds ``IngestPipeline``, and reports ingest progress to the systemd
/// watchdog. On graceful shutdown it stops taking readings (the reading in progress is
/// journaled and acknowledged), disconnects, and folds everything into the store.
public struct IngestService: Service {
    private let client: MQTTClient
    private let pipeline: IngestPipeline
    private let logger: Logger
    private let notifier: SystemdNotifier
    private let watchdog: SystemdProgressWatchdog?
    /// How often progress is checked for the watchdog.
    public static let tick: Duration = .milliseconds(100)

    /// - Parameters:
    ///   - notifier: told READY=1 once the client runs (connected or retrying), STOPPING=1 on shutdown.
    ///   - watchdog: each tick reports progress only while the journal's folder is alive (nothing
    ///     waiting, or a fold attempted since the last tick), so a store hung in I/O stops the
    ///     pings while a full disk (retried every ≤ 2 s) does not.
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
        var folds = pipeline.journal.foldAttempts
        while !Task.isShuttingDownGracefully {
            do {
                try await Task.sleep(for: Self.tick)
            } catch {
                break
            }
            let now = pipeline.journal.foldAttempts
            if now != folds || pipeline.journal.backlog == 0 { watchdog?.progress("ingest") }
            folds = now
        }
        _ = notifier.stopping(status: "stopping: sealing the last readings")
        client.stop()
        pipeline.close()
        logger.info(
            "ingest stopped",
            metadata: [
                "received": "\(pipeline.statistics.received.load(ordering: .relaxed))",
                "stored": "\(pipeline.statistics.stored.load(ordering: .relaxed))",
                "rejected": "\(pipeline.statistics.rejectedTotal)",
            ])
    }
}
