import CSQLite
import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Raw SQLite access that bypasses the store: how the tests damage a ledger.
enum RawSQL {
    /// Runs SQL statements on `path` through a separate connection, binding `blob` to `?1`
    /// of each statement that has parameters.
    static func execute(_ path: String, _ sql: String, blob: [UInt8]? = nil) {
        var db: OpaquePointer?
        precondition(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK)
        defer { sqlite3_close(db) }
        sqlite3_busy_timeout(db, 5000)
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nil)
        precondition(rc == SQLITE_OK, String(cString: sqlite3_errmsg(db)))
        defer { sqlite3_finalize(stmt) }
        if let blob {
            _ = blob.withUnsafeBytes {
                sqlite3_bind_blob(stmt, 1, $0.baseAddress, Int32($0.count), csqlite_transient())
            }
        }
        let step = sqlite3_step(stmt)
        precondition(step == SQLITE_DONE || step == SQLITE_ROW, String(cString: sqlite3_errmsg(db)))
    }

    /// Creates an SQLite database at `path` (not a ledger) and runs `sql` in it.
    static func createDatabase(_ path: String, _ sql: String) {
        var db: OpaquePointer?
        precondition(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK)
        defer { sqlite3_close(db) }
        precondition(sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK)
    }

    /// One blob column of one row.
    static func blob(_ path: String, _ sql: String) -> [UInt8]? {
        var db: OpaquePointer?
        precondition(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK)
        defer { sqlite3_close(db) }
        var stmt: OpaquePointer?
        precondition(sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, String(cString: sqlite3_errmsg(db)))
        defer { sqlite3_finalize(stmt) }
        guard sqlite3_step(stmt) == SQLITE_ROW, let p = sqlite3_column_blob(stmt, 0) else { return nil }
        return Array(UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(stmt, 0))))
    }

    /// One integer of one row.
    static func integer(_ path: String, _ sql: String) -> Int64? {
        var db: OpaquePointer?
        precondition(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK)
        defer { sqlite3_close(db) }
        var stmt: OpaquePointer?
        precondition(sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, String(cString: sqlite3_errmsg(db)))
        defer { sqlite3_finalize(stmt) }
        guard sqlite3_step(stmt) == SQLITE_ROW else { return nil }
        return sqlite3_column_int64(stmt, 0)
    }
}

/// A signing identity for test checkpoints.
struct TestLog: Sendable {
    let origin: String
    let key: PrivateKey

    init(origin: String = "factory.example/gw") throws {
        self.origin = origin
        self.key = try PrivateKey.generate(.ed25519)
    }

    var verifier: any NoteVerifier { NoteKeys.verifier(for: key.publicKey, name: origin) }

    /// The signing closure for `LedgerStore.seal`.
    func sign(_ request: SealRequest) throws -> String {
        let text = Checkpoint(origin: origin, size: request.size, root: request.root).text
        return try NoteSigning.sign(text: text, with: [NoteKeys.signer(for: key, name: origin)]).serialized
    }
}

/// A reading with a payload derived from `n`.
func reading(_ n: Int, topic: String = "plant/line-1/temp", qos: UInt8 = 1) -> ReadingInput {
    ReadingInput(
        receivedAt: 1_767_225_600_000_000_000 + Int64(n) * 1_000_000, qos: qos, retain: n % 7 == 0, topic: topic,
        payload: Array("{\"seq\":\(n),\"value\":\(Double(n) / 4)}".utf8))
}

/// Runs `body` and returns the `StoreError` it throws (nil when none).
func storeError(_ body: () throws -> Void) -> StoreError? {
    do {
        try body()
        return nil
    } catch let error as StoreError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

/// Runs `body` and returns the failure it throws (nil when none).
func verificationFailure(_ body: () throws(VerificationFailure) -> Void) -> VerificationFailure? {
    do {
        try body()
        return nil
    } catch { return error }
}

let sha256 = OpenSSLHasher.sha256
