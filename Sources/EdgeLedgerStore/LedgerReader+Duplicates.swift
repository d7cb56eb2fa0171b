extension LedgerReader {
    /// Duplicates the store recorded instead of entries (``ReadingDeduplication``).
    public struct DuplicateCounts: Sendable, Equatable {
        /// Every duplicate ever recorded (`meta` `duplicates_total`).
        public var total: UInt64
        /// Rows still in the `duplicates` table received at or after the `since` asked for.
        public var since: Int
        /// Keys remembered now.
        public var keys: Int

        /// Creates counts.
        public init(total: UInt64, since: Int, keys: Int) {
            self.total = total
            self.since = since
            self.keys = keys
        }
    }

    /// The duplicates recorded: the total, those received at or after `since` (Unix ns) and the
    /// keys remembered. Zeros for a store from before deduplication (schema version 3).
    public func duplicateCounts(since: Int64 = .min) throws(StoreError) -> DuplicateCounts {
        try withConnection { (db) throws(StoreError) in
            let tables = try db.scalar(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('duplicates', 'dedup_keys')",
                "looking for the duplicates table")
            guard tables == 2 else { return DuplicateCounts(total: 0, since: 0, keys: 0) }
            let total = try Schema.meta(db, LedgerStore.duplicatesTotalKey).flatMap { UInt64($0) } ?? 0
            let s = try db.statement("SELECT count(*) FROM duplicates WHERE received_at >= ?1")
            defer { s.reset() }
            s.bind(1, since)
            _ = try s.step("counting duplicate readings")
            let keys = try db.scalar("SELECT count(*) FROM dedup_keys", "counting deduplication keys") ?? 0
            return DuplicateCounts(total: total, since: Int(s.int64(0)), keys: Int(keys))
        }
    }

    /// The most recent duplicates recorded, newest first.
    public func recentDuplicates(limit: Int = 100) throws(StoreError) -> [DuplicateReading] {
        try withConnection { (db) throws(StoreError) in
            let s = try db.statement(
                "SELECT received_at, topic, key, original_idx FROM duplicates ORDER BY id DESC LIMIT ?1")
            defer { s.reset() }
            s.bind(1, max(0, limit))
            var out: [DuplicateReading] = []
            while try s.step("reading duplicate readings") {
                guard let key = s.hash(2) else { continue }
                out.append(
                    DuplicateReading(
                        receivedAt: s.int64(0), topic: s.text(1) ?? "", key: key, originalIndex: s.uint64(3)))
            }
            return out
        }
    }
}
