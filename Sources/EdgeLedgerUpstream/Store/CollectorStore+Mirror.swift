import EdgeLedgerCore
import EdgeLedgerStore

/// What ``CollectorStore/addMirrorCheckpoint(_:hasher:decide:)`` did.
public enum MirrorCheckpointAddition: Sendable {
    /// The checkpoint is a pending checkpoint of its origin now (or was already).
    case recorded(WitnessLogState)
    /// The origin is forked: `new` when this request revealed it (the evidence was just stored).
    case forked(ForkEvidence, new: Bool)
}

/// What the mirror's `add-entries` reads of an origin before the packages: see
/// ``CollectorStore/mirrorView(origin:uploadEnd:)``.
public struct MirrorView: Sendable {
    /// Whether the origin has fork evidence.
    public var forked: Bool
    /// The collected log's state (`nil` when the origin was never registered).
    public var gateway: CollectorGatewayState?
    /// The pending (or verified) checkpoint of exactly the upload's end size, if known.
    public var pending: WitnessLogState?
    /// The largest pending or verified size: what a client should upload against.
    public var latestSize: UInt64
}

/// What ``CollectorStore/commitMirrored(gateway:checkpoint:hasher:anchorDocument:)`` did.
public enum MirrorCommit: Sendable, Equatable {
    /// The checkpoint is (or already was) the verified one of its origin.
    case committed
    /// A larger checkpoint was verified meanwhile (the mirror checkpoint never moves back).
    case behind(verifiedSize: UInt64)
    /// Fewer entries than the checkpoint's size are held (another writer discarded some).
    case missing(stagedSize: UInt64)
    /// The entries verified, but the origin is forked: nothing is cosigned.
    case forked
}

/// The mirror (C2SP tlog-mirror): pending checkpoints, checked against everything the upstream
/// holds of the origin (DESIGN 11), and the commit of an upload as a verified checkpoint.
extension CollectorStore {
    /// The mirror's compare-and-set for an `add-checkpoint` request whose signature verified, in
    /// one write transaction under the origin's lock:
    ///
    /// 1. an origin with fork evidence is refused;
    /// 2. a checkpoint no larger than the collector's verified size must have the root the
    ///    collected entries give there, one of the size of a checkpoint the witness cosigned or
    ///    of another pending checkpoint must have its root; otherwise both signed checkpoints are
    ///    stored as ``ForkEvidence`` (detected by ``ForkEvidence/Detector/mirror``);
    /// 3. `decide` sees the mirror's current checkpoint — the largest pending one, or the
    ///    verified one when that is larger — and throws to refuse (witness rules: old size,
    ///    consistency proof); thrown errors pass through, nothing is stored;
    /// 4. otherwise `next` joins the pending checkpoints.
    ///
    /// A pending checkpoint commits without waiting for the disk (PostgreSQL): it is answered
    /// with no cosignature, and every later durable commit — the upload's verification, a
    /// witness cosignature — flushes it first, so a crash of the database can lose it only while
    /// nothing depends on it (the gateway then sets it again). Fork evidence commits durably.
    public func addMirrorCheckpoint(
        _ next: WitnessLogState, hasher: any MerkleHasher,
        decide: @escaping @Sendable (WitnessLogState?) throws -> Void
    ) async throws -> MirrorCheckpointAddition {
        let origin = next.origin
        return try await transaction(write: true, locking: origin, durable: false) { sql -> MirrorCheckpointAddition in
            if let known = try sql.forkEvidence(origin: origin).first { return .forked(known, new: false) }
            let gateway = try sql.gatewayState(origin: origin)
            if let evidence = try sql.mirrorConflict(next, gateway: gateway, hasher: hasher) {
                try sql.requireDurableCommit()
                return .forked(try sql.insert(evidence), new: true)
            }
            try decide(try sql.mirrorCurrent(origin: origin, gateway: gateway))
            try sql.write(
                "INSERT INTO mirror_checkpoints(origin, size, root, note, added_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                    + "ON CONFLICT(origin, size) DO NOTHING",
                [.text(origin), .uint(next.size), .hash(next.root), .text(next.note), .int(next.updatedAt)],
                "recording the pending checkpoint of \(origin)")
            return .recorded(next)
        }
    }

    /// What `add-entries` checks first: fork evidence, the collected state, and the pending (or
    /// verified) checkpoint of size `uploadEnd`.
    public func mirrorView(origin: String, uploadEnd: UInt64) async throws(StoreError) -> MirrorView {
        try await storeTransaction { (sql) throws(StoreError) in
            let forked = !(try sql.forkEvidence(origin: origin).isEmpty)
            let gateway = try sql.gatewayState(origin: origin)
            let current = try sql.mirrorCurrent(origin: origin, gateway: gateway)
            var pending = try sql.mirrorCheckpoint(origin: origin, size: uploadEnd)
            if pending == nil, let gateway, gateway.verifiedSize == uploadEnd, uploadEnd > 0 {
                pending = sql.verifiedAsState(gateway)
            }
            return MirrorView(forked: forked, gateway: gateway, pending: pending, latestSize: current?.size ?? 0)
        }
    }

    /// Records `checkpoint` (a pending checkpoint every entry of which is held) as the verified
    /// checkpoint of gateway `id`, exactly like a pull: the root recomputed from the stored tiles
    /// must be the checkpoint's, the witness's cosigned checkpoints are checked (fork evidence on
    /// conflict) and the anchoring job is queued, in one transaction under the origin's lock. The
    /// verified checkpoint never moves back. Pending checkpoints below it are dropped.
    ///
    /// - Throws: ``StoreError/Kind/conflict`` when the stored entries give another root (nothing
    ///   is written); the database's failure.
    public func commitMirrored(
        gateway id: Int64, checkpoint: CollectedCheckpoint, hasher: any MerkleHasher, anchorDocument: String?
    ) async throws(StoreError) -> MirrorCommit {
        try await storeTransaction(write: true, locking: checkpoint.origin) { (sql) throws(StoreError) in
            let state = try sql.fencedGatewayState(id: id, lease: nil)
            if state.verifiedSize > checkpoint.size { return .behind(verifiedSize: state.verifiedSize) }
            guard state.stagedSize >= checkpoint.size else { return .missing(stagedSize: state.stagedSize) }
            let root = try sql.collectedRoot(state, size: checkpoint.size, hasher: hasher)
            return try sql.commitMirrored(
                state, size: checkpoint.size, root: root, checkpoint, hasher: hasher, anchorDocument: anchorDocument)
        }
    }

    /// Stages the last entries of an upload and commits it, in one transaction under the
    /// origin's lock: ``stage(gateway:stagedSize:entries:leafHashes:hasher:check:complete:anchorDocument:lease:locking:)``
    /// of `entries`, which must end exactly at `checkpoint.size` with its root, then what
    /// ``commitMirrored(gateway:checkpoint:hasher:anchorDocument:)`` does. One transaction for the
    /// common push (a second's entries, then the cosignature) instead of two.
    ///
    /// - Throws: ``StoreError/Kind/conflict`` when the staged size moved, or the entries do not
    ///   end at the checkpoint with its root; whatever `check` throws; the database's failure.
    ///   Nothing is written on failure: the caller may stage and commit apart.
    public func stageAndCommitMirrored(
        gateway id: Int64, stagedSize: UInt64, entries: CollectorEntryBatch, leafHashes: [Hash32],
        hasher: any MerkleHasher, check: @escaping @Sendable (TileExtension) throws -> Void,
        checkpoint: CollectedCheckpoint, anchorDocument: String?
    ) async throws -> MirrorCommit {
        try await transaction(write: true, locking: checkpoint.origin) { sql in
            let state = try sql.fencedGatewayState(id: id, lease: nil)
            let ext = try sql.appendStaged(
                state, from: stagedSize, entries: entries, leafHashes: leafHashes, hasher: hasher, check: check)
            return try sql.commitMirrored(
                state, size: ext.newSize, root: ext.root, checkpoint, hasher: hasher, anchorDocument: anchorDocument)
        }
    }

    /// The pending checkpoints of `origin`, by size.
    public func mirrorCheckpoints(origin: String) async throws(StoreError) -> [WitnessLogState] {
        try await storeTransaction { (sql) throws(StoreError) in
            try sql.all(
                "SELECT size, root, note, added_at FROM mirror_checkpoints WHERE origin = ?1 ORDER BY size",
                [.text(origin)], "reading the pending checkpoints of \(origin)"
            ) { (row) throws(StoreError) in try sql.mirrorRecord(origin: origin, row) }
        }
    }
}

extension UpstreamSQL {
    /// An upload's commit once the entries of `state`'s log give `root` at `size`: that must be
    /// `checkpoint`'s size and root; then `checkpoint` becomes the verified one (unless it is
    /// already), the pending checkpoints below it are dropped, and the answer says whether the
    /// origin is forked (then nothing is cosigned).
    ///
    /// - Throws: ``StoreError/Kind/conflict`` when the size or the root differs.
    func commitMirrored(
        _ state: CollectorGatewayState, size: UInt64, root: Hash32, _ checkpoint: CollectedCheckpoint,
        hasher: any MerkleHasher, anchorDocument: String?
    ) throws(StoreError) -> MirrorCommit {
        guard size == checkpoint.size, root == checkpoint.root else {
            throw StoreError(
                .conflict,
                "the entries of \(state.origin) give root \(root) at size \(size), "
                    + "but its pending checkpoint of size \(checkpoint.size) says \(checkpoint.root)",
                hint: "nothing was written")
        }
        if state.verifiedSize < checkpoint.size {
            try recordVerified(gateway: state, checkpoint, anchorDocument: anchorDocument, hasher: hasher)
        }
        try write(
            "DELETE FROM mirror_checkpoints WHERE origin = ?1 AND size < ?2",
            [.text(checkpoint.origin), .uint(checkpoint.size)],
            "pruning the pending checkpoints of \(checkpoint.origin)")
        return try forkEvidence(origin: checkpoint.origin).isEmpty ? .committed : .forked
    }

    func mirrorRecord(origin: String, _ row: any SQLRow) throws(StoreError) -> WitnessLogState {
        guard let root = row.hash(1) else { throw malformed("a pending checkpoint of \(origin)") }
        return WitnessLogState(
            origin: origin, size: row.uint64(0), root: root, note: row.text(2) ?? "", updatedAt: row.int64(3))
    }

    func mirrorCheckpoint(origin: String, size: UInt64) throws(StoreError) -> WitnessLogState? {
        try first(
            "SELECT size, root, note, added_at FROM mirror_checkpoints WHERE origin = ?1 AND size = ?2",
            [.text(origin), .uint(size)], "reading the pending checkpoint of \(origin) at \(size)"
        ) { (row) throws(StoreError) in try mirrorRecord(origin: origin, row) }
    }

    /// The collector's verified checkpoint in the shape of a pending one.
    func verifiedAsState(_ gateway: CollectorGatewayState) -> WitnessLogState? {
        guard gateway.verifiedSize > 0, let root = gateway.verifiedRoot else { return nil }
        return WitnessLogState(
            origin: gateway.origin, size: gateway.verifiedSize, root: root, note: gateway.verifiedNote ?? "",
            updatedAt: gateway.verifiedAt ?? 0)
    }

    /// The mirror's current checkpoint of `origin`: the largest pending one, or the verified one
    /// when that is larger (the mirror's copy of the log is the collected log).
    func mirrorCurrent(origin: String, gateway: CollectorGatewayState?) throws(StoreError) -> WitnessLogState? {
        let pending = try first(
            "SELECT size, root, note, added_at FROM mirror_checkpoints WHERE origin = ?1 ORDER BY size DESC LIMIT 1",
            [.text(origin)], "reading the pending checkpoints of \(origin)"
        ) { (row) throws(StoreError) in try mirrorRecord(origin: origin, row) }
        let verified = gateway.flatMap(verifiedAsState)
        guard let pending else { return verified }
        guard let verified, verified.size > pending.size else { return pending }
        return verified
    }

    /// The fork evidence `next` (a checkpoint pushed to the mirror) reveals against the collected
    /// tree, the witness's cosigned checkpoints and the other pending ones, if any.
    func mirrorConflict(
        _ next: WitnessLogState, gateway: CollectorGatewayState?, hasher: any MerkleHasher
    ) throws(StoreError) -> ForkEvidence? {
        let origin = next.origin
        func evidence(_ other: WitnessLogState, _ what: String) -> ForkEvidence {
            ForkEvidence(
                pushed: next, detectedBy: .mirror, against: other.size, other.root, other.note,
                detail: "the checkpoint pushed to the mirror has root \(next.root) at size \(next.size), but \(what)")
        }
        if let gateway, next.size > 0, next.size <= gateway.verifiedSize {
            let root = try collectedRoot(gateway, size: next.size, hasher: hasher)
            if root != next.root {
                let other = try collectedCheckpoint(gateway, atOrAbove: next.size)
                return evidence(
                    WitnessLogState(
                        origin: origin, size: other.size, root: other.root, note: other.note,
                        updatedAt: other.verifiedAt), "the entries the collector verified give \(root) at that size")
            }
        }
        let cosigned = try first(
            "SELECT size, root, note, cosigned_at FROM witness_checkpoints WHERE origin = ?1 AND size = ?2",
            [.text(origin), .uint(next.size)], "reading the cosigned checkpoint of \(origin) at \(next.size)"
        ) { (row) throws(StoreError) in try mirrorRecord(origin: origin, row) }
        if let cosigned, cosigned.root != next.root {
            return evidence(cosigned, "the witness cosigned root \(cosigned.root) at that size")
        }
        if let pending = try mirrorCheckpoint(origin: origin, size: next.size), pending.root != next.root {
            return evidence(pending, "a pending checkpoint of that size has root \(pending.root)")
        }
        return nil
    }
}
