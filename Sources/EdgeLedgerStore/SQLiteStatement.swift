import CSQLite
import EdgeLedgerCore

/// A prepared statement, reset after each use and finalized with its connection.
///
/// Not thread-safe: confined to the owner of its ``SQLiteConnection``.
package final class SQLiteStatement {
    package let handle: OpaquePointer
    package unowned let connection: SQLiteConnection
    package let sql: String

    package init(handle: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    @inline(__always) package func bind(_ i: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, i, value)
    }

    @inline(__always) package func bind(_ i: Int32, _ value: UInt64) {
        sqlite3_bind_int64(handle, i, Int64(bitPattern: value))
    }

    @inline(__always) package func bind(_ i: Int32, _ value: Int) {
        sqlite3_bind_int64(handle, i, Int64(value))
    }

    /// Binds text, copied by SQLite.
    package func bind(_ i: Int32, _ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            guard let base = utf8.baseAddress, utf8.count > 0 else {
                _ = sqlite3_bind_text(handle, i, "", 0, csqlite_transient())
                return
            }
            _ = base.withMemoryRebound(to: CChar.self, capacity: utf8.count) { chars in
                sqlite3_bind_text(handle, i, chars, Int32(utf8.count), csqlite_transient())
            }
        }
    }

    /// Binds a blob without copying: `bytes` must stay valid until the statement is stepped
    /// and reset.
    @inline(__always) package func bindStatic(_ i: Int32, _ bytes: UnsafeRawBufferPointer) {
        // A nil pointer would bind NULL; a zero-length blob needs a non-nil pointer.
        sqlite3_bind_blob(handle, i, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, Int32(bytes.count), nil)
    }

    /// Binds a blob, copied by SQLite.
    package func bind(_ i: Int32, blob bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            _ = sqlite3_bind_blob(
                handle, i, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, Int32(raw.count), csqlite_transient())
        }
    }

    /// Binds a 32-byte hash, copied by SQLite.
    package func bind(_ i: Int32, hash: Hash32) {
        hash.withUnsafeBytes { raw in
            _ = sqlite3_bind_blob(handle, i, raw.baseAddress, 32, csqlite_transient())
        }
    }

    package func bindNull(_ i: Int32) { sqlite3_bind_null(handle, i) }

    /// Steps once; `true` when a row is available, `false` when done.
    @inline(__always) package func step(_ context: @autoclosure () -> String) throws(StoreError) -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let error = connection.error(rc, context())
        sqlite3_reset(handle)
        throw error
    }

    /// Steps to completion of a statement that returns no rows, then resets.
    @inline(__always) package func run(_ context: @autoclosure () -> String) throws(StoreError) {
        let rc = sqlite3_step(handle)
        if rc != SQLITE_DONE && rc != SQLITE_ROW {
            let error = connection.error(rc, context())
            sqlite3_reset(handle)
            throw error
        }
        sqlite3_reset(handle)
    }

    /// Steps once and resets, returning the failure instead of throwing: for use inside
    /// non-throwing closures that bind borrowed buffers (`withUnsafeBytes`).
    @inline(__always) package func runReturningError(_ context: @autoclosure () -> String) -> StoreError? {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_DONE || rc == SQLITE_ROW {
            sqlite3_reset(handle)
            return nil
        }
        let error = connection.error(rc, context())
        sqlite3_reset(handle)
        return error
    }

    @inline(__always) package func reset() {
        sqlite3_reset(handle)
    }

    package func clearBindings() { sqlite3_clear_bindings(handle) }

    @inline(__always) package func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    @inline(__always) package func uint64(_ column: Int32) -> UInt64 {
        UInt64(bitPattern: sqlite3_column_int64(handle, column))
    }

    package func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    package func text(_ column: Int32) -> String? {
        guard let p = sqlite3_column_text(handle, column) else { return nil }
        let n = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    /// The column's bytes, valid until the next step/reset; `nil` for SQL NULL.
    package func blobPointer(_ column: Int32) -> UnsafeRawBufferPointer? {
        if sqlite3_column_type(handle, column) == SQLITE_NULL { return nil }
        let p = sqlite3_column_blob(handle, column)
        let n = Int(sqlite3_column_bytes(handle, column))
        if n == 0 { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: p, count: n)
    }

    /// The column's bytes copied; `nil` for SQL NULL.
    package func blob(_ column: Int32) -> [UInt8]? {
        blobPointer(column).map { Array($0) }
    }

    /// The column as a hash, or `nil` when NULL or not 32 bytes.
    package func hash(_ column: Int32) -> Hash32? {
        guard let raw = blobPointer(column), raw.count == 32 else { return nil }
        return Hash32 { $0.copyMemory(from: raw) }
    }
}
