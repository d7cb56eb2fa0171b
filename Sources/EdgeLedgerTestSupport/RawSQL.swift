import CSQLite

/// Raw SQLite access that bypasses the stores, through a connection of its own: how the tests
/// look inside a ledger and damage it.
public enum RawSQL {
    /// Runs one statement on `path`, binding `blob` or `text` to `?1` when given.
    public static func execute(_ path: String, _ sql: String, blob: [UInt8]? = nil, text: String? = nil) throws {
        try withStatement(path, SQLITE_OPEN_READWRITE, sql) { db, stmt in
            if let blob {
                _ = blob.withUnsafeBytes {
                    sqlite3_bind_blob(stmt, 1, $0.baseAddress, Int32($0.count), csqlite_transient())
                }
            }
            if let text { _ = sqlite3_bind_text(stmt, 1, text, -1, csqlite_transient()) }
            let rc = sqlite3_step(stmt)
            guard rc == SQLITE_DONE || rc == SQLITE_ROW else {
                throw TestSupportError("\(sql): \(String(cString: sqlite3_errmsg(db)))")
            }
        }
    }

    /// Creates an SQLite database at `path` (not a ledger) and runs the statements `sql` in it.
    public static func createDatabase(_ path: String, _ sql: String) throws {
        var db: OpaquePointer?
        defer { sqlite3_close(db) }
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK,
            sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK
        else { throw TestSupportError("cannot create \(path): \(String(cString: sqlite3_errmsg(db)))") }
    }

    /// Column 0 of the first row as bytes (blob or text); `nil` without a row or for NULL.
    public static func bytes(_ path: String, _ sql: String) throws -> [UInt8]? {
        try withStatement(path, SQLITE_OPEN_READONLY, sql) { _, stmt in
            guard sqlite3_step(stmt) == SQLITE_ROW, let p = sqlite3_column_blob(stmt, 0) else { return nil }
            return Array(UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(stmt, 0))))
        }
    }

    /// Column 0 of the first row as an integer; `nil` without a row.
    public static func integer(_ path: String, _ sql: String) throws -> Int64? {
        try withStatement(path, SQLITE_OPEN_READONLY, sql) { _, stmt in
            guard sqlite3_step(stmt) == SQLITE_ROW else { return nil }
            return sqlite3_column_int64(stmt, 0)
        }
    }

    /// Flips the low bit of byte `offset` of a blob column and writes it back.
    public static func flipBlobByte(
        _ path: String, table: String, column: String, where condition: String, offset: Int
    ) throws {
        guard var value = try bytes(path, "SELECT \(column) FROM \(table) WHERE \(condition)"),
            value.indices.contains(offset)
        else { throw TestSupportError("no byte \(offset) in \(table).\(column) where \(condition)") }
        value[offset] ^= 0x01
        try execute(path, "UPDATE \(table) SET \(column) = ?1 WHERE \(condition)", blob: value)
    }

    private static func withStatement<R>(
        _ path: String, _ flags: Int32, _ sql: String, _ body: (OpaquePointer?, OpaquePointer?) throws -> R
    ) throws -> R {
        var db: OpaquePointer?
        defer { sqlite3_close(db) }
        guard sqlite3_open_v2(path, &db, flags, nil) == SQLITE_OK else {
            throw TestSupportError("cannot open \(path): \(String(cString: sqlite3_errmsg(db)))")
        }
        sqlite3_busy_timeout(db, 5000)
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK else {
            throw TestSupportError("\(sql): \(String(cString: sqlite3_errmsg(db)))")
        }
        defer { sqlite3_finalize(stmt) }
        return try body(db, stmt)
    }
}
