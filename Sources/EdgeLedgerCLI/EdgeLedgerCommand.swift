import ArgumentParser

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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

    /// The bits ``main()`` adds to the process umask: nothing this program creates (store,
    /// journal, quarantine, keys, configuration, exports) is readable by other users, also when
    /// started outside systemd (whose units set `UMask=0077`) from a shell with umask 022.
    static let umaskBits: mode_t = 0o027

    /// Tightens the umask, then parses and runs the command.
    static func main() async {
        let previous = umask(umaskBits)
        umask(previous | umaskBits)
        await main(nil)
    }
}
