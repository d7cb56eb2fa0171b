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
    ///    collected entries give at its size, and one of the size of a pending checkpoint of the
    ///    mirror must have its root; otherwise both signed checkpoints are stored as
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
        let origin = next.origin
        // Nothing is written before a refusal, so every outcome commits.
        return try await transaction(write: true, locking: origin) { sql -> WitnessAddition in
            let view = try sql.witnessView(origin: origin)
            if view.forkEvidence != nil, let known = try sql.forkEvidence(origin: origin).first {
                return .forked(known, new: false)
            }
            let collected = view.gateway
            if let collected, next.size > 0, next.size <= collected.verifiedSize {
                let root = try sql.collectedRoot(collected, size: next.size, hasher: hasher)
                if root != next.root {
                    let other = try sql.collectedCheckpoint(collected, atOrAbove: next.size)
                    let evidence = ForkEvidence(
                        pushed: next, detectedBy: .witness, against: other.size, other.root, other.note,
                        detail: "the checkpoint pushed to the witness has root \(next.root) at size \(next.size), "
                            + "but the entries the collector verified give \(root) at that size")
                    return .forked(try sql.insert(evidence), new: true)
                }
            }
            // A pending checkpoint of the mirror (pushed by the gateway) of the same size.
            if let pending = try sql.mirrorCheckpoint(origin: origin, size: next.size), pending.root != next.root {
                let evidence = ForkEvidence(
                    pushed: next, detectedBy: .witness, against: pending.size, pending.root, pending.note,
                    detail: "the checkpoint pushed to the witness has root \(next.root) at size \(next.size), "
                        + "but the mirror holds a pending checkpoint with root \(pending.root) at that size")
                return .forked(try sql.insert(evidence), new: true)
            }
            let current = view.witness
            try decide(current)
            let collectedSize = collected?.verifiedSize ?? 0
            // Nothing collected yet: nothing is cosigned. Then a checkpoint may run at most
            // max_growth ahead of what the collector verified — a first one too, or a busy gateway
            // (a newer checkpoint every second) would never get its first cosignature.
            let collectedNothing = collectedSize == 0
            let bound = collectedNothing ? 0 : collectedSize.addingReportingOverflow(maxGrowth).partialValue
            let overflow = !collectedNothing && collectedSize.addingReportingOverflow(maxGrowth).overflow
            if boundFirstByCollection, !overflow, next.size > bound {
                return .notCollected(collectedSize: collectedSize)
            }
            // The compare-and-set: the stored state only ever grows (the lock above serialises
            // writers of the origin; the condition keeps it true even without the lock).
            let arguments: [SQLArgument] = [
                .text(origin), .uint(next.size), .hash(next.root), .text(next.note), .int(next.updatedAt),
            ]
            let changed = try sql.run(
                "INSERT INTO witness_logs(origin, size, root, note, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                    + "ON CONFLICT(origin) DO UPDATE SET size = excluded.size, root = excluded.root, "
                    + "note = excluded.note, updated_at = excluded.updated_at WHERE witness_logs.size <= excluded.size",
                arguments, "recording the witness state of \(origin)")
            guard changed == 1 else {
                throw StoreError(
                    .conflict, "the witness state of \(origin) moved past size \(next.size) during this request",
                    hint: "the gateway retries with the newer state")
            }
            try sql.run(
                "INSERT INTO witness_checkpoints(origin, size, root, note, cosigned_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                    + "ON CONFLICT(origin, size) DO UPDATE SET root = excluded.root, note = excluded.note, "
                    + "cosigned_at = excluded.cosigned_at",
                arguments, "recording the cosigned checkpoint of \(origin)")
            return .recorded(next)
        }
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
