import EdgeLedgerStore

/// An upstream store's database, whichever the engine: it opens connections, runs transactions
/// and knows how to migrate its schema.
///
/// **Transactions.** ``transaction(write:locking:_:)`` runs `body` in one transaction on one
/// connection, on the calling thread (a blocking call: ``CollectorStore`` runs it on its own
/// threads). A write transaction that names an origin is serialised with every other write
/// transaction naming the same origin, on every instance sharing the database: SQLite serialises
/// all writers (`BEGIN IMMEDIATE`); PostgreSQL takes a transaction-scoped advisory lock on the
/// origin. That is where one view per origin is kept: the witness's compare-and-set and the
/// collector's verification of the same origin never interleave. A transaction may name several
/// origins (the witness's grouped updates); they are locked in one fixed order, so two such
/// transactions never wait for each other in a cycle.
protocol UpstreamDatabase: Sendable {
    /// The engine.
    var engine: UpstreamEngine { get }
    /// Where the data lives, for messages (never a password).
    var location: String { get }
    /// How many transactions can run at once (connections).
    var concurrency: Int { get }

    /// Runs `body` in one transaction; commits when it returns, rolls back when it throws (and
    /// rethrows its error unchanged). A write transaction is serialised with every other write
    /// transaction naming one of `origins`.
    ///
    /// With `durable: false` the commit may return before it is on disk (PostgreSQL's
    /// `synchronous_commit = off` for this transaction; SQLite always commits durably): a crash of
    /// the database server may then lose this transaction, never part of it and never one that
    /// committed after it durably, since the server's log is flushed in order. Only for writes
    /// that nothing is acknowledged by until a later durable commit (staged entries before their
    /// verification).
    func transaction<R: Sendable>(
        write: Bool, locking origins: [String], durable: Bool, _ body: (any UpstreamSQL) throws -> R
    ) throws -> R

    /// The schema version the database holds and the one this build writes.
    func schemaVersions() throws(StoreError) -> (current: Int, latest: Int)

    /// Brings the schema to this build's version; returns the versions applied (none when current).
    func migrate() throws(StoreError) -> [Int]

    /// Closes every connection.
    func close()
}

extension UpstreamDatabase {
    /// ``transaction(write:locking:durable:_:)`` with a durable commit.
    func transaction<R: Sendable>(
        write: Bool, locking origins: [String], _ body: (any UpstreamSQL) throws -> R
    ) throws -> R {
        try transaction(write: write, locking: origins, durable: true, body)
    }
}
