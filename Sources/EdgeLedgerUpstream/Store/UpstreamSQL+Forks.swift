import EdgeLedgerCore
import EdgeLedgerStore

/// One view per origin (DESIGN 11): the checks that compare the witness's cosigned checkpoints
/// with the collector's verified trees, and the fork evidence they store.
extension UpstreamSQL {
    /// Checks a checkpoint the collector just verified (its tiles already stored in this
    /// transaction) against the largest checkpoint the witness cosigned at or below its size, and
    /// the largest pending checkpoint of the mirror at or below it;
    /// stores ``ForkEvidence`` when the collected entries give another root there, and otherwise
    /// drops the cosigned checkpoints below that one (so the table holds only what the collector
    /// has not checked yet, plus one).
    ///
    /// `c` is verified: the collected entries give `c.root` at `c.size` (the caller compared
    /// them), so a known checkpoint of that size is compared with `c.root` without reading tiles
    /// (the common case: the witness cosigned, or the gateway pushed, the checkpoint collected).
    ///
    /// - Returns: whether the origin is forked (now or before).
    func checkAgainstWitness(
        _ gateway: CollectorGatewayState, verified c: CollectedCheckpoint, hasher: any MerkleHasher
    ) throws(StoreError) -> Bool {
        if try !forkEvidence(origin: c.origin).isEmpty { return true }
        // The witness's cosigned checkpoints, then the mirror's pending ones (pushed by the gateway).
        for (table, who) in [
            ("witness_checkpoints", "the witness cosigned"),
            ("mirror_checkpoints", "the mirror holds a pending checkpoint with"),
        ] {
            let known = try first(
                "SELECT size, root, note FROM \(table) WHERE origin = ?1 AND size BETWEEN 1 AND ?2 "
                    + "ORDER BY size DESC LIMIT 1", [.text(c.origin), .uint(c.size)],
                "reading the checkpoints of \(c.origin) in \(table)"
            ) { (row) throws(StoreError) -> (size: UInt64, root: Hash32, note: String) in
                guard let root = row.hash(1) else { throw malformed("a checkpoint of \(c.origin) in \(table)") }
                return (row.uint64(0), root, row.text(2) ?? "")
            }
            guard let (size, knownRoot, note) = known else { continue }
            let root = size == c.size ? c.root : try collectedRoot(gateway, size: size, hasher: hasher)
            guard root != knownRoot else {
                // Checked: the smaller ones are covered by this one (the consistency proofs the
                // witness and the mirror checked chain them), so only this and larger ones are kept.
                try run(
                    "DELETE FROM \(table) WHERE origin = ?1 AND size < ?2", [.text(c.origin), .uint(size)],
                    "pruning the checkpoints of \(c.origin) in \(table) below \(size)")
                continue
            }
            let other = size == c.size ? c : try collectedCheckpoint(gateway, atOrAbove: size, verified: c)
            _ = try insert(
                ForkEvidence(
                    origin: c.origin, detectedBy: .collector, witnessSize: size, witnessRoot: knownRoot,
                    witnessNote: note,
                    collectedSize: other.size, collectedRoot: other.root, collectedNote: other.note,
                    detail: "\(who) root \(knownRoot) at size \(size), but the entries the collector "
                        + "verified against the checkpoint of size \(c.size) give \(root) at that size",
                    detectedAt: c.verifiedAt))
            return true
        }
        return false
    }

    /// The root of the collected tree of `gateway` at `size` (at most its staged size).
    func collectedRoot(
        _ gateway: CollectorGatewayState, size: UInt64, hasher: any MerkleHasher
    ) throws(StoreError)
        -> Hash32
    {
        try SQLiteConnection.tiled("computing the root of \(gateway.origin) at \(size)") {
            try TiledTree.rootHash(
                size: size, reader: CollectorTileReader(sql: self, gateway: gateway.id), hasher: hasher)
        }
    }

    /// The smallest verified checkpoint of `gateway` at or above `size` (or `fallback`, else the
    /// verified one): the collector's signed side of a piece of fork evidence.
    func collectedCheckpoint(
        _ gateway: CollectorGatewayState, atOrAbove size: UInt64, verified fallback: CollectedCheckpoint? = nil
    ) throws(StoreError) -> CollectedCheckpoint {
        let found = try first(
            "SELECT size, root, note, verified_at FROM checkpoints WHERE gateway = ?1 AND size >= ?2 "
                + "ORDER BY size LIMIT 1", [.int(gateway.id), .uint(size)],
            "reading the verified checkpoints of \(gateway.origin)"
        ) { (row) throws(StoreError) -> CollectedCheckpoint? in
            guard let root = row.hash(1) else { return nil }
            return CollectedCheckpoint(
                origin: gateway.origin, size: row.uint64(0), root: root, note: row.text(2) ?? "",
                verifiedAt: row.int64(3))
        }
        if let found = found ?? nil { return found }
        if let fallback { return fallback }
        return CollectedCheckpoint(
            origin: gateway.origin, size: gateway.verifiedSize, root: gateway.verifiedRoot ?? Hash32.zero,
            note: gateway.verifiedNote ?? "", verifiedAt: gateway.verifiedAt ?? 0)
    }

    /// Stores a piece of fork evidence; returns it with its row id.
    func insert(_ e: ForkEvidence) throws(StoreError) -> ForkEvidence {
        let id = try first(
            "INSERT INTO fork_evidence(origin, detected_by, witness_size, witness_root, witness_note, collected_size, "
                + "collected_root, collected_note, detail, detected_at) "
                + "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
            [
                .text(e.origin), .text(e.detectedBy.rawValue), .uint(e.witnessSize), .hash(e.witnessRoot),
                .text(e.witnessNote), .uint(e.collectedSize), .hash(e.collectedRoot), .text(e.collectedNote),
                .text(e.detail), .int(e.detectedAt),
            ], "storing the fork evidence of \(e.origin)"
        ) { (row) throws(StoreError) in row.int64(0) }
        var stored = e
        stored.id = id ?? 0
        return stored
    }

    /// The fork evidence of `origin` (of every origin when `nil`), oldest first.
    func forkEvidence(origin: String?) throws(StoreError) -> [ForkEvidence] {
        try all(
            "SELECT id, origin, detected_by, witness_size, witness_root, witness_note, collected_size, collected_root, "
                + "collected_note, detail, detected_at FROM fork_evidence WHERE ?1 IS NULL OR origin = ?1 ORDER BY id",
            [.optionalText(origin)], "reading the fork evidence"
        ) { (row) throws(StoreError) in
            guard let witnessRoot = row.hash(4), let collectedRoot = row.hash(7) else {
                throw malformed("fork evidence \(row.int64(0))")
            }
            return ForkEvidence(
                id: row.int64(0), origin: row.text(1) ?? "",
                detectedBy: ForkEvidence.Detector(rawValue: row.text(2) ?? "") ?? .witness,
                witnessSize: row.uint64(3), witnessRoot: witnessRoot, witnessNote: row.text(5) ?? "",
                collectedSize: row.uint64(6), collectedRoot: collectedRoot, collectedNote: row.text(8) ?? "",
                detail: row.text(9) ?? "", detectedAt: row.int64(10))
        }
    }
}

extension UpstreamSQL {
    /// The witness's compare-and-set for one update, inside a transaction that locks its origin
    /// (see ``CollectorStore/addWitnessCheckpoint(_:hasher:boundFirstByCollection:maxGrowth:decide:)``).
    func apply(_ update: WitnessUpdate) throws -> WitnessAddition {
        let next = update.next
        let origin = next.origin
        let view = try witnessView(origin: origin, size: next.size)
        if view.forkEvidence != nil, let known = try forkEvidence(origin: origin).first {
            return .forked(known, new: false)
        }
        let collected = view.gateway
        if let collected, next.size > 0, next.size <= collected.verifiedSize {
            let root = try collectedRoot(collected, size: next.size, hasher: update.hasher)
            if root != next.root {
                let other = try collectedCheckpoint(collected, atOrAbove: next.size)
                let evidence = ForkEvidence(
                    pushed: next, detectedBy: .witness, against: other.size, other.root, other.note,
                    detail: "the checkpoint pushed to the witness has root \(next.root) at size \(next.size), "
                        + "but the entries the collector verified give \(root) at that size")
                return .forked(try insert(evidence), new: true)
            }
        }
        // A pending checkpoint of the mirror (pushed by the gateway) of the same size.
        if let pendingRoot = view.pendingRoot, pendingRoot != next.root,
            let pending = try mirrorCheckpoint(origin: origin, size: next.size)
        {
            let evidence = ForkEvidence(
                pushed: next, detectedBy: .witness, against: pending.size, pending.root, pending.note,
                detail: "the checkpoint pushed to the witness has root \(next.root) at size \(next.size), "
                    + "but the mirror holds a pending checkpoint with root \(pending.root) at that size")
            return .forked(try insert(evidence), new: true)
        }
        let current = view.witness
        try update.decide(current)
        let collectedSize = collected?.verifiedSize ?? 0
        // Nothing collected yet: nothing is cosigned. Then a checkpoint may run at most
        // max_growth ahead of what the collector verified — a first one too, or a busy gateway
        // (a newer checkpoint every second) would never get its first cosignature.
        let collectedNothing = collectedSize == 0
        let (bound, overflow) = collectedSize.addingReportingOverflow(update.maxGrowth)
        let beyond = collectedNothing ? next.size > 0 : !overflow && next.size > bound
        if update.boundFirstByCollection, beyond {
            return .notCollected(collectedSize: collectedSize)
        }
        // The compare-and-set: the stored state only ever grows (the lock serialises writers of
        // the origin; the condition keeps it true even without the lock).
        let arguments: [SQLArgument] = [
            .text(origin), .uint(next.size), .hash(next.root), .text(next.note), .int(next.updatedAt),
        ]
        let changed = try run(
            "INSERT INTO witness_logs(origin, size, root, note, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                + "ON CONFLICT(origin) DO UPDATE SET size = excluded.size, root = excluded.root, "
                + "note = excluded.note, updated_at = excluded.updated_at WHERE witness_logs.size <= excluded.size",
            arguments, "recording the witness state of \(origin)")
        guard changed == 1 else {
            throw StoreError(
                .conflict, "the witness state of \(origin) moved past size \(next.size) during this request",
                hint: "the gateway retries with the newer state")
        }
        try run(
            "INSERT INTO witness_checkpoints(origin, size, root, note, cosigned_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                + "ON CONFLICT(origin, size) DO UPDATE SET root = excluded.root, note = excluded.note, "
                + "cosigned_at = excluded.cosigned_at",
            arguments, "recording the cosigned checkpoint of \(origin)")
        return .recorded(next)
    }
}
