import CSQLite
import EdgeLedgerCore

/// What one retention or quota pass did. Never silent: every pruned entry is counted here.
public struct PruneResult: Sendable, Hashable {
    /// Why a pass pruned nothing without looking at any entry.
    public enum Skipped: Sendable, Hashable {
        /// No upstream is marked `required_for_retention`: payloads nobody else holds are kept.
        case noRequiredUpstreams
    }

    /// Set when the pass did not run at all.
    public var skipped: Skipped?
    /// Entries whose payload this pass set to NULL (their leaf hashes stay).
    public var prunedEntries: UInt64
    /// Entries below this index were eligible by acknowledgement: the smallest acknowledged size
    /// of the required upstreams, at most the sealed size.
    public var acknowledgedBelow: UInt64
    /// Every entry below this index has no payload any more (persisted watermark).
    public var prunedBelow: UInt64
    /// Database pages returned to the operating system by incremental vacuum.
    public var pagesReleased: Int64
    /// Free pages left inside the file (reused by later appends).
    public var freePages: Int64
    /// Whether freed space can be returned to the OS: `false` for a store created before
    /// `auto_vacuum = INCREMENTAL` existed; its freed pages are reused but the file never shrinks
    /// (a one-off offline `VACUUM` with `PRAGMA auto_vacuum = INCREMENTAL` converts it).
    public var incrementalVacuum: Bool

    public init(
        skipped: Skipped? = nil, prunedEntries: UInt64 = 0, acknowledgedBelow: UInt64 = 0, prunedBelow: UInt64 = 0,
        pagesReleased: Int64 = 0, freePages: Int64 = 0, incrementalVacuum: Bool = false
    ) {
        self.skipped = skipped
        self.prunedEntries = prunedEntries
        self.acknowledgedBelow = acknowledgedBelow
        self.prunedBelow = prunedBelow
        self.pagesReleased = pagesReleased
        self.freePages = freePages
        self.incrementalVacuum = incrementalVacuum
    }
}

/// The overflow policy the writer applies when an append hits the quota.
struct QuotaOverflow {
    /// `drop-oldest-acked`: prune acknowledged payloads and retry; otherwise fail (backpressure).
    var dropOldestAcknowledged: Bool
    var requiredUpstreams: [String]
    var quotaBytes: Int64?
    /// Called (under the write lock: keep it short) after each drop, with what was dropped.
    var onDrop: (@Sendable (PruneResult) -> Void)?
    /// Entries dropped to make room since the store was opened.
    var dropped: UInt64 = 0
}

extension LedgerStore {
    /// Rows updated per write transaction of a pruning pass: the write lock (and so ingest) is
    /// held for one chunk at a time.
    public static let pruneChunkRows: UInt64 = 10_000
    /// Pages released per `incremental_vacuum` step (one write-lock hold each).
    static let vacuumStepPages = 2_048

    /// Prunes entry payloads (sets `entries.entry` to NULL) of every entry that
    /// - lies below the smallest acknowledged size of the `requiredUpstreams` (an upstream that
    ///   never acknowledged counts as 0) and below the sealed size, and
    /// - was received before `now − minAge`.
    ///
    /// Leaf hashes, tiles and checkpoints stay: proofs keep working and `verify` counts pruned
    /// entries. With no required upstream nothing is pruned (``PruneResult/skipped``).
    ///
    /// Works from the persisted watermark (``PruneResult/prunedBelow``) in transactions of
    /// ``pruneChunkRows`` rows, releasing the write lock in between, and stops at the first chunk
    /// that still holds a payload too young to prune (receive times are nearly monotonic; an
    /// older entry behind it is pruned on a later pass). Then returns freed pages to the OS with
    /// `PRAGMA incremental_vacuum` when the store has `auto_vacuum = INCREMENTAL` (every store
    /// created by this version).
    ///
    /// - Parameter now: the current time, Unix nanoseconds.
    public func prune(requiredUpstreams: [String], minAge: Duration, now: Int64) throws(StoreError) -> PruneResult {
        guard !requiredUpstreams.isEmpty else {
            return try withVacuumInfo(PruneResult(skipped: .noRequiredUpstreams))
        }
        let cutoff = now &- minAge.nanosecondsClamped
        var result = PruneResult()
        var done = false
        while !done {
            done = try writer.withLock { (w) throws(StoreError) -> Bool in
                let limit = try w.acknowledgedLimit(requiredUpstreams)
                result.acknowledgedBelow = limit
                return try w.db.transaction(immediate: true, "pruning entry payloads") {
                    () throws(StoreError) -> Bool in
                    var below = try w.prunedWatermark()
                    result.prunedBelow = below
                    guard below < limit else { return true }
                    let end = min(limit, below + Self.pruneChunkRows)
                    result.prunedEntries += try w.dropPayloads(from: below, to: end, receivedBefore: cutoff)
                    let left = try w.firstPayload(from: below, to: end)
                    below = left ?? end
                    try w.setPrunedWatermark(below)
                    result.prunedBelow = below
                    return left != nil || end == limit
                }
            }
        }
        return try vacuum(result)
    }

    /// Applies `storage.quota` and `storage.overflow`; call once after opening (the quota is a
    /// per-connection setting, recomputed from the file's page count at every open, so the
    /// accounting survives restarts).
    ///
    /// With `dropOldestAcknowledged`, an append that hits the quota prunes the payloads of the
    /// oldest entries every required upstream acknowledged (ignoring `min_age`), reports them to
    /// `onDrop`, and retries; when none is left, the append fails with a
    /// ``StoreError/Kind/diskFull`` error saying so (backpressure). Otherwise the append fails
    /// at once (backpressure).
    ///
    /// - Returns: the effective quota in bytes (see ``setQuota(bytes:)``).
    @discardableResult
    public func configureQuota(
        bytes: Int64?, dropOldestAcknowledged: Bool, requiredUpstreams: [String],
        onDrop: (@Sendable (PruneResult) -> Void)? = nil
    ) throws(StoreError) -> Int64 {
        let effective = try setQuota(bytes: bytes)
        writer.withLock { w in
            let dropped = w.overflow?.dropped ?? 0
            w.overflow = QuotaOverflow(
                dropOldestAcknowledged: dropOldestAcknowledged, requiredUpstreams: requiredUpstreams,
                quotaBytes: bytes, onDrop: onDrop, dropped: dropped)
        }
        return effective
    }

    /// Applies the storage configuration's quota and overflow policy; see
    /// ``configureQuota(bytes:dropOldestAcknowledged:requiredUpstreams:onDrop:)``.
    @discardableResult
    public func configureQuota(
        _ storage: StorageConfiguration, requiredUpstreams: [String],
        onDrop: (@Sendable (PruneResult) -> Void)? = nil
    ) throws(StoreError) -> Int64 {
        try configureQuota(
            bytes: storage.quotaBytes, dropOldestAcknowledged: storage.overflow == .dropOldestAcknowledged,
            requiredUpstreams: requiredUpstreams, onDrop: onDrop)
    }

    /// Entries whose payload was dropped to stay under the quota since the store was opened.
    public var quotaDroppedCount: UInt64 { writer.withLock { $0.overflow?.dropped ?? 0 } }

    /// Every entry below this index has had its payload pruned.
    public var prunedBelow: UInt64 {
        get throws(StoreError) {
            try writer.withLock { (w) throws(StoreError) -> UInt64 in try w.prunedWatermark() }
        }
    }

    /// Returns free pages to the OS (when possible) and fills in the vacuum fields.
    private func vacuum(_ result: PruneResult) throws(StoreError) -> PruneResult {
        var result = result
        let incremental = try writer.withLock { (w) throws(StoreError) -> Bool in
            try w.db.scalar("PRAGMA auto_vacuum", "reading the vacuum mode") == 2
        }
        if incremental {
            while true {
                let released = try writer.withLock { (w) throws(StoreError) -> Int64 in
                    let before = try w.db.scalar("PRAGMA freelist_count", "counting free pages") ?? 0
                    guard before > 0 else { return 0 }
                    try w.db.execute(
                        "PRAGMA incremental_vacuum(\(Self.vacuumStepPages))", "returning free pages to the OS")
                    let after = try w.db.scalar("PRAGMA freelist_count", "counting free pages") ?? 0
                    return before - after
                }
                result.pagesReleased += released
                if released == 0 { break }
            }
            if result.pagesReleased > 0 {
                // Copy the WAL back so the file is actually truncated (readers may delay it).
                try writer.withLock { (w) throws(StoreError) in
                    try w.db.execute("PRAGMA wal_checkpoint(PASSIVE)", "checkpointing the WAL after a vacuum")
                }
            }
        }
        return try withVacuumInfo(result, incremental: incremental)
    }

    private func withVacuumInfo(_ result: PruneResult, incremental: Bool? = nil) throws(StoreError) -> PruneResult {
        var result = result
        try writer.withLock { (w) throws(StoreError) in
            result.freePages = try w.db.scalar("PRAGMA freelist_count", "counting free pages") ?? 0
            result.incrementalVacuum = try w.db.scalar("PRAGMA auto_vacuum", "reading the vacuum mode") == 2
            if result.skipped != nil {
                result.prunedBelow = try w.prunedWatermark()
            }
        }
        return result
    }

}

extension LedgerWriter {
    /// The smallest acknowledged size of `names` (0 for one that never acknowledged), at most
    /// the sealed size. An upstream's acknowledgement counts only as far as it fetched the
    /// entries with its own credential (`upstream_fetches`): pruning never passes that.
    func acknowledgedLimit(_ names: [String]) throws(StoreError) -> UInt64 {
        var limit = sealedSize
        let s = try db.statement(
            """
            SELECT min(u.acked_size, coalesce(f.fetched_below, 0)) FROM upstreams u
            LEFT JOIN upstream_fetches f ON f.name = u.name WHERE u.name = ?1
            """)
        for name in names {
            s.bind(1, name)
            let size = try s.step("reading the acknowledgement of \(name)") ? s.uint64(0) : 0
            s.reset()
            limit = min(limit, size)
        }
        return limit
    }

    /// The persisted pruning watermark: every entry below has no payload.
    func prunedWatermark() throws(StoreError) -> UInt64 {
        try Schema.meta(db, "pruned_below").flatMap { UInt64($0) } ?? 0
    }

    func setPrunedWatermark(_ value: UInt64) throws(StoreError) {
        try Schema.setMeta(db, "pruned_below", String(value))
    }

    /// The first index in `from ..< to` that still has a payload.
    func firstPayload(from: UInt64, to: UInt64) throws(StoreError) -> UInt64? {
        let s = try db.statement(
            "SELECT idx FROM entries WHERE idx >= ?1 AND idx < ?2 AND entry IS NOT NULL ORDER BY idx LIMIT 1")
        defer { s.reset() }
        s.bind(1, from)
        s.bind(2, to)
        return try s.step("looking for unpruned entries") ? s.uint64(0) : nil
    }

    /// Removes the payloads of the entries in `from ..< to` received before `cutoff`, keeping
    /// index, leaf hash and receive time; in the caller's transaction.
    ///
    /// Deletes the rows and inserts them back without payload rather than `UPDATE … SET entry =
    /// NULL`: SQLite rebalances (and frees) B-tree pages only after deletions, so an update
    /// would leave every page in place, sparsely filled, and free nothing.
    ///
    /// - Returns: how many payloads were removed.
    func dropPayloads(from: UInt64, to: UInt64, receivedBefore cutoff: Int64) throws(StoreError) -> UInt64 {
        let predicate = "idx >= ?1 AND idx < ?2 AND entry IS NOT NULL AND received_at < ?3"
        let select = try db.statement("SELECT idx, leaf_hash, received_at FROM entries WHERE \(predicate) ORDER BY idx")
        select.bind(1, from)
        select.bind(2, to)
        select.bind(3, cutoff)
        var rows: [(index: UInt64, leaf: [UInt8], receivedAt: Int64)] = []
        do {
            defer { select.reset() }
            while try select.step("reading entries \(from)..<\(to) to prune") {
                rows.append((select.uint64(0), select.blob(1) ?? [], select.int64(2)))
            }
        }
        guard !rows.isEmpty else { return 0 }
        let delete = try db.statement("DELETE FROM entries WHERE \(predicate)")
        delete.bind(1, from)
        delete.bind(2, to)
        delete.bind(3, cutoff)
        try delete.run("pruning entry payloads \(from)..<\(to)")
        guard sqlite3_changes(db.handle) == Int32(rows.count) else {
            throw StoreError(
                .conflict, "entries \(from)..<\(to) changed while their payloads were pruned",
                hint: "only one writer may use the store; nothing was pruned")
        }
        let insert = try db.statement(
            "INSERT INTO entries(idx, entry, leaf_hash, received_at) VALUES (?1, NULL, ?2, ?3)")
        for row in rows {
            insert.bind(1, row.index)
            insert.bind(2, blob: row.leaf)
            insert.bind(3, row.receivedAt)
            try insert.run("keeping the leaf hash of pruned entry \(row.index)")
        }
        return UInt64(rows.count)
    }

    /// Runs an append; when it hits the quota and the policy is `drop-oldest-acked`, drops the
    /// payloads of the oldest acknowledged entries and retries, until it fits or nothing is
    /// left to drop (then fails: backpressure).
    @inline(__always)
    func makingRoom<R>(_ append: () throws(StoreError) -> R) throws(StoreError) -> R {
        var rows: UInt64 = 256
        while true {
            do {
                return try append()
            } catch {
                guard error.kind == .diskFull, let overflow, overflow.dropOldestAcknowledged else { throw error }
                let result = try dropOldestAcknowledged(rows: rows, requiredUpstreams: overflow.requiredUpstreams)
                guard result.prunedEntries > 0 else {
                    let quota = overflow.quotaBytes.map { " (\($0) bytes)" } ?? ""
                    throw StoreError(
                        .diskFull,
                        "the store's quota\(quota) is reached and no entry acknowledged by every required "
                            + "upstream (\(overflow.requiredUpstreams.joined(separator: ", "))) has a payload left "
                            + "to drop; appends are refused (backpressure): \(error.message)",
                        hint:
                            "wait for the upstreams to acknowledge (check `edge-ledger status`), or raise storage.quota",
                        sqliteCode: error.sqliteCode)
                }
                self.overflow?.dropped += result.prunedEntries
                overflow.onDrop?(result)
                rows = min(rows * 2, LedgerStore.pruneChunkRows)
            }
        }
    }

    /// Drops the payloads of up to `rows` of the oldest acknowledged entries, ignoring age.
    func dropOldestAcknowledged(rows: UInt64, requiredUpstreams: [String]) throws(StoreError) -> PruneResult {
        guard !requiredUpstreams.isEmpty else { return PruneResult(skipped: .noRequiredUpstreams) }
        let db = self.db
        return try db.transaction(immediate: true, "dropping acknowledged payloads for the quota") {
            () throws(StoreError) -> PruneResult in
            let limit = try acknowledgedLimit(requiredUpstreams)
            let below = try prunedWatermark()
            var result = PruneResult(acknowledgedBelow: limit, prunedBelow: below)
            var start = below
            // Ranges already pruned by a retention pass (beyond the watermark) free nothing: go on.
            while start < limit && result.prunedEntries == 0 {
                let end = min(limit, start + rows)
                result.prunedEntries = try dropPayloads(from: start, to: end, receivedBefore: .max)
                start = end
            }
            if start > below {
                try setPrunedWatermark(start)
                result.prunedBelow = start
            }
            return result
        }
    }
}
