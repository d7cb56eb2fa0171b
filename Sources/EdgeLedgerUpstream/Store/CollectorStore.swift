import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerSystem
import NIOPosix
import Synchronization

/// The upstream's store (`edge-ledger-upstream`): the witness's cosigned checkpoints per log,
/// every collected gateway log (entries and hash tiles), the checkpoints verified against them,
/// fork evidence, the gateway registry and the durable anchoring queue — in one SQLite file (the
/// embedded default) or in a PostgreSQL database that any number of instances share.
///
/// **Threads.** Every method is `async` and runs its transaction on the store's own threads (a
/// blocking database call never holds a cooperative thread): one for SQLite, one per connection
/// for PostgreSQL.
///
/// **Crash safety and concurrency.** Each method is one transaction. A witness update is a
/// compare-and-set on the stored state, checked against what the collector verified
/// (``addWitnessCheckpoint(_:hasher:boundFirstByCollection:maxGrowth:decide:)``), and it is
/// serialised with the collector's writes of the same origin on every instance, so concurrent
/// `add-checkpoint` requests can never roll the state back or cosign a second history. A
/// collector batch stores its entries and the tiles extended over them together, and the batch
/// that completes a checkpoint also records the verified checkpoint and its anchoring job. With a
/// ``CollectorLease``, every collector write is fenced: refused when another instance took the
/// gateway over.
public final class CollectorStore: Sendable {
    /// The engine.
    public let engine: UpstreamEngine
    /// Where the data lives: the SQLite file, or `host:port/database` (never a password).
    public let location: String
    let database: any UpstreamDatabase
    private let pool: NIOThreadPool
    private let closed = Atomic<Bool>(false)

    /// The SQLite file, for an SQLite store (`nil` for PostgreSQL).
    public var path: String? { engine == .sqlite ? location : nil }

    /// Opens (creating, and with `migrate` migrating) the SQLite upstream store at `path`.
    ///
    /// - Throws: ``StoreError`` when the file cannot be opened or created, is not an upstream
    ///   store, is newer than this build, or is open by another upstream process.
    public convenience init(path: String, durability: Durability = .power, migrate: Bool = true) throws(StoreError) {
        self.init(database: try SQLiteUpstreamDatabase(path: path, durability: durability, migrate: migrate))
    }

    /// Opens the PostgreSQL upstream store at `url` with up to `connections` connections.
    ///
    /// - Parameter migrate: bring the schema up to date first (`edge-ledger-upstream migrate`
    ///   does it explicitly; `run` refuses a database that is behind unless `migrate` is set).
    /// - Throws: ``StoreError`` when the server cannot be reached, the database is not an
    ///   upstream store, or its schema is older (without `migrate`) or newer than this build.
    public convenience init(postgresURL url: String, connections: Int = 8, migrate: Bool) throws(StoreError) {
        self.init(database: try PostgresUpstreamDatabase(url: url, connections: connections, migrate: migrate))
    }

    init(database: any UpstreamDatabase) {
        self.engine = database.engine
        self.location = database.location
        self.database = database
        self.pool = NIOThreadPool(numberOfThreads: max(1, database.concurrency))
        pool.start()
    }

    deinit {
        if !closed.exchange(true, ordering: .acquiringAndReleasing) {
            pool.shutdownGracefully { _ in }
            database.close()
        }
    }

    /// Stops the store's threads and closes its connections (after in-flight calls finish).
    public func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try? await pool.shutdownGracefully()
        database.close()
    }

    /// Runs `body` in one transaction on the store's threads.
    ///
    /// - Parameters:
    ///   - write: a write transaction (SQLite `BEGIN IMMEDIATE`).
    ///   - origin: serialise with every other write transaction naming this origin, on every
    ///     instance (the one-view-per-origin lock).
    ///   - durable: `false` lets the commit return before it is on disk
    ///     (``UpstreamDatabase/transaction(write:locking:durable:_:)``).
    func transaction<R: Sendable>(
        write: Bool = false, locking origin: String? = nil, durable: Bool = true,
        _ body: @escaping @Sendable (any UpstreamSQL) throws -> R
    ) async throws -> R {
        try await transaction(write: write, locking: origin.map { [$0] } ?? [], durable: durable, body)
    }

    /// ``transaction(write:locking:durable:_:)`` serialised with every write transaction naming
    /// one of `origins` (the witness's grouped updates).
    func transaction<R: Sendable>(
        write: Bool, locking origins: [String], durable: Bool = true,
        _ body: @escaping @Sendable (any UpstreamSQL) throws -> R
    ) async throws -> R {
        let database = self.database
        do {
            return try await pool.runIfActive {
                try database.transaction(write: write, locking: origins, durable: durable, body)
            }
        } catch let error as NIOThreadPoolError.ThreadPoolInactive {
            _ = error
            throw StoreError(.unavailable, "the upstream store \(location) is closed", hint: "the upstream is stopping")
        }
    }

    /// ``transaction(write:locking:_:)`` for bodies that throw only ``StoreError``.
    func storeTransaction<R: Sendable>(
        write: Bool = false, locking origin: String? = nil,
        _ body: @escaping @Sendable (any UpstreamSQL) throws(StoreError) -> R
    ) async throws(StoreError) -> R {
        do {
            return try await transaction(write: write, locking: origin) { sql in try body(sql) }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.unavailable, "the upstream store \(location): \(error)")
        }
    }

    /// The schema version the database holds and the one this build writes.
    public func schemaVersions() async throws(StoreError) -> (current: Int, latest: Int) {
        let database = self.database
        do {
            // Not inside a transaction: the engine reads the version its own way.
            return try await pool.runIfActive { try database.schemaVersions() }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.unavailable, "the upstream store \(location) is closed", hint: "the upstream is stopping")
        }
    }

    // MARK: - Witness

    /// The witness's record for `origin`, or `nil` when it never cosigned a checkpoint of it.
    public func witnessState(origin: String) async throws(StoreError) -> WitnessLogState? {
        try await storeTransaction { (sql) throws(StoreError) in try sql.witnessState(origin: origin) }
    }

    // MARK: - Collected gateways

    /// The collector's state of the gateway log `origin`, registering it (empty) when new.
    ///
    /// - Throws: ``StoreError/Kind/wrongHashAlgorithm`` when the log was registered with another
    ///   hash algorithm.
    public func registerGateway(origin: String, hash: HashAlgorithm) async throws(StoreError) -> CollectorGatewayState {
        // Almost always registered already: a plain read, no write transaction.
        if let existing = try await gatewayState(origin: origin), existing.hashAlgorithm == hash { return existing }
        return try await storeTransaction(write: true, locking: origin) { (sql) throws(StoreError) in
            if let existing = try sql.gatewayState(origin: origin) {
                guard existing.hashAlgorithm == hash else {
                    throw StoreError(
                        .wrongHashAlgorithm,
                        "the collected log \(origin) in \(sql.location) is hashed with "
                            + "\(existing.hashAlgorithm.rawValue), but \(hash.rawValue) is configured",
                        hint: "a log never changes its hash algorithm: fix gateways[].hash")
                }
                return existing
            }
            try sql.run(
                "INSERT INTO gateways(origin, hash_algorithm) VALUES (?1, ?2) ON CONFLICT(origin) DO NOTHING",
                [.text(origin), .text(hash.rawValue)], "registering the gateway \(origin)")
            guard let state = try sql.gatewayState(origin: origin) else {
                throw StoreError(.missing, "the gateway \(origin) just registered in \(sql.location) is missing")
            }
            return state
        }
    }

    /// The collector's state of the gateway log `origin`, or `nil` when it is not registered.
    public func gatewayState(origin: String) async throws(StoreError) -> CollectorGatewayState? {
        try await storeTransaction { (sql) throws(StoreError) in try sql.gatewayState(origin: origin) }
    }

    /// Every registered gateway log, by origin.
    public func gatewayStates() async throws(StoreError) -> [CollectorGatewayState] {
        try await storeTransaction { (sql) throws(StoreError) in try sql.gatewayStates(where: "ORDER BY origin", []) }
    }

    /// Records that the gateway accepted an acknowledgement of `size` (never moves backwards).
    public func recordAck(gateway id: Int64, size: UInt64, at time: Int64) async throws(StoreError) {
        try await storeTransaction(write: true) { (sql) throws(StoreError) in
            try sql.write(
                "UPDATE gateways SET acked_size = ?2, acked_at = ?3 WHERE id = ?1 AND acked_size <= ?2",
                [.int(id), .uint(size), .int(time)], "recording an acknowledgement")
        }
    }
}
