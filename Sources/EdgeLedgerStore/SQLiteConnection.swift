import CSQLite
import EdgeLedgerCore

/// One SQLite connection with a cache of prepared statements, and the mapping of SQLite result
/// codes to ``StoreError``s that say what to do.
///
/// Not thread-safe (opened with `SQLITE_OPEN_NOMUTEX`): every use is confined to one thread at
/// a time by the owner's lock.
package final class SQLiteConnection {
    package let handle: OpaquePointer
    package let path: String
    private var cache: [String: SQLiteStatement] = [:]

    /// Opens `path`. `create` creates the file when missing; `readOnly` opens it read-only.
    package init(path: String, readOnly: Bool, create: Bool) throws(StoreError) {
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        flags |= readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        if create && !readOnly { flags |= SQLITE_OPEN_CREATE }
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let detail = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            if rc & 0xff == SQLITE_CANTOPEN {
                throw StoreError(
                    .cannotOpen, "cannot open ledger store \(path): \(detail)",
                    hint: create
                        ? "check that the directory exists and is writable by the edge-ledger user"
                        : "check the path; the store is created by the agent on first start", sqliteCode: rc)
            }
            throw SQLiteConnection.makeError(rc, detail: detail, path: path, context: "opening the store")
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more SQL statements without results.
    package func execute(_ sql: String, _ context: @autoclosure () -> String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let detail = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw SQLiteConnection.makeError(rc, detail: detail, path: path, context: context())
        }
    }

    /// The cached prepared statement for `sql`, reset and ready to bind.
    package func statement(_ sql: String) throws(StoreError) -> SQLiteStatement {
        if let cached = cache[sql] { return cached }
        let statement = try prepare(sql)
        cache[sql] = statement
        return statement
    }

    /// A new prepared statement that the caller owns (not cached).
    package func prepare(_ sql: String) throws(StoreError) -> SQLiteStatement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw error(rc, "preparing \(sql.prefix(60))")
        }
        return SQLiteStatement(handle: stmt, connection: self, sql: sql)
    }

    /// One integer from a query returning one row (or `nil` when no row / NULL).
    package func scalar(_ sql: String, _ context: @autoclosure () -> String) throws(StoreError) -> Int64? {
        let s = try statement(sql)
        defer { s.reset() }
        guard try s.step(context()), !s.isNull(0) else { return nil }
        return s.int64(0)
    }

    /// One text value from a query returning one row.
    package func text(_ sql: String, _ context: @autoclosure () -> String) throws(StoreError) -> String? {
        let s = try statement(sql)
        defer { s.reset() }
        guard try s.step(context()) else { return nil }
        return s.text(0)
    }

    /// A ``StoreError`` for result code `rc` from this connection, with the connection's message.
    package func error(_ rc: Int32, _ context: String) -> StoreError {
        SQLiteConnection.makeError(rc, detail: String(cString: sqlite3_errmsg(handle)), path: path, context: context)
    }

    /// Runs `body` in a transaction; rolls back when it throws.
    package func transaction<R>(
        immediate: Bool, _ context: @autoclosure () -> String, _ body: () throws(StoreError) -> R
    ) throws(StoreError) -> R {
        try statement(immediate ? "BEGIN IMMEDIATE" : "BEGIN").run("starting a transaction for \(context())")
        do {
            let result = try body()
            try statement("COMMIT").run("committing \(context())")
            return result
        } catch {
            rollback()
            throw error
        }
    }

    /// Rolls back the open transaction, if any; never fails (SQLite may have rolled back already).
    package func rollback() {
        if sqlite3_get_autocommit(handle) == 0 {
            sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
        }
    }

    package static func makeError(_ rc: Int32, detail: String, path: String, context: String) -> StoreError {
        let name = String(cString: sqlite3_errstr(rc))
        switch rc & 0xff {
        case SQLITE_FULL:
            return StoreError(
                .diskFull,
                "SQLITE_FULL: no space left on device (or the store's quota is reached) while \(context) (\(path))",
                hint: "free space or raise the quota", sqliteCode: rc)
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            let code = rc & 0xff == SQLITE_NOTADB ? "SQLITE_NOTADB" : "SQLITE_CORRUPT"
            return StoreError(
                .corrupt, "\(code): \(path) is damaged or not a database (\(detail)) while \(context)",
                hint: "stop the agent, keep a copy of the file, and run `edge-ledger verify --db \(path)`",
                sqliteCode: rc)
        case SQLITE_BUSY, SQLITE_LOCKED:
            return StoreError(
                .busy, "SQLITE_BUSY: \(path) is locked by another connection while \(context)",
                hint: "another process is writing to the store; stop it (only one agent may use a store)",
                sqliteCode: rc)
        case SQLITE_READONLY:
            return StoreError(
                .readOnly, "SQLITE_READONLY: cannot write \(path) while \(context) (\(detail))",
                hint: "check that the file and its directory are writable by the edge-ledger user", sqliteCode: rc)
        case SQLITE_IOERR:
            return StoreError(
                .io, "SQLITE_IOERR: disk I/O error on \(path) while \(context) (\(detail))",
                hint: "check the storage device (dmesg, SMART); the last committed state is intact", sqliteCode: rc)
        case SQLITE_CANTOPEN:
            return StoreError(
                .cannotOpen, "SQLITE_CANTOPEN: cannot open \(path) while \(context) (\(detail))",
                hint: "check that the directory exists and is accessible", sqliteCode: rc)
        case SQLITE_NOMEM:
            return StoreError(.sqlite, "SQLITE_NOMEM: out of memory while \(context)", sqliteCode: rc)
        case SQLITE_CONSTRAINT:
            return StoreError(
                .conflict, "SQLITE_CONSTRAINT: \(detail) while \(context) (\(path))",
                hint: "another writer may be using the store; only one agent may use a store", sqliteCode: rc)
        default:
            return StoreError(
                .sqlite, "SQLite error \(rc) (\(name): \(detail)) while \(context) (\(path))", sqliteCode: rc)
        }
    }

    /// Switches the file to WAL mode with `durability`'s `synchronous` level and a 64 MiB WAL
    /// size limit: how the ledger and the upstream's store open their files.
    ///
    /// - Throws: ``StoreError`` when the file system cannot do WAL (no shared memory, e.g. NFS).
    package func useWAL(durability: Durability, path: String) throws(StoreError) {
        let mode = try text("PRAGMA journal_mode = WAL", "switching \(path) to WAL mode")
        guard mode?.lowercased() == "wal" else {
            throw StoreError(
                .sqlite, "cannot switch \(path) to WAL mode (journal mode is \(mode ?? "unknown"))",
                hint: "put the store on a local file system that supports shared memory (not NFS)")
        }
        try execute(
            "PRAGMA synchronous = \(durability == .power ? "FULL" : "NORMAL"); PRAGMA journal_size_limit = 67108864",
            "configuring \(path)")
    }
}
