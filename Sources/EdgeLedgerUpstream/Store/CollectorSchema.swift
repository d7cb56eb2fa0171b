import EdgeLedgerStore
import EdgeLedgerSystem

/// The reference upstream's SQL schema (`PRAGMA user_version` migrations), separate from a
/// gateway ledger's: one file holds the witness state, every collected gateway log (entries and
/// hash tiles), the verified checkpoints and the anchoring queue.
enum CollectorSchema {
    /// `PRAGMA application_id` of upstream stores: "EDLU".
    static let applicationID: Int32 = 0x4544_4C55
    /// The schema version this build writes and reads.
    static var version: Int { migrations.count }

    static let migrations: [String] = [
        """
        CREATE TABLE meta(
            key   TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        -- tlog-witness: the latest cosigned checkpoint per log origin.
        CREATE TABLE witness_logs(
            origin     TEXT PRIMARY KEY NOT NULL,
            size       INTEGER NOT NULL,
            root       BLOB NOT NULL,
            note       TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        -- Collected gateway logs. Entries below verified_size match the verified checkpoint;
        -- entries verified_size ..< staged_size are staged (fetched, not yet verified).
        CREATE TABLE gateways(
            id             INTEGER PRIMARY KEY,
            origin         TEXT NOT NULL UNIQUE,
            hash_algorithm TEXT NOT NULL,
            verified_size  INTEGER NOT NULL DEFAULT 0,
            verified_root  BLOB,
            verified_note  TEXT,
            verified_at    INTEGER,
            staged_size    INTEGER NOT NULL DEFAULT 0,
            acked_size     INTEGER NOT NULL DEFAULT 0,
            acked_at       INTEGER
        );
        -- Entries as C2SP tlog-tiles entry bundles (u16 length || entry, repeated): bundle idx
        -- holds entries idx*256 ..< idx*256+width; only the rightmost bundle is partial, and it
        -- is replaced by a wider one as the log grows. One row per 256 entries keeps catch-up
        -- fast, and lets the upstream serve the bundles unchanged.
        CREATE TABLE bundles(
            gateway INTEGER NOT NULL,
            idx     INTEGER NOT NULL,
            width   INTEGER NOT NULL CHECK (width BETWEEN 1 AND 256),
            data    BLOB NOT NULL,
            PRIMARY KEY (gateway, idx)
        ) WITHOUT ROWID;
        -- Hash tiles of each collected log at its staged size (C2SP tlog-tiles layout).
        CREATE TABLE tiles(
            gateway INTEGER NOT NULL,
            level   INTEGER NOT NULL,
            idx     INTEGER NOT NULL,
            width   INTEGER NOT NULL CHECK (width BETWEEN 1 AND 256),
            hashes  BLOB NOT NULL,
            PRIMARY KEY (gateway, level, idx)
        ) WITHOUT ROWID;
        CREATE TABLE checkpoints(
            gateway     INTEGER NOT NULL,
            size        INTEGER NOT NULL,
            root        BLOB NOT NULL,
            note        TEXT NOT NULL,
            verified_at INTEGER NOT NULL,
            PRIMARY KEY (gateway, size)
        ) WITHOUT ROWID;
        -- Durable anchoring queue: one job per verified checkpoint.
        CREATE TABLE anchor_queue(
            id              INTEGER PRIMARY KEY,
            gateway         INTEGER NOT NULL,
            size            INTEGER NOT NULL,
            document        TEXT NOT NULL,
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            last_error      TEXT,
            created_at      INTEGER NOT NULL,
            done_at         INTEGER
        );
        CREATE INDEX anchor_pending ON anchor_queue(next_attempt_at) WHERE done_at IS NULL;
        """,
        // One view per origin (DESIGN 11): every checkpoint the witness cosigned, so the collector
        // can check each verified tree against the largest cosigned size it covers; and the proof
        // of equivocation when the two views of an origin disagree (a fork alarm: anchoring of
        // that origin stops and the witness refuses to cosign it while a row exists).
        """
        CREATE TABLE witness_checkpoints(
            origin      TEXT NOT NULL,
            size        INTEGER NOT NULL,
            root        BLOB NOT NULL,
            note        TEXT NOT NULL,
            cosigned_at INTEGER NOT NULL,
            PRIMARY KEY (origin, size)
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO witness_checkpoints(origin, size, root, note, cosigned_at)
            SELECT origin, size, root, note, updated_at FROM witness_logs;
        CREATE TABLE fork_evidence(
            id             INTEGER PRIMARY KEY,
            origin         TEXT NOT NULL,
            detected_by    TEXT NOT NULL,
            witness_size   INTEGER NOT NULL,
            witness_root   BLOB NOT NULL,
            witness_note   TEXT NOT NULL,
            collected_size INTEGER NOT NULL,
            collected_root BLOB NOT NULL,
            collected_note TEXT NOT NULL,
            detail         TEXT NOT NULL,
            detected_at    INTEGER NOT NULL
        );
        CREATE INDEX fork_evidence_origin ON fork_evidence(origin);
        """,
        // The fleet (issue 13): the gateway registry (enrolled without restarts: enabled, mode and
        // the gateway's settings as its `[[gateways]]` entry; `revision` grows with each change so
        // every instance notices), the collection lease with its fencing token, and claims on
        // anchoring jobs (one instance runs a job at a time).
        """
        ALTER TABLE gateways ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE gateways ADD COLUMN mode TEXT NOT NULL DEFAULT 'pull';
        ALTER TABLE gateways ADD COLUMN settings TEXT;
        ALTER TABLE gateways ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE gateways ADD COLUMN enrolled_at INTEGER;
        ALTER TABLE gateways ADD COLUMN lease_holder TEXT;
        ALTER TABLE gateways ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE gateways ADD COLUMN lease_expires_at INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE anchor_queue ADD COLUMN claimed_by TEXT;
        ALTER TABLE anchor_queue ADD COLUMN claim_expires_at INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE upstream_instances(
            id           TEXT PRIMARY KEY NOT NULL,
            started_at   INTEGER NOT NULL,
            heartbeat_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
        // Push (issue 14, C2SP tlog-mirror): the pending checkpoints gateways set with the
        // mirror's add-checkpoint, by size; entries uploaded against them go to the collected
        // log's tables like pulled ones.
        """
        CREATE TABLE mirror_checkpoints(
            origin   TEXT NOT NULL,
            size     INTEGER NOT NULL,
            root     BLOB NOT NULL,
            note     TEXT NOT NULL,
            added_at INTEGER NOT NULL,
            PRIMARY KEY (origin, size)
        ) WITHOUT ROWID;
        """,
    ]

    /// Refuses files that are not upstream stores, or are newer than this build.
    static func check(_ db: SQLiteConnection) throws(StoreError) {
        let appID = Int32(truncatingIfNeeded: try db.scalar("PRAGMA application_id", "reading the file header") ?? 0)
        let userVersion = Int(try db.scalar("PRAGMA user_version", "reading the file header") ?? 0)
        if userVersion == 0 {
            let objects = try db.scalar("SELECT count(*) FROM sqlite_schema", "reading the schema") ?? 0
            guard appID == 0 && objects == 0 || appID == applicationID else { throw notAnUpstreamStore(db.path, appID) }
        } else {
            guard appID == applicationID else { throw notAnUpstreamStore(db.path, appID) }
        }
        guard userVersion <= version else {
            throw StoreError(
                .newerSchema,
                "upstream store \(db.path) has schema version \(userVersion); this edge-ledger reads up to \(version)",
                hint: "upgrade edge-ledger (a newer version created or migrated this store)")
        }
    }

    /// Creates or migrates the store; refuses files that are not upstream stores.
    static func migrate(_ db: SQLiteConnection, now: Int64) throws(StoreError) {
        try check(db)
        let userVersion = Int(try db.scalar("PRAGMA user_version", "reading the file header") ?? 0)
        guard userVersion < version else { return }
        try db.transaction(immediate: true, "migrating the upstream store schema") { () throws(StoreError) in
            let current = Int(try db.scalar("PRAGMA user_version", "reading the schema version") ?? 0)
            guard current < version else { return }
            for n in current..<version {
                try db.execute(migrations[n], "migrating the upstream store schema to version \(n + 1)")
            }
            if current == 0 {
                try db.execute("PRAGMA application_id = \(applicationID)", "marking the file as an upstream store")
                try Schema.setMeta(db, "created_at", String(now))
            }
            try db.execute("PRAGMA user_version = \(version)", "recording the schema version")
        }
    }

    private static func notAnUpstreamStore(_ path: String, _ appID: Int32) -> StoreError {
        if appID == Schema.applicationID {
            return StoreError(
                .notALedger, "\(path) is a gateway ledger store, not an upstream store",
                hint: "point the upstream's storage.path at its own file")
        }
        return StoreError(
            .notALedger, "\(path) is an SQLite database but not an EdgeLedger upstream store",
            hint: "point storage.path at an upstream store or at a new file")
    }
}
