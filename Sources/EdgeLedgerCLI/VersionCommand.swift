import ArgumentParser
import CMosquitto
import COpenSSL
import CSQLite
import EdgeLedgerSystem

/// `edge-ledger version`: this program's version and the versions of what it runs on.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the version of edge-ledger and of the libraries it uses.",
        discussion: """
            The first line is `edge-ledger VERSION`; the following lines name the Swift compiler \
            it was built with and the OpenSSL, SQLite and libmosquitto libraries loaded at run \
            time (which may differ from the ones it was built against).
            """
    )

    func run() async throws {
        try await CLI.run {
            try CLIOutput.stdout(Self.lines().joined(separator: "\n"))
        }
    }

    static func lines() -> [String] {
        var major: Int32 = 0
        var minor: Int32 = 0
        var revision: Int32 = 0
        _ = mosquitto_lib_version(&major, &minor, &revision)
        return [
            "edge-ledger \(EdgeLedgerVersion.current)",
            "  swift:        \(EdgeLedgerVersion.swiftCompiler)",
            "  openssl:      \(String(cString: OpenSSL_version(Int32(OPENSSL_VERSION))))",
            "  sqlite:       \(String(cString: sqlite3_libversion()))",
            "  libmosquitto: \(major).\(minor).\(revision)",
            "  platform:     \(EdgeLedgerVersion.platform())",
        ]
    }
}
