import EdgeLedgerPostgres
import EdgeLedgerStore
import EdgeLedgerSystem
import Synchronization

/// The fleet engine: a PostgreSQL database shared by any number of upstream instances, used
/// through libpq connections, each by one of the store's threads at a time.
///
/// Write transactions that name an origin take `pg_advisory_xact_lock` on it (see
/// ``UpstreamDatabase``); collector writes also lock the gateway's row (`FOR UPDATE`) and check
/// its fencing token. A connection that fails is dropped and a new one opened by the next
/// transaction, so the upstream rides out a database restart: calls fail with
/// ``StoreError/Kind/unavailable`` meanwhile, and nothing is acknowledged that was not committed.
final class PostgresUpstreamDatabase: UpstreamDatabase {
    let engine = UpstreamEngine.postgres
    let location: String
    let concurrency: Int
    private let url: String
    private let idle = Mutex<[PooledConnection]>([])

    init(url: String, connections: Int, migrate: Bool) throws(StoreError) {
        self.url = url
        self.concurrency = max(1, connections)
        let first = try Self.connect(url)
        self.location = first.location
        idle.withLock { $0.append(PooledConnection(first)) }
        if migrate { _ = try self.migrate() }
        let (current, latest) = try schemaVersions()
        guard current == latest else {
            throw current < latest
                ? StoreError(
                    .newerSchema,
                    "the upstream store \(location) has schema version \(current); this edge-ledger-upstream "
                        + "needs \(latest)", hint: "run `edge-ledger-upstream migrate --config …` first")
                : StoreError(
                    .newerSchema,
                    "the upstream store \(location) has schema version \(current); this edge-ledger-upstream "
                        + "reads up to \(latest)", hint: "upgrade edge-ledger-upstream on this instance")
        }
    }

    static func connect(_ url: String) throws(StoreError) -> PostgresConnection {
        do {
            return try PostgresConnection(url: url)
        } catch {
            throw PostgresSession.storeError(error)
        }
    }

    /// Runs `body` on an idle connection (a new one when none is idle); drops a connection that
    /// failed.
    private func withConnection<R>(_ body: (PostgresConnection) throws -> R) throws -> R {
        let pooled = try idle.withLock { $0.popLast() } ?? PooledConnection(Self.connect(url))
        do {
            let result = try body(pooled.connection)
            idle.withLock { $0.append(pooled) }
            return result
        } catch {
            if pooled.connection.isConnected {
                idle.withLock { $0.append(pooled) }
            } else {
                pooled.connection.close()
            }
            throw error
        }
    }

    func transaction<R: Sendable>(
        write: Bool, locking origins: [String], durable: Bool, _ body: (any UpstreamSQL) throws -> R
    ) throws -> R {
        try withConnection { connection in
            let session = PostgresSession(connection)
            // A read: each statement runs on its own (READ COMMITTED gives a transaction no
            // snapshot of its own anyway), saving BEGIN's and COMMIT's round trips.
            if !write && origins.isEmpty {
                let result = try body(session)
                try session.flush()
                return result
            }
            do {
                // Sent with the first statement: the transaction and its origins' locks, in
                // ascending key order so that two transactions locking several origins never
                // wait in a cycle.
                let keys = Set(origins.map(Self.lockKey)).sorted()
                let what =
                    origins.count == 1 ? " and locking the origin \(origins[0])" : " and locking \(keys.count) origins"
                session.begin(
                    durable: durable || !write, lockKeys: keys,
                    "starting a transaction" + (origins.isEmpty ? "" : what))
                let result = try body(session)
                try session.commit()
                return result
            } catch {
                if session.began, connection.isConnected { try? connection.executeScript("ROLLBACK") }
                throw error
            }
        }
    }

    /// A 64-bit advisory-lock key for `origin` (FNV-1a; a collision only serialises two origins).
    static func lockKey(_ origin: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in origin.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    func schemaVersions() throws(StoreError) -> (current: Int, latest: Int) {
        do {
            return try withConnection { connection throws -> (current: Int, latest: Int) in
                let session = PostgresSession(connection)
                let tables =
                    try session.scalar(
                        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() "
                            + "AND table_name IN ('schema_migrations', 'meta')", [], "reading the schema") ?? 0
                guard tables > 0 else { return (0, PostgresSchema.version) }
                let application = try session.first(
                    "SELECT value FROM meta WHERE key = 'application'", [], "reading the schema"
                ) { (row) throws(StoreError) in row.text(0) }
                guard application == PostgresSchema.application else {
                    throw StoreError(
                        .notALedger, "the PostgreSQL database \(location) holds other tables, not an upstream store",
                        hint: "point store.url at an empty database (or one edge-ledger-upstream created)")
                }
                let current =
                    try session.scalar(
                        "SELECT coalesce(max(version), 0) FROM schema_migrations", [], "reading the schema version")
                    ?? 0
                return (Int(current), PostgresSchema.version)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.database, "\(error)")
        }
    }

    func migrate() throws(StoreError) -> [Int] {
        do {
            return try withConnection { connection throws -> [Int] in
                let session = PostgresSession(connection)
                try session.run(
                    "SELECT pg_advisory_lock(?1)", [.int(PostgresSchema.migrationLock)],
                    "waiting for the migration lock")
                defer {
                    _ = try? session.run(
                        "SELECT pg_advisory_unlock(?1)", [.int(PostgresSchema.migrationLock)], "releasing the lock")
                }
                var (current, _) = try schemaVersionsLocked(session)
                var applied: [Int] = []
                while current < PostgresSchema.version {
                    let next = current + 1
                    try session.script("BEGIN", "starting migration \(next)")
                    do {
                        if current == 0 {
                            try session.script(
                                "CREATE TABLE schema_migrations(version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL, "
                                    + "applied_by TEXT NOT NULL)", "creating the migrations table")
                        }
                        try session.script(PostgresSchema.migrations[current], "applying migration \(next)")
                        if current == 0 {
                            try session.run(
                                "INSERT INTO meta(key, value) VALUES ('application', ?1), ('created_at', ?2)",
                                [.text(PostgresSchema.application), .text(String(SystemClock.nowNanoseconds()))],
                                "marking the database as an upstream store")
                        }
                        try session.run(
                            "INSERT INTO schema_migrations(version, applied_at, applied_by) VALUES (?1, ?2, ?3)",
                            [.int(Int64(next)), .int(SystemClock.nowNanoseconds()), .text(EdgeLedgerVersion.current)],
                            "recording migration \(next)")
                        try session.script("COMMIT", "committing migration \(next)")
                    } catch {
                        if connection.isConnected { try? connection.executeScript("ROLLBACK") }
                        throw error
                    }
                    applied.append(next)
                    current = next
                }
                return applied
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.database, "\(error)")
        }
    }

    private func schemaVersionsLocked(_ session: PostgresSession) throws(StoreError) -> (Int, Int) {
        let tables =
            try session.scalar(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()", [],
                "reading the schema") ?? 0
        let migrations =
            try session.scalar(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() "
                    + "AND table_name = 'schema_migrations'", [], "reading the schema") ?? 0
        if migrations == 0 {
            guard tables == 0 else {
                throw StoreError(
                    .notALedger, "the PostgreSQL database \(location) holds other tables, not an upstream store",
                    hint: "point store.url at an empty database (or one edge-ledger-upstream created)")
            }
            return (0, PostgresSchema.version)
        }
        let current =
            try session.scalar(
                "SELECT coalesce(max(version), 0) FROM schema_migrations", [], "reading the schema version") ?? 0
        guard current <= PostgresSchema.version else {
            throw StoreError(
                .newerSchema,
                "the upstream store \(location) has schema version \(current); this edge-ledger-upstream reads up "
                    + "to \(PostgresSchema.version)", hint: "upgrade edge-ledger-upstream")
        }
        return (Int(current), PostgresSchema.version)
    }

    func close() {
        let connections = idle.withLock { list in
            defer { list.removeAll() }
            return list
        }
        for pooled in connections { pooled.connection.close() }
    }
}

/// A connection in the idle list: taken by one store thread, used by it alone, given back.
private final class PooledConnection: @unchecked Sendable {
    let connection: PostgresConnection
    init(_ connection: PostgresConnection) { self.connection = connection }
}
