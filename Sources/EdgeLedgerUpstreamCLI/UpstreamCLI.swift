import ArgumentParser
import EdgeLedgerCore
import EdgeLedgerSystem
import EdgeLedgerUpstream

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
    static func openStore(_ storage: UpstreamStorageConfiguration, migrate: Bool? = nil) throws -> CollectorStore {
        var storage = storage
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
            store = try openStore(configuration.storage)
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
