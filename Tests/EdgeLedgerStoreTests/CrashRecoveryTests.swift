import CSQLite
import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Testing

/// A torn append or seal is never half-visible: after a writer dies mid-transaction the store
/// reopens consistent and verifies.
@Suite struct CrashRecoveryTests {
    static let sqlite3CLI = "/usr/bin/sqlite3"

    /// A store with 300 sealed and 20 pending entries.
    func makeStore(_ dir: TemporaryFolder) throws -> (path: String, log: TestLog) {
        let log = try TestLog()
        let path = dir.file("ledger.db")
        let store = try LedgerStore(path: path, hasher: sha256)
        try store.append(batch: (0..<300).map { reading($0) })
        _ = try store.seal(sign: log.sign)
        try store.append(batch: (300..<320).map { reading($0) })
        return (path, log)
    }

    func expectConsistent(_ path: String, _ log: TestLog) throws {
        let store = try LedgerStore(path: path, hasher: sha256, check: .quick)
        #expect(store.nextIndex == 320)
        #expect(store.sealedSize == 300)
        let report = try LedgerVerifier(hasher: sha256, verifiers: [log.verifier]).verify(store: store)
        #expect(report.entries == 320 && report.checkpoints == 1)
        // The store keeps working.
        #expect(try store.append(reading(320)).index == 320)
        #expect(try store.seal(sign: log.sign)?.checkpoint.size == 321)
    }

    /// The SQL a torn append-and-seal would have run: entries, a tile and a checkpoint.
    static let tornSQL = """
        BEGIN IMMEDIATE;
        WITH RECURSIVE n(i) AS (SELECT 320 UNION ALL SELECT i + 1 FROM n WHERE i < 20319)
          INSERT INTO entries(idx, entry, leaf_hash, received_at) SELECT i, randomblob(200), randomblob(32), 0 FROM n;
        INSERT OR REPLACE INTO tiles(level, idx, width, hashes) VALUES (0, 1, 256, randomblob(8192));
        INSERT INTO checkpoints(size, root, note, created_at) VALUES (20320, randomblob(32), 'torn', 0);
        """

    @Test func uncommittedTransactionOfAnotherConnectionIsInvisible() throws {
        let dir = try TemporaryFolder()
        let (path, log) = try makeStore(dir)
        var db: OpaquePointer?
        #expect(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK)
        // Spill uncommitted pages into the WAL, as a large transaction does.
        #expect(sqlite3_exec(db, "PRAGMA cache_size = 2;" + Self.tornSQL, nil, nil, nil) == SQLITE_OK)
        #expect(sqlite3_get_autocommit(db) == 0)  // still inside the transaction
        sqlite3_close_v2(db)  // closes without COMMIT
        try expectConsistent(path, log)
    }

    @Test(.enabled(if: access(sqlite3CLI, X_OK) == 0, "needs the sqlite3 command-line shell (apt install sqlite3)"))
    func writerKilledMidTransactionLeavesNoTrace() throws {
        let dir = try TemporaryFolder()
        let (path, log) = try makeStore(dir)
        // The shell writes a large transaction (spilling into the WAL), then SIGKILLs itself
        // before COMMIT.
        let status = try spawnAndWait([
            Self.sqlite3CLI, path, "PRAGMA cache_size = 2;" + Self.tornSQL, ".shell kill -KILL $PPID",
            "COMMIT;",
        ])
        #expect(status == SIGKILL, "sqlite3 should have died of SIGKILL, status \(status)")
        #expect(SystemFile.size(path + "-wal") > 0)  // the torn frames are there…
        try expectConsistent(path, log)  // …and invisible
    }

    /// Runs a process; returns the signal that killed it, or 1000 + exit code.
    func spawnAndWait(_ argv: [String]) throws -> Int32 {
        var pid = pid_t()
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        let rc = posix_spawn(&pid, argv[0], nil, nil, &cArgs, environ)
        try #require(rc == 0, "posix_spawn failed: \(rc)")
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let signal = status & 0x7f
        return signal != 0 ? signal : 1000 + ((status >> 8) & 0xff)
    }
}

enum SystemFile {
    static func size(_ path: String) -> Int64 {
        var st = stat()
        return stat(path, &st) == 0 ? Int64(st.st_size) : -1
    }
}
