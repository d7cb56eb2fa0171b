import ArgumentParser
import CSQLite
import EdgeLedgerSystem

/// `edge-ledger-upstream version`: this program's version and what it runs on.
struct UpstreamVersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print the version of edge-ledger-upstream and of its libraries.")

    func run() throws {
        print(
            [
                "edge-ledger-upstream \(EdgeLedgerVersion.current)",
                "  swift:        \(EdgeLedgerVersion.swiftCompiler)",
                "  sqlite:       \(String(cString: sqlite3_libversion()))",
                "  platform:     \(EdgeLedgerVersion.platform())",
            ].joined(separator: "\n"))
    }
}
