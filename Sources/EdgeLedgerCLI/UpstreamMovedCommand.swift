import ArgumentParser

/// `edge-ledger-upstream`: the upstream became its own executable, `edge-ledger-upstream`; this
/// hidden command says so (exit status 64) instead of "unknown subcommand", for operators
/// upgrading scripts and units.
struct UpstreamMovedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upstream", abstract: "Moved to the edge-ledger-upstream executable.", shouldDisplay: false)

    @Argument(parsing: .allUnrecognized) var arguments: [String] = []

    func run() throws {
        throw ValidationError(
            "the upstream is now its own executable: run `edge-ledger-upstream run` with the same options")
    }
}
