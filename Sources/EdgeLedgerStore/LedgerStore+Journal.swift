import CSQLite
import EdgeLedgerSystem

extension LedgerStore {
    /// The highest journal sequence number whose reading is in the store (0: none yet).
    var journalSeq: UInt64 {
        get throws(StoreError) {
            try writer.withLock { (w) throws(StoreError) -> UInt64 in
                try Schema.meta(w.db, LedgerWriter.journalSeqKey).flatMap { UInt64($0) } ?? 0
            }
        }
    }

    /// Appends the readings and records the rejections of `items` in one transaction, and
    /// records the highest journal sequence number among them: all or nothing. Under a quota
    /// with the drop policy, room is made first (see `configureQuota`).
    ///
    /// - Parameter pastQuota: when the quota refuses the fold, fold anyway past it
    ///   (``LedgerWriter/FoldResult/pastQuota`` says so). For readings whose acknowledgement
    ///   already left: the quota stops *acknowledging* new readings; what was acknowledged must
    ///   reach the store (the final fold at shutdown, the replay at start). A full disk still
    ///   refuses.
    func fold(_ items: [JournalItem], pastQuota: Bool = false) throws(StoreError) -> LedgerWriter.FoldResult {
        try writer.withLock { (w) throws(StoreError) -> LedgerWriter.FoldResult in
            do throws(StoreError) {
                return try w.makingRoom { () throws(StoreError) -> LedgerWriter.FoldResult in try w.fold(items) }
            } catch  where pastQuota && error.kind == .diskFull {
                var result = try w.liftingQuota { () throws(StoreError) -> LedgerWriter.FoldResult in
                    try w.fold(items)
                }
                result.pastQuota = true
                return result
            }
        }
    }
}

extension LedgerWriter {
    static let journalSeqKey = "journal_seq"

    /// What one fold stored.
    struct FoldResult: Sendable {
        var entries = 0
        var rejected = 0
        /// Readings that could not become entries (kept as rejected rows instead).
        var invalid = 0
        /// Readings recorded as duplicates instead of entries (``ReadingDeduplication``).
        var duplicates = 0
        /// The highest journal sequence number folded, 0 when none was journaled.
        var lastSeq: UInt64 = 0
        /// The quota refused this fold and it was folded past it (``LedgerStore/fold(_:pastQuota:)``).
        var pastQuota = false
    }

    /// Runs `append` with SQLite's page cap (the quota) lifted, then puts the cap back. SQLite
    /// never lowers the cap below the file's size, so a store grown past its quota stays
    /// capped at that size: it refuses new pages until room is freed.
    func liftingQuota<R>(_ append: () throws(StoreError) -> R) throws(StoreError) -> R {
        let cap = try db.scalar("PRAGMA max_page_count", "reading the store quota") ?? 0xFFFF_FFFE
        _ = try db.scalar("PRAGMA max_page_count = 4294967294", "lifting the store quota")
        defer { _ = try? db.scalar("PRAGMA max_page_count = \(cap)", "restoring the store quota") }
        return try append()
    }

    func fold(_ items: [JournalItem]) throws(StoreError) -> FoldResult {
        var result = FoldResult()
        var index = nextIndex
        var pruned: RejectedPruneResult? = nil
        var tally = DedupTally(keys: dedup?.keys ?? 0, records: dedup?.records ?? 0)
        let db = self.db
        try db.transaction(immediate: true, "folding \(items.count) journaled readings at entry \(nextIndex)") {
            () throws(StoreError) in
            for item in items {
                switch item {
                case .reading(let reading, let seq):
                    result.lastSeq = max(result.lastSeq, seq)
                    let verdict = dedup == nil ? nil : try dedupVerdict(reading, &tally)
                    if case .duplicate = verdict {
                        result.duplicates += 1
                        continue
                    }
                    do throws(StoreError) {
                        try insert(try makeEntry(reading, index: index))
                        if case .append(let key?, let expiresAt, let replacing) = verdict {
                            try rememberKey(
                                key, index: index, at: reading.receivedAt, expiresAt: expiresAt, replacing: replacing,
                                &tally)
                        }
                        index += 1
                        result.entries += 1
                    } catch  where error.kind == .invalidReading {
                        // Ingest validates first; a reading that still cannot be an entry must not
                        // block every reading behind it.
                        try insertRejected(
                            RejectedReading(
                                receivedAt: reading.receivedAt, topic: reading.topic,
                                reason: "invalid_entry: \(error.message)", payload: reading.payload))
                        result.invalid += 1
                    }
                case .rejected(let rejected):
                    try insertRejected(rejected)
                    result.rejected += 1
                }
            }
            if result.lastSeq > 0 {
                try Schema.setMeta(db, Self.journalSeqKey, String(result.lastSeq))
            }
            try finishDedup(&tally)
            if result.rejected + result.invalid > 0 {
                pruned = try enforceRejectedBounds(now: SystemClock.nowNanoseconds())
            }
        }
        nextIndex = index
        if let pruned { rejectedBounds?.onPrune?(pruned) }
        if let (report, onFold) = commitDedup(tally) { onFold?(report) }
        return result
    }

    /// Inserts a rejected-reading row; returns its row id.
    @discardableResult
    func insertRejected(_ rejected: RejectedReading) throws(StoreError) -> Int64 {
        let s = try db.statement(
            "INSERT INTO rejected(received_at, topic, reason, size, head) VALUES (?1, ?2, ?3, ?4, ?5)")
        s.bind(1, rejected.receivedAt)
        s.bind(2, rejected.topic)
        s.bind(3, rejected.reason)
        s.bind(4, rejected.size)
        s.bind(5, blob: Array(rejected.head.prefix(RejectedReading.headLimit)))
        try s.run("recording a rejected reading")
        countRejectedRow(rejected)
        return sqlite3_last_insert_rowid(db.handle)
    }
}
