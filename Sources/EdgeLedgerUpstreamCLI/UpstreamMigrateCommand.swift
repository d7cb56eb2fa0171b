import ArgumentParser
import EdgeLedgerCore
import EdgeLedgerSystem
import EdgeLedgerUpstream

/// `edge-ledger-upstream migrate`: brings the store's schema to this build's version.
struct UpstreamMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the upstream store's schema.",
        discussion: """
            PostgreSQL (storage.url): applies the versioned migrations this build has and the database \
            lacks, each in its own transaction, under an advisory lock (instances running migrate at once \
            wait for each other). `run` refuses a database whose schema is behind. SQLite (storage.path) \
            is migrated by `run` itself; migrate does it without starting the node. With --check, only \
            reports the versions (exit status 1 when the schema is behind).
            """)

    @Option(name: .shortAndLong, help: "The upstream configuration file.")
    var config: String = "/etc/edge-ledger/upstream.toml"

    @Flag(help: "Report the schema versions without changing anything.")
    var check = false

    func run() async throws {
        let configuration = try UpstreamCLI.loadConfiguration(config)
        let store: CollectorStore
        do {
            store = try UpstreamCLI.openStore(configuration.storage, migrate: !check)
        } catch {
            StandardError.line("edge-ledger-upstream: \(error)")
            throw ExitCode(1)
        }
        let (current, latest) = try await store.schemaVersions()
        await store.close()
        print("\(store.engine.rawValue) \(store.location): schema version \(current) (this build: \(latest))")
        if check && current < latest { throw ExitCode(1) }
    }
}
