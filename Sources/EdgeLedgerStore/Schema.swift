import CSQLite
import EdgeLedgerCore

/// The store's SQL schema and its versioned migrations (`PRAGMA user_version`).
///
/// Migration `n` (1-based) brings a store from version `n-1` to `n` inside one transaction;
/// a store newer than ``version`` is refused, never downgraded.
package enum Schema {
    /// `PRAGMA application_id` of EdgeLedger stores: "EDLG".
    package static let applicationID: Int32 = 0x4544_4C47
    /// The schema version this build writes and reads.
    package static var version: Int { migrations.count }

    /// Migration scripts; index 0 creates schema version 1.
    package static let migrations: [String] = [
        """
        CREATE TABLE meta(
            key   TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        -- One row per log entry. entry: format-v1 bytes (docs/FORMAT.md), NULL once retention
        -- pruned it; leaf_hash: H(0x00 || entry), kept forever; received_at: Unix ns (retention).
        CREATE TABLE entries(
            idx         INTEGER PRIMARY KEY,
            entry       BLOB,
            leaf_hash   BLOB NOT NULL,
            received_at INTEGER NOT NULL
        );
        -- C2SP tlog-tiles hash tiles at their widest stored width; narrower (older) partial
        -- tiles are prefixes of these.
        CREATE TABLE tiles(
            level  INTEGER NOT NULL,
            idx    INTEGER NOT NULL,
            width  INTEGER NOT NULL CHECK (width BETWEEN 1 AND 256),
            hashes BLOB NOT NULL,
            PRIMARY KEY (level, idx)
        );
        -- Signed checkpoints; note is the complete C2SP signed note with every signature line.
        CREATE TABLE checkpoints(
            size       INTEGER PRIMARY KEY,
            root       BLOB NOT NULL,
            note       TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE cosignatures(
            checkpoint_size INTEGER NOT NULL,
            witness         TEXT NOT NULL,
            line            TEXT NOT NULL,
            received_at     INTEGER NOT NULL,
            PRIMARY KEY (checkpoint_size, witness)
        ) WITHOUT ROWID;
        CREATE TABLE rejected(
            id          INTEGER PRIMARY KEY,
            received_at INTEGER NOT NULL,
            topic       TEXT NOT NULL,
            reason      TEXT NOT NULL,
            size        INTEGER NOT NULL,
            head        BLOB NOT NULL
        );
        CREATE INDEX rejected_by_time ON rejected(received_at);
        CREATE TABLE upstreams(
            name                 TEXT PRIMARY KEY NOT NULL,
            acked_size           INTEGER NOT NULL DEFAULT 0,
            acked_root           BLOB,
            acked_at             INTEGER,
            last_push_at         INTEGER,
            last_pushed_size     INTEGER NOT NULL DEFAULT 0,
            last_push_result     TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            next_attempt_at      INTEGER
        ) WITHOUT ROWID;
        """,
        // Version 2: ingest journal damage found by replay (see JournalDamage), shown by
        // `edge-ledger status` until acknowledged.
        """
        CREATE TABLE journal_damage(
            id              INTEGER PRIMARY KEY,
            kind            TEXT NOT NULL,
            segment         TEXT NOT NULL,
            byte_offset     INTEGER NOT NULL,
            byte_length     INTEGER NOT NULL,
            reason          TEXT NOT NULL,
            checksum        INTEGER NOT NULL,
            first_lost_seq  INTEGER,
            last_lost_seq   INTEGER,
            quarantine      TEXT NOT NULL,
            detected_at     INTEGER NOT NULL,
            acknowledged_at INTEGER,
            UNIQUE (segment, byte_offset, checksum)
        );
        """,
        // Version 3: what each upstream fetched with its own credential (acknowledgements are
        // proof of possession; retention never passes it).
        """
        -- Per upstream: every entry below fetched_below was served to that upstream's own
        -- credential (GET /tile/entries/...). Retention never prunes past it, whatever the
        -- upstream acknowledges. Upstreams that acknowledged before this version start at their
        -- acknowledged size.
        CREATE TABLE upstream_fetches(
            name          TEXT PRIMARY KEY NOT NULL,
            fetched_below INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        INSERT INTO upstream_fetches(name, fetched_below) SELECT name, acked_size FROM upstreams;
        """,
        // Version 4: deduplication of redelivered readings (LedgerStore+Deduplication).
        """
        -- The keys of recently stored readings on topics with `dedup`: key is SHA-256 of the
        -- reading's key, idx the entry that stored it, expires_at (Unix ns) the end of its window.
        CREATE TABLE dedup_keys(
            key        BLOB PRIMARY KEY NOT NULL,
            idx        INTEGER NOT NULL,
            first_seen INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX dedup_keys_by_expiry ON dedup_keys(expires_at);
        -- Readings dropped as duplicates of entry original_idx (the newest rows; the total count
        -- is meta duplicates_total).
        CREATE TABLE duplicates(
            id           INTEGER PRIMARY KEY,
            received_at  INTEGER NOT NULL,
            topic        TEXT NOT NULL,
            key          BLOB NOT NULL,
            original_idx INTEGER NOT NULL
        );
        CREATE INDEX duplicates_by_time ON duplicates(received_at);
        """,
    ]

    /// Brings the writer connection's database to ``version``, creating it when new, and checks
    /// that it is an EdgeLedger store built with `algorithm`.
    ///
    /// Call ``checkWritable(_:)`` first, then switch the journal to WAL, then this.
    package static func migrate(_ db: SQLiteConnection, algorithm: HashAlgorithm, now: Int64) throws(StoreError) {
        let userVersion = try checkWritable(db)
        if userVersion < version {
            try db.transaction(immediate: true, "migrating the store schema") { () throws(StoreError) in
                // Re-read inside the write lock: another process may have migrated meanwhile.
                let current = Int(try db.scalar("PRAGMA user_version", "reading the schema version") ?? 0)
                guard current < version else { return }
                for n in current..<version {
                    try db.execute(migrations[n], "migrating the store schema to version \(n + 1)")
                }
                if current == 0 {
                    try db.execute("PRAGMA application_id = \(applicationID)", "marking the file as a ledger store")
                    let insert = try db.statement("INSERT INTO meta(key, value) VALUES (?1, ?2)")
                    for (key, value) in [
                        ("hash_algorithm", algorithm.rawValue), ("entry_format", "1"),
                        ("tile_height", "8"), ("created_at", String(now)),
                    ] {
                        insert.bind(1, key)
                        insert.bind(2, value)
                        try insert.run("writing store metadata")
                    }
                }
                try db.execute("PRAGMA user_version = \(version)", "recording the schema version")
            }
        }
        try checkAlgorithm(db, algorithm)
    }

    /// The header check for the writer: the file is empty (new), or an EdgeLedger store of a
    /// version this build can read or migrate. Returns its schema version.
    @discardableResult
    package static func checkWritable(_ db: SQLiteConnection) throws(StoreError) -> Int {
        let (appID, userVersion) = try readHeader(db)
        if userVersion == 0 {
            let objects = try db.scalar("SELECT count(*) FROM sqlite_schema", "reading the schema") ?? 0
            guard appID == 0 && objects == 0 || appID == applicationID else {
                throw notALedger(db.path)
            }
        } else {
            guard appID == applicationID else { throw notALedger(db.path) }
        }
        try refuseNewer(userVersion, path: db.path)
        return userVersion
    }

    /// Checks a store opened without migrating (readers): it must be an EdgeLedger store of a
    /// version this build reads.
    package static func checkReadable(_ db: SQLiteConnection) throws(StoreError) {
        let (appID, userVersion) = try readHeader(db)
        guard appID == applicationID, userVersion > 0 else { throw notALedger(db.path) }
        try refuseNewer(userVersion, path: db.path)
    }

    /// The stored hash algorithm.
    package static func storedAlgorithm(_ db: SQLiteConnection) throws(StoreError) -> HashAlgorithm {
        guard let text = try meta(db, "hash_algorithm") else {
            throw StoreError(
                .corrupt, "\(db.path) has no hash_algorithm in its meta table",
                hint: "the store is damaged; run `edge-ledger verify --db \(db.path)`")
        }
        guard let algorithm = HashAlgorithm(rawValue: text) else {
            throw StoreError(
                .newerSchema, "\(db.path) uses hash algorithm \"\(text)\", which this build does not know",
                hint: "upgrade edge-ledger")
        }
        return algorithm
    }

    package static func checkAlgorithm(_ db: SQLiteConnection, _ algorithm: HashAlgorithm) throws(StoreError) {
        let stored = try storedAlgorithm(db)
        guard stored == algorithm else {
            throw StoreError(
                .wrongHashAlgorithm,
                "ledger store \(db.path) is hashed with \(stored.rawValue), but \(algorithm.rawValue) was requested",
                hint: "a log never mixes hash algorithms: set the hash back to \(stored.rawValue), "
                    + "or point storage.path at a new file for a \(algorithm.rawValue) log")
        }
    }

    package static func meta(_ db: SQLiteConnection, _ key: String) throws(StoreError) -> String? {
        let s = try db.statement("SELECT value FROM meta WHERE key = ?1")
        defer { s.reset() }
        s.bind(1, key)
        guard try s.step("reading store metadata") else { return nil }
        return s.text(0)
    }

    package static func setMeta(_ db: SQLiteConnection, _ key: String, _ value: String) throws(StoreError) {
        let s = try db.statement(
            "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        s.bind(1, key)
        s.bind(2, value)
        try s.run("writing store metadata")
    }

    /// Reads `application_id` and `user_version`; this is also the cheap header check (a file
    /// that is not SQLite fails here with SQLITE_NOTADB).
    private static func readHeader(_ db: SQLiteConnection) throws(StoreError) -> (Int32, Int) {
        let appID = Int32(truncatingIfNeeded: try db.scalar("PRAGMA application_id", "reading the file header") ?? 0)
        let userVersion = Int(try db.scalar("PRAGMA user_version", "reading the file header") ?? 0)
        return (appID, userVersion)
    }

    private static func refuseNewer(_ userVersion: Int, path: String) throws(StoreError) {
        guard userVersion <= version else {
            throw StoreError(
                .newerSchema,
                "ledger store \(path) has schema version \(userVersion); this edge-ledger reads up to \(version)",
                hint: "upgrade edge-ledger (a newer version created or migrated this store)")
        }
    }

    private static func notALedger(_ path: String) -> StoreError {
        StoreError(
            .notALedger, "\(path) is an SQLite database but not an EdgeLedger store",
            hint: "point storage.path at an EdgeLedger store or at a new file")
    }
}
