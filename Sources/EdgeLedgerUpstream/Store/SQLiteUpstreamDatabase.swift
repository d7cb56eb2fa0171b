import CSQLite
import EdgeLedgerStore
import EdgeLedgerSystem
import Synchronization

/// The embedded engine: one SQLite file in WAL mode, one connection, one upstream process (an
/// exclusive lock on `<path>-writer.lock`). Every transaction holds the connection's lock, so
/// transactions never interleave.
final class SQLiteUpstreamDatabase: UpstreamDatabase {
    let engine = UpstreamEngine.sqlite
    let location: String
    let concurrency = 1
    private let session: Mutex<SQLiteSession>
    private let lock: WriterLock

    /// Opens (creating) the store at `path`; `migrate` brings its schema up to date.
    init(path: String, durability: Durability, migrate: Bool) throws(StoreError) {
        let lock: WriterLock
        do {
            lock = try WriterLock(databasePath: path)
        } catch {
            // The lock's own hint speaks of the gateway's agent; here it is an upstream, most
            // likely `run` while `gateways …` or `migrate` tries to open the store.
            guard error.kind == .busy else { throw error }
            var held = error
            held.hint =
                "another edge-ledger-upstream process (`run`) uses this store; on SQLite, stop it before "
                + "changing the gateway registry (`gateways …`), or use PostgreSQL (storage.url), which "
                + "running instances share"
            throw held
        }
        let db = try SQLiteConnection(path: path, readOnly: false, create: true)
        sqlite3_busy_timeout(db.handle, 5000)
        try db.useWAL(durability: durability, path: path)
        try CollectorSchema.check(db)
        if migrate { try CollectorSchema.migrate(db, now: SystemClock.nowNanoseconds()) }
        self.location = path
        self.lock = lock
        self.session = Mutex(SQLiteSession(db))
    }

    func transaction<R: Sendable>(
        write: Bool, locking origins: [String], durable: Bool, _ body: (any UpstreamSQL) throws -> R
    ) throws -> R {
        // Every commit is durable here (the database's synchronous setting): `durable: false` is
        // a permission, not a request.
        try session.withLock { (session: inout SQLiteSession) throws -> R in
            let db = session.db
            try db.statement(write ? "BEGIN IMMEDIATE" : "BEGIN").run("starting a transaction on \(location)")
            do {
                let result = try body(session)
                try db.statement("COMMIT").run("committing a transaction on \(location)")
                return result
            } catch {
                db.rollback()
                throw error
            }
        }
    }

    func schemaVersions() throws(StoreError) -> (current: Int, latest: Int) {
        try session.withLock { (session: inout SQLiteSession) throws(StoreError) in
            (
                Int(try session.db.scalar("PRAGMA user_version", "reading the schema version") ?? 0),
                CollectorSchema.version
            )
        }
    }

    func migrate() throws(StoreError) -> [Int] {
        try session.withLock { (session: inout SQLiteSession) throws(StoreError) -> [Int] in
            let before = Int(try session.db.scalar("PRAGMA user_version", "reading the schema version") ?? 0)
            try CollectorSchema.migrate(session.db, now: SystemClock.nowNanoseconds())
            return Array(before..<CollectorSchema.version).map { $0 + 1 }
        }
    }

    func close() {}
}

/// ``UpstreamSQL`` over one SQLite connection: entries are stored as C2SP entry bundles.
final class SQLiteSession: UpstreamSQL {
    let db: SQLiteConnection
    let engine = UpstreamEngine.sqlite
    var location: String { db.path }

    init(_ db: SQLiteConnection) { self.db = db }

    private func prepared(_ sql: String, _ arguments: [SQLArgument]) throws(StoreError) -> SQLiteStatement {
        let s = try db.statement(sql)
        for (i, argument) in arguments.enumerated() {
            let index = Int32(i + 1)
            switch argument {
            case .int(let v): s.bind(index, v)
            case .text(let v): s.bind(index, v)
            case .blob(let v): s.bind(index, blob: v)
            case .null: s.bindNull(index)
            }
        }
        return s
    }

    @discardableResult
    func run(_ sql: String, _ arguments: [SQLArgument], _ what: @autoclosure () -> String) throws(StoreError) -> Int {
        let s = try prepared(sql, arguments)
        try s.run(what())
        return Int(sqlite3_changes(db.handle))
    }

    func write(_ sql: String, _ arguments: [SQLArgument], _ what: @autoclosure () -> String) throws(StoreError) {
        try run(sql, arguments, what())
    }

    func query(
        _ sql: String, _ arguments: [SQLArgument], _ what: @autoclosure () -> String,
        row: (any SQLRow) throws(StoreError) -> Void
    ) throws(StoreError) {
        let s = try prepared(sql, arguments)
        defer { s.reset() }
        let current = SQLiteRow(statement: s)
        while try s.step(what()) { try row(current) }
    }
}

/// A row of a running SQLite statement.
struct SQLiteRow: SQLRow {
    let statement: SQLiteStatement
    func int64(_ column: Int) -> Int64 { statement.int64(Int32(column)) }
    func isNull(_ column: Int) -> Bool { statement.isNull(Int32(column)) }
    func text(_ column: Int) -> String? { statement.text(Int32(column)) }
    func withBlob<R>(_ column: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard let raw = statement.blobPointer(Int32(column)) else { return nil }
        return try body(raw)
    }
}
