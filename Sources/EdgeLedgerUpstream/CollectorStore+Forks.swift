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
    public func forkEvidence(origin: String? = nil) throws(StoreError) -> [ForkEvidence] {
        try withConnection { (db) throws(StoreError) in try db.forkEvidence(origin: origin) }
    }

    /// The checkpoints the witness cosigned for `origin`, by size (what the collector checks its
    /// verified trees against).
    public func witnessCheckpoints(origin: String) throws(StoreError) -> [WitnessLogState] {
        try withConnection { (db) throws(StoreError) in
            let s = try db.statement(
                "SELECT size, root, note, cosigned_at FROM witness_checkpoints WHERE origin = ?1 ORDER BY size")
            defer { s.reset() }
            s.bind(1, origin)
            var out: [WitnessLogState] = []
            while try s.step("reading the cosigned checkpoints of \(origin)") {
                guard let root = s.hash(1) else { throw db.malformed("a cosigned checkpoint of \(origin)") }
                out.append(
                    WitnessLogState(
                        origin: origin, size: s.uint64(0), root: root, note: s.text(2) ?? "", updatedAt: s.int64(3)))
            }
            return out
        }
    }

    /// The witness's compare-and-set for an `add-checkpoint` request whose signature verified,
    /// checked against the collector's view of the same origin, in one write transaction:
    ///
    /// 1. an origin with fork evidence is refused (``WitnessAddition/forked(_:new:)``);
    /// 2. a checkpoint no larger than the collector's verified size must have the root the
    ///    collected entries give at its size; otherwise both signed checkpoints are stored as
    ///    ``ForkEvidence`` (committed) and it is refused;
    /// 3. `decide` checks the request against the witness's own state (old size, consistency
    ///    proof) and throws to refuse it (passed through unchanged, nothing stored);
    /// 4. with `boundFirstByCollection`, a first checkpoint of the origin larger than the
    ///    collector's verified size, or any checkpoint more than `maxGrowth` beyond it, is not
    ///    recorded (``WitnessAddition/notCollected(collectedSize:)``): a claimed size never becomes
    ///    the witness's state far ahead of the entries seen;
    /// 5. otherwise `next` becomes the witness's state and joins the cosigned checkpoints.
    public func addWitnessCheckpoint(
        _ next: WitnessLogState, hasher: any MerkleHasher, boundFirstByCollection: Bool, maxGrowth: UInt64 = .max,
        decide: (WitnessLogState?) throws -> Void
    ) throws -> WitnessAddition {
        let origin = next.origin
        return try connection.withLock { (db: inout SQLiteConnection) throws -> WitnessAddition in
            try db.statement("BEGIN IMMEDIATE").run("starting a witness update for \(origin)")
            do {
                if let known = try db.forkEvidence(origin: origin).first {
                    db.rollback()
                    return .forked(known, new: false)
                }
                let collected = try db.gatewayState(origin: origin)
                if let collected, next.size > 0, next.size <= collected.verifiedSize {
                    let root = try db.collectedRoot(collected, size: next.size, hasher: hasher)
                    if root != next.root {
                        let other = try db.collectedCheckpoint(collected, atOrAbove: next.size)
                        let evidence = ForkEvidence(
                            origin: origin, detectedBy: .witness, witnessSize: next.size, witnessRoot: next.root,
                            witnessNote: next.note, collectedSize: other.size, collectedRoot: other.root,
                            collectedNote: other.note,
                            detail: "the checkpoint pushed to the witness has root \(next.root) at size \(next.size), "
                                + "but the entries the collector verified give \(root) at that size",
                            detectedAt: next.updatedAt)
                        let stored = try db.insert(evidence)
                        try db.statement("COMMIT").run("committing the fork evidence of \(origin)")
                        return .forked(stored, new: true)
                    }
                }
                let current = try db.witnessState(origin: origin)
                try decide(current)
                let collectedSize = collected?.verifiedSize ?? 0
                let bound =
                    current == nil ? collectedSize : collectedSize.addingReportingOverflow(maxGrowth).partialValue
                let overflow = current != nil && collectedSize.addingReportingOverflow(maxGrowth).overflow
                if boundFirstByCollection, !overflow, next.size > bound {
                    db.rollback()
                    return .notCollected(collectedSize: collected?.verifiedSize ?? 0)
                }
                let upsert = try db.statement(
                    "INSERT INTO witness_logs(origin, size, root, note, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                        + "ON CONFLICT(origin) DO UPDATE SET size = excluded.size, root = excluded.root, "
                        + "note = excluded.note, updated_at = excluded.updated_at")
                let history = try db.statement(
                    "INSERT OR REPLACE INTO witness_checkpoints(origin, size, root, note, cosigned_at) "
                        + "VALUES (?1, ?2, ?3, ?4, ?5)")
                for s in [upsert, history] {
                    s.bind(1, origin)
                    s.bind(2, next.size)
                    s.bind(3, hash: next.root)
                    s.bind(4, next.note)
                    s.bind(5, next.updatedAt)
                    try s.run("recording the witness state of \(origin)")
                }
                try db.statement("COMMIT").run("committing the witness state of \(origin)")
                return .recorded(next)
            } catch {
                db.rollback()
                throw error
            }
        }
    }
}

extension SQLiteConnection {
    /// Checks a checkpoint the collector just verified (its tiles already stored in this
    /// transaction) against the largest checkpoint the witness cosigned at or below its size;
    /// stores ``ForkEvidence`` when the collected entries give another root there, and otherwise
    /// drops the cosigned checkpoints below that one (so the table holds only what the collector
    /// has not checked yet, plus one).
    ///
    /// - Returns: whether the origin is forked (now or before).
    func checkAgainstWitness(
        _ gateway: CollectorGatewayState, verified c: CollectedCheckpoint, hasher: any MerkleHasher
    ) throws(StoreError) -> Bool {
        if try !forkEvidence(origin: c.origin).isEmpty { return true }
        let s = try statement(
            "SELECT size, root, note FROM witness_checkpoints WHERE origin = ?1 AND size BETWEEN 1 AND ?2 "
                + "ORDER BY size DESC LIMIT 1")
        defer { s.reset() }
        s.bind(1, c.origin)
        s.bind(2, c.size)
        guard try s.step("reading the cosigned checkpoints of \(c.origin)") else { return false }
        guard let witnessRoot = s.hash(1) else { throw malformed("a cosigned checkpoint of \(c.origin)") }
        let size = s.uint64(0)
        let note = s.text(2) ?? ""
        s.reset()
        let root = try collectedRoot(gateway, size: size, hasher: hasher)
        guard root != witnessRoot else {
            // Checked: the smaller cosigned checkpoints are covered by this one (the witness's
            // proofs chain them), so only this and larger ones are kept.
            let prune = try statement("DELETE FROM witness_checkpoints WHERE origin = ?1 AND size < ?2")
            prune.bind(1, c.origin)
            prune.bind(2, size)
            try prune.run("pruning the cosigned checkpoints of \(c.origin) below \(size)")
            return false
        }
        let other = size == c.size ? c : try collectedCheckpoint(gateway, atOrAbove: size, verified: c)
        _ = try insert(
            ForkEvidence(
                origin: c.origin, detectedBy: .collector, witnessSize: size, witnessRoot: witnessRoot,
                witnessNote: note,
                collectedSize: other.size, collectedRoot: other.root, collectedNote: other.note,
                detail: "the witness cosigned root \(witnessRoot) at size \(size), but the entries the collector "
                    + "verified against the checkpoint of size \(c.size) give \(root) at that size",
                detectedAt: c.verifiedAt))
        return true
    }

    /// The root of the collected tree of `gateway` at `size` (at most its staged size).
    func collectedRoot(
        _ gateway: CollectorGatewayState, size: UInt64, hasher: any MerkleHasher
    ) throws(StoreError)
        -> Hash32
    {
        try SQLiteConnection.tiled("computing the root of \(gateway.origin) at \(size)") {
            try TiledTree.rootHash(
                size: size, reader: CollectorTileReader(db: self, gateway: gateway.id), hasher: hasher)
        }
    }

    /// The smallest verified checkpoint of `gateway` at or above `size` (or `fallback`, else the
    /// verified one): the collector's signed side of a piece of fork evidence.
    func collectedCheckpoint(
        _ gateway: CollectorGatewayState, atOrAbove size: UInt64, verified fallback: CollectedCheckpoint? = nil
    ) throws(StoreError) -> CollectedCheckpoint {
        let s = try statement(
            "SELECT size, root, note, verified_at FROM checkpoints WHERE gateway = ?1 AND size >= ?2 "
                + "ORDER BY size LIMIT 1")
        defer { s.reset() }
        s.bind(1, gateway.id)
        s.bind(2, size)
        if try s.step("reading the verified checkpoints of \(gateway.origin)"), let root = s.hash(1) {
            return CollectedCheckpoint(
                origin: gateway.origin, size: s.uint64(0), root: root, note: s.text(2) ?? "", verifiedAt: s.int64(3))
        }
        if let fallback { return fallback }
        return CollectedCheckpoint(
            origin: gateway.origin, size: gateway.verifiedSize, root: gateway.verifiedRoot ?? Hash32.zero,
            note: gateway.verifiedNote ?? "", verifiedAt: gateway.verifiedAt ?? 0)
    }

    /// Stores a piece of fork evidence; returns it with its row id.
    func insert(_ e: ForkEvidence) throws(StoreError) -> ForkEvidence {
        let s = try statement(
            "INSERT INTO fork_evidence(origin, detected_by, witness_size, witness_root, witness_note, collected_size, "
                + "collected_root, collected_note, detail, detected_at) "
                + "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
        s.bind(1, e.origin)
        s.bind(2, e.detectedBy.rawValue)
        s.bind(3, e.witnessSize)
        s.bind(4, hash: e.witnessRoot)
        s.bind(5, e.witnessNote)
        s.bind(6, e.collectedSize)
        s.bind(7, hash: e.collectedRoot)
        s.bind(8, e.collectedNote)
        s.bind(9, e.detail)
        s.bind(10, e.detectedAt)
        try s.run("storing the fork evidence of \(e.origin)")
        var stored = e
        stored.id = sqlite3_last_insert_rowid(handle)
        return stored
    }

    /// The fork evidence of `origin` (of every origin when `nil`), oldest first.
    func forkEvidence(origin: String?) throws(StoreError) -> [ForkEvidence] {
        let s = try statement(
            "SELECT id, origin, detected_by, witness_size, witness_root, witness_note, collected_size, collected_root, "
                + "collected_note, detail, detected_at FROM fork_evidence WHERE ?1 IS NULL OR origin = ?1 ORDER BY id")
        defer { s.reset() }
        if let origin { s.bind(1, origin) } else { s.bindNull(1) }
        var out: [ForkEvidence] = []
        while try s.step("reading the fork evidence") {
            guard let witnessRoot = s.hash(4), let collectedRoot = s.hash(7) else {
                throw malformed("fork evidence \(s.int64(0))")
            }
            out.append(
                ForkEvidence(
                    id: s.int64(0), origin: s.text(1) ?? "",
                    detectedBy: ForkEvidence.Detector(rawValue: s.text(2) ?? "") ?? .witness,
                    witnessSize: s.uint64(3), witnessRoot: witnessRoot, witnessNote: s.text(5) ?? "",
                    collectedSize: s.uint64(6), collectedRoot: collectedRoot, collectedNote: s.text(8) ?? "",
                    detail: s.text(9) ?? "", detectedAt: s.int64(10)))
        }
        return out
    }

    func malformed(_ what: String) -> StoreError {
        StoreError(.corrupt, "\(what) in \(path) is malformed", hint: "the upstream store is damaged")
    }
}

extension CollectorStore {
    /// The fork evidence of every origin in the upstream store at `path`, read without the
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
        return try db.forkEvidence(origin: nil)
    }
}
