import CSQLite
import EdgeLedgerCore

/// What one enforcement of the `rejected` table's bounds deleted.
public struct RejectedPruneResult: Sendable, Equatable {
    /// Rows deleted (the oldest first).
    public var rows: Int
    /// Their estimated bytes (see ``LedgerStore/rejectedRowBytes``).
    public var bytes: Int64
    /// Which bound was passed: `rows`, `bytes` or `age` (joined with `+` when several).
    public var reason: String
    /// Rows left.
    public var remainingRows: Int
    /// Estimated bytes left.
    public var remainingBytes: Int64
}

/// The bounds in force and what the table holds (kept by the writer, under its lock).
struct RejectedTableBounds {
    var maxRows: Int
    var maxBytes: Int64
    var maxAgeNanoseconds: Int64
    var rows = 0
    var bytes: Int64 = 0
    var prunedRows: UInt64 = 0
    var lastAgeCheck: ContinuousClock.Instant? = nil
    var onPrune: (@Sendable (RejectedPruneResult) -> Void)?
}

extension LedgerStore {
    /// Fixed overhead counted per row on top of its topic, reason and payload head.
    public static let rejectedRowBytes: Int64 = 40

    /// Bounds the `rejected` table by rows, bytes and age: whenever rejected rows are recorded
    /// (in the same transaction) and now, the oldest rows are deleted until the table is back
    /// under 95 % of the row and byte bounds, and rows older than `maxAge` are deleted (checked
    /// at most once a minute). Each deletion is reported to `onPrune`.
    ///
    /// - Returns: what was deleted now, if anything.
    @discardableResult
    public func configureRejectedTable(
        maxRows: Int, maxBytes: Int64, maxAge: Duration, now: Int64,
        onPrune: (@Sendable (RejectedPruneResult) -> Void)? = nil
    ) throws(StoreError) -> RejectedPruneResult? {
        try writer.withLock { (w) throws(StoreError) -> RejectedPruneResult? in
            let s = try w.db.statement(
                "SELECT count(*), coalesce(sum(length(CAST(topic AS BLOB)) + length(CAST(reason AS BLOB)) + length(head)), 0) FROM rejected"
            )
            defer { s.reset() }
            _ = try s.step("measuring the rejected table")
            var bounds = RejectedTableBounds(
                maxRows: max(1, maxRows), maxBytes: max(1, maxBytes),
                maxAgeNanoseconds: maxAge.nanosecondsClamped,
                onPrune: onPrune)
            bounds.rows = Int(s.int64(0))
            bounds.bytes = s.int64(1) + Int64(bounds.rows) * Self.rejectedRowBytes
            bounds.prunedRows = w.rejectedBounds?.prunedRows ?? 0
            w.rejectedBounds = bounds
            var result: RejectedPruneResult? = nil
            try w.db.transaction(immediate: true, "bounding the rejected table") { () throws(StoreError) in
                result = try w.enforceRejectedBounds(now: now, checkAge: true)
            }
            if let result { onPrune?(result) }
            return result
        }
    }

    /// Applies `[storage.rejected]`, with the byte bound lowered under `storage.quota`.
    @discardableResult
    public func configureRejectedTable(
        _ storage: StorageConfiguration, now: Int64, onPrune: (@Sendable (RejectedPruneResult) -> Void)? = nil
    ) throws(StoreError) -> RejectedPruneResult? {
        try configureRejectedTable(
            maxRows: storage.rejected.maxRows,
            maxBytes: storage.rejected.effectiveMaxBytes(quotaBytes: storage.quotaBytes),
            maxAge: storage.rejected.maxAge, now: now, onPrune: onPrune)
    }

    /// Rows deleted from the `rejected` table for its bounds since the store was opened.
    public var rejectedPrunedCount: UInt64 { writer.withLock { $0.rejectedBounds?.prunedRows ?? 0 } }

    /// Rows and estimated bytes in the `rejected` table (known once bounds are configured).
    public var rejectedTableUsage: (rows: Int, bytes: Int64)? {
        writer.withLock { w in w.rejectedBounds.map { ($0.rows, $0.bytes) } }
    }
}

extension LedgerWriter {
    /// Counts a row just inserted into `rejected`.
    func countRejectedRow(_ rejected: RejectedReading) {
        guard rejectedBounds != nil else { return }
        rejectedBounds!.rows += 1
        rejectedBounds!.bytes +=
            Int64(
                rejected.topic.utf8.count + rejected.reason.utf8.count
                    + min(rejected.head.count, RejectedReading.headLimit))
            + LedgerStore.rejectedRowBytes
    }

    /// Deletes the oldest rows past the bounds; call inside a write transaction. Reports to
    /// `onPrune` only through the caller (after the commit).
    func enforceRejectedBounds(now: Int64, checkAge: Bool = false) throws(StoreError) -> RejectedPruneResult? {
        guard var b = rejectedBounds else { return nil }
        var deletedRows = 0
        var deletedBytes: Int64 = 0
        var reasons: [String] = []
        let clock = ContinuousClock.now
        if checkAge || b.lastAgeCheck.map({ clock - $0 >= .seconds(60) }) ?? true {
            b.lastAgeCheck = clock
            let cutoff = now &- b.maxAgeNanoseconds
            let (n, bytes) = try deleteRejected(where: "received_at < ?1", cutoff)
            if n > 0 { reasons.append("age") }
            deletedRows += n
            deletedBytes += bytes
            b.rows -= n
            b.bytes -= bytes
        }
        if b.rows > b.maxRows || b.bytes > b.maxBytes {
            let targetRows = b.maxRows - b.maxRows / 20
            let targetBytes = b.maxBytes - b.maxBytes / 20
            let average = max(1, b.bytes / Int64(max(1, b.rows)))
            let byRows = max(0, b.rows - targetRows)
            let byBytes = Int(max(0, (b.bytes - targetBytes + average - 1) / average))
            if b.rows > b.maxRows { reasons.append("rows") }
            if b.bytes > b.maxBytes { reasons.append("bytes") }
            let s = try db.statement("SELECT max(id) FROM (SELECT id FROM rejected ORDER BY id LIMIT ?1)")
            s.bind(1, Int64(max(byRows, byBytes, 1)))
            _ = try s.step("finding the oldest rejected rows")
            let cutoff = s.int64(0)
            s.reset()
            let (n, bytes) = try deleteRejected(where: "id <= ?1", cutoff)
            deletedRows += n
            deletedBytes += bytes
            b.rows -= n
            b.bytes -= bytes
        }
        b.prunedRows += UInt64(deletedRows)
        rejectedBounds = b
        guard deletedRows > 0 else { return nil }
        return RejectedPruneResult(
            rows: deletedRows, bytes: deletedBytes, reason: reasons.joined(separator: "+"), remainingRows: b.rows,
            remainingBytes: b.bytes)
    }

    /// Deletes the rows matching `condition` (with `?1` bound to `value`); returns how many and
    /// their estimated bytes.
    private func deleteRejected(where condition: String, _ value: Int64) throws(StoreError) -> (Int, Int64) {
        let measure = try db.statement(
            "SELECT count(*), coalesce(sum(length(CAST(topic AS BLOB)) + length(CAST(reason AS BLOB)) + length(head)), 0) FROM rejected WHERE \(condition)"
        )
        measure.bind(1, value)
        _ = try measure.step("measuring old rejected rows")
        let rows = Int(measure.int64(0))
        let bytes = measure.int64(1) + Int64(rows) * LedgerStore.rejectedRowBytes
        measure.reset()
        guard rows > 0 else { return (0, 0) }
        let delete = try db.statement("DELETE FROM rejected WHERE \(condition)")
        delete.bind(1, value)
        try delete.run("deleting old rejected rows")
        return (rows, bytes)
    }
}
