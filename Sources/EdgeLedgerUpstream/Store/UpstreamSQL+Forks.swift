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
        let reader = try CollectorTileReader(sql: self, gateway: gateway.id, rightEdgeOf: size)
        return try SQLiteConnection.tiled("computing the root of \(gateway.origin) at \(size)") {
            try TiledTree.rootHash(size: size, reader: reader, hasher: hasher)
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
