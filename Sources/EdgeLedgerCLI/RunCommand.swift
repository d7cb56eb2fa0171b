import ArgumentParser
import EdgeLedgerCore
import EdgeLedgerGateway
import EdgeLedgerSystem
import Logging
import Metrics
import Prometheus

/// `edge-ledger run`: the agent.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the agent: ingest readings from MQTT, append them to the ledger, seal checkpoints.",
        discussion: """
            Stops cleanly on SIGTERM or SIGINT (ingest stops, a final checkpoint is sealed, exit 0).
            SIGHUP reloads topics, ingest limits and the log level from the same file.
            """)

    @Option(name: .shortAndLong, help: "The configuration file.")
    var config: String = "/etc/edge-ledger/edge-ledger.toml"

    @Option(help: "Override log.level (trace, debug, info, notice, warning, error, critical).")
    var logLevel: String?

    func run() async throws {
        // First, before anything could start a thread or a child process: take systemd's
        // NOTIFY_SOCKET / WATCHDOG_* and remove them from the environment (unsetenv is not
        // thread-safe, and children must not inherit them).
        let notifier = SystemdNotifier(unsetEnvironment: true)
        let configuration: AgentConfiguration
        do {
            configuration = try ConfigLoader.load(path: config)
        } catch {
            CLIOutput.stderr("edge-ledger: invalid configuration \(config):\n\(error)")
            throw ExitCode(78)  // EX_CONFIG: systemd will not restart-loop on it
        }
        let logger = EdgeLedgerLogHandler.bootstrap(
            configuration.log, levelOverride: logLevel, label: "edge-ledger", warnings: configuration.warnings)
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = AgentMetrics.durationHistogramBuckets
        MetricsSystem.bootstrap(factory)
        let agent: Agent
        do {
            agent = try Agent.make(configuration: configuration, configPath: config, registry: registry, logger: logger)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
        if let problem = notifier.addressProblem {
            logger.warning("systemd notifications are off: \(problem)")
        }
        try await agent.run(notifier: notifier)
    }
}
