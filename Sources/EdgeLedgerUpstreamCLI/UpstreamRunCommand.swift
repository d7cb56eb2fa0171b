import ArgumentParser
import EdgeLedgerCore
import EdgeLedgerSystem
import EdgeLedgerUpstream
import Logging

/// `edge-ledger-upstream run`: the reference upstream node (witness, collector, anchoring).
struct UpstreamRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the reference upstream node: witness, collect and anchor gateway logs.",
        discussion: """
            Cosigns gateway checkpoints (C2SP tlog-witness POST <prefix>/add-checkpoint), pulls every
            gateway's entries and hash tiles (C2SP tlog-tiles), recomputes and checks the root against
            the signed checkpoint, stores entries and checkpoints, acknowledges them to the gateway
            (POST /ack), and runs the anchoring command once per verified checkpoint.
            Stops cleanly on SIGTERM or SIGINT; an interrupted catch-up resumes at the next start.
            The witness's cosignature verifier key is logged at start: give it to gateways as
            upstreams[].verifier_key. When the witness and the collector see two histories of one
            origin, both signed checkpoints are kept as fork evidence; --print-forks prints them
            (exit status 3 when there is any). See docs/UPSTREAM.md.
            """)

    @Option(name: .shortAndLong, help: "The upstream configuration file.")
    var config: String = "/etc/edge-ledger/upstream.toml"

    @Option(help: "Override log.level (trace, debug, info, notice, warning, error, critical).")
    var logLevel: String?

    @Flag(help: "Print the witness's cosignature verifier key and exit.")
    var printVerifierKey = false

    @Flag(help: "Print the mirror's cosignature verifier key ([mirror]; gateways' upstreams.mirror_key) and exit.")
    var printMirrorKey = false

    @Flag(help: "Print the fork evidence in the store and exit (status 3 when there is any).")
    var printForks = false

    func run() async throws {
        // First, before anything could start a thread or a child process (the anchoring command):
        // take systemd's NOTIFY_SOCKET / WATCHDOG_* and remove them from the environment.
        let notifier = SystemdNotifier(unsetEnvironment: true)
        let configuration: UpstreamConfiguration
        do {
            configuration = try ConfigLoader.loadUpstream(path: config)
        } catch {
            StandardError.line("edge-ledger-upstream: invalid configuration \(config):\n\(error)")
            throw ExitCode(78)  // EX_CONFIG: systemd will not restart-loop on it
        }
        let logger = EdgeLedgerLogHandler.bootstrap(
            configuration.log, levelOverride: logLevel, label: "edge-ledger.upstream", warnings: configuration.warnings)
        if printVerifierKey {
            do {
                print(try UpstreamNode.witnessVerifierKey(configuration: configuration).string)
            } catch {
                StandardError.line("edge-ledger-upstream: \(error)")
                throw ExitCode(1)
            }
            return
        }
        if printMirrorKey {
            do {
                guard let key = try UpstreamNode.mirrorVerifierKey(configuration: configuration) else {
                    StandardError.line("edge-ledger-upstream: no [mirror] in \(config): this upstream takes no pushes")
                    throw ExitCode(1)
                }
                print(key.string)
            } catch let exit as ExitCode {
                throw exit
            } catch {
                StandardError.line("edge-ledger-upstream: \(error)")
                throw ExitCode(1)
            }
            return
        }
        if printForks {
            try await UpstreamForkReport.print(storage: configuration.storage)
            return
        }
        if let problem = notifier.addressProblem {
            logger.warning("systemd notifications are off: \(problem)")
        }
        let reporter = UpstreamSystemdReporter(notifier: notifier)
        let gateways = configuration.gateways.count
        let node: UpstreamNode
        do {
            // READY=1 once the store is open (make) and the witness listens (onServerRunning);
            // WATCHDOG=1 and STATUS= from the readiness probe's reads of the store.
            node = try UpstreamNode.make(
                configuration: configuration, logger: logger, probeInterval: reporter.probeInterval,
                onStoreProbe: { reporter.storeProbed($0) },
                onServerRunning: { port in reporter.serverRunning(port: port, gateways: gateways) })
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
        try await node.run(onShutdown: { reporter.shuttingDown() })
    }
}
