import CSQLite

/// Raw SQLite writes that bypass the store: how the tests simulate what is not built yet.
enum SQLiteTestAccess {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Removes entry `index`'s bytes as retention will (the leaf hash stays).
    static func pruneEntry(_ path: String, index: Int) throws {
        try execute(path, "UPDATE entries SET entry = NULL WHERE idx = \(index)")
    }

    static func execute(_ path: String, _ sql: String) throws {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else {
            sqlite3_close(db)
            throw Failure(description: "cannot open \(path)")
        }
        defer { sqlite3_close(db) }
        sqlite3_busy_timeout(db, 5000)
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            throw Failure(description: String(cString: sqlite3_errmsg(db)))
        }
    }
}
