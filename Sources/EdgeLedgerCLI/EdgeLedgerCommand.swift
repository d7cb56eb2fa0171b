import ArgumentParser

/// `edge-ledger`: the one executable. Each subcommand lives in its own file.
@main
struct EdgeLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge-ledger",
        abstract: "Records MQTT sensor readings in a verifiable, append-only log (RFC 6962 / C2SP tlog).",
        version: EdgeLedgerVersion.current,
        subcommands: [
            RunCommand.self, InitCommand.self, KeygenCommand.self, CheckConfigCommand.self, VerifyCommand.self,
            ExportCommand.self, StatusCommand.self, UpstreamCommand.self, SimulateCommand.self, VersionCommand.self,
        ]
    )
}
