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
            store = try UpstreamCLI.openStore(configuration, migrate: !check)
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

/// What the upstream's administrative subcommands share.
enum UpstreamCLI {
    /// Loads the configuration or exits with status 78 and the problems.
    static func loadConfiguration(_ path: String) throws -> UpstreamConfiguration {
        do {
            return try ConfigLoader.loadUpstream(path: path)
        } catch {
            StandardError.line("edge-ledger-upstream: invalid configuration \(path):\n\(error)")
            throw ExitCode(78)
        }
    }

    /// Opens the configured store: with `migrate`, brings its schema up to date; otherwise a
    /// PostgreSQL schema that is behind is refused. A PostgreSQL store is shared with running
    /// instances; an SQLite store cannot be opened while `run` holds it.
    static func openStore(_ configuration: UpstreamConfiguration, migrate: Bool? = nil) throws -> CollectorStore {
        var storage = configuration.storage
        storage.connections = 1
        return try UpstreamNode.openStore(storage, migrate: migrate)
    }

    /// Runs `body` with the configured store, printing a store error and exiting with status 1.
    static func withStore<R>(
        _ configPath: String, _ body: (CollectorStore) async throws -> R
    ) async throws -> R {
        let configuration = try loadConfiguration(configPath)
        let store: CollectorStore
        do {
            store = try openStore(configuration)
        } catch {
            StandardError.line("edge-ledger-upstream: \(error)")
            throw ExitCode(1)
        }
        do {
            let result = try await body(store)
            await store.close()
            return result
        } catch let exit as ExitCode {
            await store.close()
            throw exit
        } catch {
            await store.close()
            StandardError.line("edge-ledger-upstream: \(error)")
            throw ExitCode(1)
        }
    }
}
