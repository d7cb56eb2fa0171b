import CSQLite

/// The baseline: the smallest useful insert through the raw SQLite C API, prepared once, in the
/// same WAL configuration the store uses.
final class RawSQLiteBench {
    private let db: OpaquePointer
    private let insert: OpaquePointer
    private let begin: OpaquePointer
    private let commit: OpaquePointer
    private var next: Int64 = 0
    private let blob: [UInt8]

    init(path: String, synchronous: String, blobSize: Int) {
        var db: OpaquePointer?
        guard
            sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
                == SQLITE_OK, let db
        else { fatalError("cannot open \(path)") }
        self.db = db
        RawSQLiteBench.exec(
            db,
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = \(synchronous); "
                + "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
        self.insert = RawSQLiteBench.prepare(db, "INSERT INTO t(id, data) VALUES (?1, ?2)")
        self.begin = RawSQLiteBench.prepare(db, "BEGIN IMMEDIATE")
        self.commit = RawSQLiteBench.prepare(db, "COMMIT")
        self.blob = (0..<blobSize).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    }

    deinit {
        sqlite3_finalize(insert)
        sqlite3_finalize(begin)
        sqlite3_finalize(commit)
        sqlite3_close_v2(db)
    }

    /// One INSERT in autocommit mode: one transaction, one commit.
    @inline(__always) func insertOne() {
        sqlite3_bind_int64(insert, 1, next)
        blob.withUnsafeBytes { raw in
            _ = sqlite3_bind_blob(insert, 2, raw.baseAddress, Int32(raw.count), nil)
            guard sqlite3_step(insert) == SQLITE_DONE else { fatalError(String(cString: sqlite3_errmsg(db))) }
        }
        sqlite3_reset(insert)
        next += 1
    }

    /// `rows` INSERTs in one transaction.
    func insertBatch(_ rows: Int) {
        RawSQLiteBench.step(begin, db)
        for _ in 0..<rows { insertOne() }
        RawSQLiteBench.step(commit, db)
    }

    private static func step(_ stmt: OpaquePointer, _ db: OpaquePointer) {
        guard sqlite3_step(stmt) == SQLITE_DONE else { fatalError(String(cString: sqlite3_errmsg(db))) }
        sqlite3_reset(stmt)
    }

    private static func exec(_ db: OpaquePointer, _ sql: String) {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { fatalError(String(cString: sqlite3_errmsg(db))) }
    }

    private static func prepare(_ db: OpaquePointer, _ sql: String) -> OpaquePointer {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else {
            fatalError(String(cString: sqlite3_errmsg(db)))
        }
        return stmt
    }
}
