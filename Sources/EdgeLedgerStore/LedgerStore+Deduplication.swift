import CSQLite
import EdgeLedgerCore

/// The writer's deduplication setting and what its tables hold (under the store's lock).
struct DedupState {
    var setting: ReadingDeduplication
    /// Rows in `dedup_keys`.
    var keys: Int
    /// Rows in `duplicates`.
    var records: Int
}

/// What deduplication did inside one fold's transaction; applied to ``DedupState`` only after
/// the commit.
struct DedupTally {
    var report = DedupFoldReport()
    var keys: Int
    var records: Int
    var used = false
    /// Latest receive time among the keyed readings: the clock of the window.
    var now: Int64 = .min
}

/// What the fold does with one reading on a deduplicated store.
enum DedupVerdict {
    /// Append it; remember `key` (when it has one) for the new entry, `replacing` the row of
    /// the same key whose window ended.
    case append(key: Hash32?, expiresAt: Int64, replacing: Bool)
    /// Recorded as a duplicate; do not append.
    case duplicate
}

extension LedgerStore {
    /// Meta key of the count of every duplicate recorded (rows of `duplicates` are bounded).
    static let duplicatesTotalKey = "duplicates_total"

    /// Deduplicates the readings folded from now on as `setting` says (`nil`: off, the
    /// default). Call before the ingest journal is opened, so that its replay is deduplicated
    /// too. Forgets keys past `maxKeys` at once.
    public func configureDeduplication(_ setting: ReadingDeduplication?) throws(StoreError) {
        try writer.withLock { (w) throws(StoreError) in
            guard let setting else {
                w.dedup = nil
                return
            }
            let keys = Int(try w.db.scalar("SELECT count(*) FROM dedup_keys", "counting deduplication keys") ?? 0)
            let records = Int(try w.db.scalar("SELECT count(*) FROM duplicates", "counting duplicates") ?? 0)
            w.dedup = DedupState(setting: setting, keys: keys, records: records)
            var tally = DedupTally(keys: keys, records: records)
            try w.db.transaction(immediate: true, "bounding the deduplication tables") { () throws(StoreError) in
                try w.enforceDedupBounds(&tally)
            }
            w.dedup?.keys = tally.keys
            w.dedup?.records = tally.records
        }
    }

    /// Keys remembered now (0 when deduplication is off).
    public var dedupKeyCount: Int { writer.withLock { $0.dedup?.keys ?? 0 } }
}

extension LedgerWriter {
    /// Looks `reading`'s key up; records it as a duplicate when its key was stored within the
    /// window. Call inside the fold's transaction, before appending.
    func dedupVerdict(_ reading: ReadingInput, _ tally: inout DedupTally) throws(StoreError) -> DedupVerdict {
        guard let state = dedup else { return .append(key: nil, expiresAt: 0, replacing: false) }
        switch state.setting.key(reading) {
        case .none:
            return .append(key: nil, expiresAt: 0, replacing: false)
        case .missing:
            tally.used = true
            tally.report.missingKeys += 1
            return .append(key: nil, expiresAt: 0, replacing: false)
        case .key(let key, let window):
            tally.used = true
            tally.now = max(tally.now, reading.receivedAt)
            let find = try db.statement("SELECT idx, expires_at FROM dedup_keys WHERE key = ?1")
            find.bind(1, hash: key)
            let found = try find.step("looking up a deduplication key")
            let original = found ? find.uint64(0) : 0
            let expiresAt = found ? find.int64(1) : 0
            find.reset()
            guard found, expiresAt >= reading.receivedAt else {
                return .append(key: key, expiresAt: reading.receivedAt &+ window, replacing: found)
            }
            let duplicate = DuplicateReading(
                receivedAt: reading.receivedAt, topic: reading.topic, key: key, originalIndex: original)
            let insert = try db.statement(
                "INSERT INTO duplicates(received_at, topic, key, original_idx) VALUES (?1, ?2, ?3, ?4)")
            insert.bind(1, duplicate.receivedAt)
            insert.bind(2, duplicate.topic)
            insert.bind(3, hash: key)
            insert.bind(4, original)
            try insert.run("recording a duplicate reading")
            tally.records += 1
            tally.report.duplicates += 1
            if tally.report.firstDuplicate == nil { tally.report.firstDuplicate = duplicate }
            return .duplicate
        }
    }

    /// Remembers `key` for entry `index` (replacing an expired row of the same key).
    func rememberKey(
        _ key: Hash32, index: UInt64, at receivedAt: Int64, expiresAt: Int64, replacing: Bool, _ tally: inout DedupTally
    ) throws(StoreError) {
        let upsert = try db.statement(
            "INSERT INTO dedup_keys(key, idx, first_seen, expires_at) VALUES (?1, ?2, ?3, ?4) "
                + "ON CONFLICT(key) DO UPDATE SET idx = excluded.idx, first_seen = excluded.first_seen, "
                + "expires_at = excluded.expires_at")
        upsert.bind(1, hash: key)
        upsert.bind(2, index)
        upsert.bind(3, receivedAt)
        upsert.bind(4, expiresAt)
        try upsert.run("remembering a deduplication key")
        if !replacing { tally.keys += 1 }
    }

    /// Ends a fold that used keys, inside its transaction: forgets expired keys, enforces the
    /// bounds and counts the duplicates in `meta`.
    func finishDedup(_ tally: inout DedupTally) throws(StoreError) {
        guard tally.used else { return }
        let expire = try db.statement("DELETE FROM dedup_keys WHERE expires_at < ?1")
        expire.bind(1, tally.now)
        try expire.run("forgetting expired deduplication keys")
        let expired = Int(sqlite3_changes(db.handle))
        tally.keys -= expired
        tally.report.expiredKeys += expired
        try enforceDedupBounds(&tally)
        if tally.report.duplicates > 0 {
            let total = try Schema.meta(db, LedgerStore.duplicatesTotalKey).flatMap { UInt64($0) } ?? 0
            try Schema.setMeta(db, LedgerStore.duplicatesTotalKey, String(total + UInt64(tally.report.duplicates)))
        }
    }

    /// Forgets the keys closest to expiry past ``ReadingDeduplication/maxKeys`` (down to 95 %),
    /// and deletes the oldest `duplicates` rows past ``ReadingDeduplication/maxRecords``.
    func enforceDedupBounds(_ tally: inout DedupTally) throws(StoreError) {
        guard let setting = dedup?.setting else { return }
        if tally.keys > setting.maxKeys {
            let evict = try db.statement(
                "DELETE FROM dedup_keys WHERE key IN (SELECT key FROM dedup_keys ORDER BY expires_at LIMIT ?1)")
            evict.bind(1, Int64(tally.keys - (setting.maxKeys - setting.maxKeys / 20)))
            try evict.run("forgetting the oldest deduplication keys")
            let evicted = Int(sqlite3_changes(db.handle))
            tally.keys -= evicted
            tally.report.evictedKeys += evicted
        }
        if tally.records > setting.maxRecords {
            let excess = tally.records - (setting.maxRecords - setting.maxRecords / 20)
            let delete = try db.statement(
                "DELETE FROM duplicates WHERE id <= (SELECT max(id) FROM (SELECT id FROM duplicates ORDER BY id LIMIT ?1))"
            )
            delete.bind(1, Int64(excess))
            try delete.run("deleting the oldest duplicate records")
            tally.records -= Int(sqlite3_changes(db.handle))
        }
    }

    /// Applies a committed fold's tally; returns the report for ``ReadingDeduplication/onFold``.
    func commitDedup(_ tally: DedupTally) -> (DedupFoldReport, (@Sendable (DedupFoldReport) -> Void)?)? {
        guard tally.used, dedup != nil else { return nil }
        dedup!.keys = tally.keys
        dedup!.records = tally.records
        var report = tally.report
        report.keys = tally.keys
        return (report, dedup!.setting.onFold)
    }
}
