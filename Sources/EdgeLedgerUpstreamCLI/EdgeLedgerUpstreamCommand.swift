import ArgumentParser
import EdgeLedgerSystem

/// `edge-ledger-upstream`: the upstream's executable (witness, collectors, anchoring). `run` is
/// the default subcommand, so `edge-ledger-upstream --config FILE` runs the node.
@main
struct EdgeLedgerUpstreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge-ledger-upstream",
        abstract: "Witness, collect, verify and anchor the logs of EdgeLedger gateways.",
        version: EdgeLedgerVersion.current,
        subcommands: [
            UpstreamRunCommand.self, UpstreamMigrateCommand.self, UpstreamGatewaysCommand.self,
            UpstreamVersionCommand.self,
        ],
        defaultSubcommand: UpstreamRunCommand.self
    )

    /// Tightens the umask (``FileCreationMask``), then parses and runs the command.
    static func main() async {
        FileCreationMask.tighten()
        await main(nil)
    }
}
