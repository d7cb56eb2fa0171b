import ArgumentParser
import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerSystem

/// `edge-ledger enroll`: what an upstream needs to collect this gateway, as the `[[gateways]]`
/// entry `edge-ledger-upstream gateways add --from FILE` takes (or a fleet operator pastes).
struct EnrollCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Print the [[gateways]] entry an upstream enrolls this gateway with.",
        discussion: """
            Reads the agent's configuration and signing keys (public halves only: nothing secret is \
            printed) and prints the gateway's origin, hash and verifier keys, with the URL the upstream \
            pulls from (--url), or `mode = "push"` for a gateway that pushes its log (--mode push; the \
            default without --url when the configuration has an upstream with mode = "push"). Hand the \
            output to the fleet operator, who runs \
            `edge-ledger-upstream gateways add --from FILE` (add --witness-client for the name of the \
            token or the certificate subject this gateway pushes its checkpoints with).
            """)

    @Option(name: .shortAndLong, help: "The agent configuration file.")
    var config: String = AgentConfiguration.defaultPath

    @Option(help: "The URL the upstream reaches this gateway's API at, e.g. https://gw-1.plant:8443 (pull mode).")
    var url: String?

    @Option(help: "pull (the upstream pulls from --url) or push (this gateway pushes its log to the upstream).")
    var mode: String?

    @Option(name: .customLong("witness-client"), help: "Token name or certificate subject this gateway pushes with.")
    var witnessClients: [String] = []

    @Option(help: "Write the entry to this file instead of standard output.")
    var output: String?

    func run() throws {
        let configuration: AgentConfiguration
        do {
            configuration = try ConfigLoader.load(path: config)
        } catch {
            StandardError.line("edge-ledger: invalid configuration \(config):\n\(error)")
            throw ExitCode(78)
        }
        var problems: [String] = []
        let keys = CheckConfigCommand.checkKeys(configuration, problems: &problems).map(\.1.string)
        guard problems.isEmpty else {
            StandardError.line("edge-ledger: " + problems.joined(separator: "\nedge-ledger: "))
            throw ExitCode(1)
        }
        let pushes = configuration.upstreams.contains { $0.mode == .push }
        guard let mode = mode.map(GatewayConfiguration.Mode.init(rawValue:)) ?? (url == nil && pushes ? .push : .pull)
        else {
            StandardError.line("edge-ledger: --mode must be pull or push")
            throw ExitCode(64)
        }
        guard mode == .push || url != nil else {
            StandardError.line(
                "edge-ledger: --url is required: the URL the upstream pulls this gateway from (or --mode push for a "
                    + "gateway that pushes its log)")
            throw ExitCode(64)
        }
        let gateway = GatewayConfiguration(
            origin: configuration.identity.origin, url: url ?? "", verifierKeys: keys,
            hash: configuration.identity.hash, witnessClients: witnessClients, mode: mode)
        var text =
            "# Enrollment of \(configuration.identity.origin) (edge-ledger enroll, \(EdgeLedgerVersion.current)).\n"
        text += "# On the upstream: edge-ledger-upstream gateways add --from THIS_FILE\n"
        text += "[[gateways]]\n" + gateway.toml
        if let output {
            do {
                try CLIFiles.writeNewFile(output, text: text, mode: 0o644)
            } catch {
                StandardError.line("edge-ledger: cannot write \(output): \(error)")
                throw ExitCode(1)
            }
            print("wrote the enrollment of \(configuration.identity.origin) to \(output)")
        } else {
            print(text, terminator: "")
        }
    }
}
