import CSQLite
import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerSystem

/// What ``CollectorStore/addWitnessCheckpoint(_:hasher:boundFirstByCollection:maxGrowth:decide:)`` did.
public enum WitnessAddition: Sendable {
    /// The checkpoint is the witness's new state for its origin (cosign it).
    case recorded(WitnessLogState)
    /// The origin is forked: `new` when this request revealed it (the evidence was just stored).
    case forked(ForkEvidence, new: Bool)
    /// A first checkpoint larger than what the collector verified of the origin (`collectedSize`),
    /// or a later one more than `maxGrowth` beyond it: not recorded, the witness cosigns it once
    /// the collector has verified far enough.
    case notCollected(collectedSize: UInt64)
}

extension CollectorStore {
    // MARK: - One view per origin

    /// The fork evidence recorded for `origin` (every origin when `nil`), oldest first.
    public func forkEvidence(origin: String? = nil) async throws(StoreError) -> [ForkEvidence] {
        try await storeTransaction { (sql) throws(StoreError) in try sql.forkEvidence(origin: origin) }
    }

    /// The checkpoints the witness cosigned for `origin`, by size (what the collector checks its
    /// verified trees against).
    public func witnessCheckpoints(origin: String) async throws(StoreError) -> [WitnessLogState] {
        try await storeTransaction { (sql) throws(StoreError) in
            try sql.all(
                "SELECT size, root, note, cosigned_at FROM witness_checkpoints WHERE origin = ?1 ORDER BY size",
                [.text(origin)], "reading the cosigned checkpoints of \(origin)"
            ) { (row) throws(StoreError) in
                guard let root = row.hash(1) else { throw sql.malformed("a cosigned checkpoint of \(origin)") }
                return WitnessLogState(
                    origin: origin, size: row.uint64(0), root: root, note: row.text(2) ?? "", updatedAt: row.int64(3))
            }
        }
    }

    /// The witness's compare-and-set for an `add-checkpoint` request whose signature verified,
    /// checked against the collector's view of the same origin, in one write transaction that is
    /// serialised with every other write of the origin on every instance:
    ///
    /// 1. an origin with fork evidence is refused (``WitnessAddition/forked(_:new:)``);
    /// 2. a checkpoint no larger than the collector's verified size must have the root the
    ///    collected entries give at its size; otherwise both signed checkpoints are stored as
    ///    ``ForkEvidence`` (committed) and it is refused;
    /// 3. `decide` checks the request against the witness's own state (old size, consistency
    ///    proof) and throws to refuse it (passed through unchanged, nothing stored);
    /// 4. with `boundFirstByCollection`, nothing is recorded while the collector has verified
    ///    nothing of the origin, nor a checkpoint more than `maxGrowth` beyond what it verified
    ///    (``WitnessAddition/notCollected(collectedSize:)``): a claimed size never becomes the
    ///    witness's state far ahead of the entries seen;
    /// 5. otherwise `next` becomes the witness's state and joins the cosigned checkpoints.
    public func addWitnessCheckpoint(
        _ next: WitnessLogState, hasher: any MerkleHasher, boundFirstByCollection: Bool, maxGrowth: UInt64 = .max,
        decide: @escaping @Sendable (WitnessLogState?) throws -> Void
    ) async throws -> WitnessAddition {
        try await addWitnessCheckpoint(
            WitnessUpdate(
                next, hasher: hasher, boundFirstByCollection: boundFirstByCollection, maxGrowth: maxGrowth,
                decide: decide))
    }

    /// ``addWitnessCheckpoint(_:hasher:boundFirstByCollection:maxGrowth:decide:)`` for an update.
    public func addWitnessCheckpoint(_ update: WitnessUpdate) async throws -> WitnessAddition {
        // Nothing is written before a refusal, so every outcome commits.
        try await transaction(write: true, locking: update.next.origin) { sql in try sql.apply(update) }
    }

    /// Several witness updates in one transaction (group commit): each is decided exactly as by
    /// ``addWitnessCheckpoint(_:hasher:boundFirstByCollection:maxGrowth:decide:)``, in order (a
    /// later update of the same origin sees the earlier one), and every origin is locked for the
    /// whole transaction. A refusal by an update's `decide` is that update's result and does not
    /// touch the others; a ``StoreError`` rolls the whole group back and is thrown (retry the
    /// updates one by one).
    public func addWitnessCheckpoints(_ updates: [WitnessUpdate]) async throws -> [Result<WitnessAddition, any Error>] {
        try await transaction(write: true, locking: updates.map(\.next.origin)) { sql in try sql.apply(updates) }
    }
}

extension CollectorStore {
    /// The fork evidence of every origin in the SQLite upstream store at `path`, read without the
    /// writer lock (while `edge-ledger-upstream` runs); empty for a store older than the
    /// evidence table.
    ///
    /// - Throws: ``StoreError`` when the file cannot be opened or read.
    public static func forkEvidence(readingStoreAt path: String) throws(StoreError) -> [ForkEvidence] {
        let db = try SQLiteConnection(path: path, readOnly: true, create: false)
        sqlite3_busy_timeout(db.handle, 5000)
        let tables = try db.scalar(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'fork_evidence'",
            "reading the schema of \(path)")
        guard (tables ?? 0) > 0 else { return [] }
        return try SQLiteSession(db).forkEvidence(origin: nil)
    }
}
