import ArgumentParser
import EdgeLedgerSystem

/// `edge-ledger`: the gateway's executable. Each subcommand lives in its own file; the upstream
/// is `edge-ledger-upstream`, a separate executable.
@main
struct EdgeLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge-ledger",
        abstract: "Records MQTT sensor readings in a verifiable, append-only log (RFC 6962 / C2SP tlog).",
        version: EdgeLedgerVersion.current,
        subcommands: [
            RunCommand.self, InitCommand.self, KeygenCommand.self, CheckConfigCommand.self, VerifyCommand.self,
            ExportCommand.self, StatusCommand.self, SimulateCommand.self, EnrollCommand.self, VersionCommand.self,
            UpstreamMovedCommand.self,
        ]
    )

    /// Tightens the umask (``FileCreationMask``), then parses and runs the command.
    static func main() async {
        FileCreationMask.tighten()
        await main(nil)
    }
}
