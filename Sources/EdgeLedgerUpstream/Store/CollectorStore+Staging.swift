import EdgeLedgerCore
import EdgeLedgerStore

/// Storing what a collector fetched: staged entries, verified checkpoints, discarding.
extension CollectorStore {
    /// Extends the staged part of gateway `id`'s log by `entries` (whose leaf hashes are
    /// `leafHashes`), in one transaction: the entries, the hash tiles extended over them, and the
    /// new staged size.
    ///
    /// - Parameters:
    ///   - stagedSize: the staged size the caller extends; must equal the stored one (one
    ///     collector per gateway).
    ///   - check: sees the computed extension (new tiles and root) before anything is written;
    ///     throwing refuses the batch and writes nothing.
    ///   - complete: when the extension reaches this checkpoint's size, its root must equal the
    ///     checkpoint's root; then the checkpoint becomes the verified one, is stored, and (with an
    ///     `anchorDocument`) an anchoring job is queued, in the same transaction.
    ///   - lease: the collector's lease; the write is refused when it is no longer current.
    ///   - origin: take the origin's lock (one view per origin) even without `complete`.
    ///
    /// Without `complete` the commit is not waited to be on disk (PostgreSQL; see
    /// ``UpstreamDatabase/transaction(write:locking:durable:_:)``): nothing is acknowledged or
    /// cosigned on staged entries until a later durable commit verifies them, and that commit
    /// makes every earlier one durable with it. A database crash in between loses staged entries
    /// at the end of the log, never in its middle; the collector or the uploader then resumes
    /// from the staged size the database holds. A backlog is then not staged at the pace of the
    /// disk's flushes.
    /// - Returns: the extension that was stored.
    /// - Throws: whatever `check` throws, unchanged; ``StoreError/Kind/conflict`` when the staged
    ///   size moved, or when the root at `complete.size` differs from `complete.root`;
    ///   ``StoreError/Kind/leaseLost``; otherwise the database's failure. Nothing is written on
    ///   failure.
    @discardableResult
    public func stage(
        gateway id: Int64, stagedSize: UInt64, entries: CollectorEntryBatch, leafHashes: [Hash32],
        hasher: any MerkleHasher, check: @escaping @Sendable (TileExtension) throws -> Void = { _ in },
        complete: CollectedCheckpoint? = nil, anchorDocument: String? = nil, lease: CollectorLease? = nil,
        locking origin: String? = nil
    ) async throws -> TileExtension {
        precondition(entries.count == leafHashes.count, "stage: \(entries.count) entries, \(leafHashes.count) hashes")
        return try await transaction(write: true, locking: origin ?? complete?.origin, durable: complete != nil) {
            sql in
            let state = try sql.fencedGatewayState(id: id, lease: lease)
            let ext = try sql.appendStaged(
                state, from: stagedSize, entries: entries, leafHashes: leafHashes, hasher: hasher, check: check)
            if let complete, complete.size == ext.newSize {
                guard ext.root == complete.root else {
                    throw StoreError(
                        .conflict,
                        "the entries of \(state.origin) give root \(ext.root) at size \(ext.newSize), "
                            + "but its checkpoint says \(complete.root)", hint: "nothing was written")
                }
                try sql.recordVerified(gateway: state, complete, anchorDocument: anchorDocument, hasher: hasher)
            }
            return ext
        }
    }

    /// Records `checkpoint` as the verified one of gateway `id` when the staged entries already
    /// reach its size and their root (from the stored tiles) equals its root; queues the anchoring
    /// job. Used after an interruption between staging the last entries and verifying them, and
    /// for a checkpoint that repeats the verified size (a note with new cosignatures).
    ///
    /// - Throws: ``StoreError/Kind/conflict`` when the root differs; ``StoreError/Kind/outOfRange``
    ///   when the staged size is not the checkpoint's; ``StoreError/Kind/leaseLost``.
    public func verifyStaged(
        gateway id: Int64, checkpoint: CollectedCheckpoint, hasher: any MerkleHasher, anchorDocument: String?,
        lease: CollectorLease? = nil
    ) async throws(StoreError) {
        try await storeTransaction(write: true, locking: checkpoint.origin) { (sql) throws(StoreError) in
            let state = try sql.fencedGatewayState(id: id, lease: lease)
            guard state.stagedSize == checkpoint.size else {
                throw StoreError(
                    .outOfRange,
                    "\(state.origin): \(state.stagedSize) entries are staged, the checkpoint is at \(checkpoint.size)")
            }
            let root = try sql.collectedRoot(state, size: checkpoint.size, hasher: hasher)
            guard root == checkpoint.root else {
                throw StoreError(
                    .conflict,
                    "the entries of \(state.origin) give root \(root) at size \(checkpoint.size), "
                        + "but its checkpoint says \(checkpoint.root)")
            }
            try sql.recordVerified(gateway: state, checkpoint, anchorDocument: anchorDocument, hasher: hasher)
        }
    }

    /// Discards the staged entries of gateway `id` (those beyond its verified size) and trims
    /// its hash tiles back to the verified size.
    ///
    /// - Returns: how many entries were discarded.
    @discardableResult
    public func discardStaged(gateway id: Int64, lease: CollectorLease? = nil) async throws(StoreError) -> UInt64 {
        try await storeTransaction(write: true) { (sql) throws(StoreError) -> UInt64 in
            guard (try sql.gatewayState(id: id)) != nil else { return 0 }
            let state = try sql.fencedGatewayState(id: id, lease: lease)
            let verified = state.verifiedSize
            guard state.stagedSize != verified else { return 0 }
            try sql.truncateEntries(gateway: id, to: verified)
            // Tiles only grow at the right: the tiles at the verified size are prefixes.
            for level in 0...TileID.maxLevel {
                let count = Int64(clamping: verified >> UInt64(TileID.height * level))
                let arguments: [SQLArgument] = [.int(id), .int(Int64(level)), .int(count)]
                try sql.run(
                    "DELETE FROM tiles WHERE gateway = ?1 AND level = ?2 AND idx * 256 >= ?3", arguments,
                    "trimming the tiles of \(state.origin) to size \(verified)")
                try sql.run(
                    "UPDATE tiles SET width = ?3 - idx * 256, "
                        + "hashes = substr(hashes, 1, CAST(32 * (?3 - idx * 256) AS INTEGER)) "
                        + "WHERE gateway = ?1 AND level = ?2 AND idx * 256 < ?3 AND idx * 256 + width > ?3",
                    arguments, "trimming the tiles of \(state.origin) to size \(verified)")
            }
            try sql.setStagedSize(gateway: id, verified)
            return state.stagedSize - verified
        }
    }
}

extension UpstreamSQL {
    /// Appends `entries` (with their `leafHashes`) to the staged part of `state`'s log inside the
    /// caller's transaction: by compare-and-set on the staged size, with the hash tiles extended
    /// over them; `check` sees the extension before anything is written.
    ///
    /// - Throws: ``StoreError/Kind/conflict`` when the staged size is not `stagedSize`; whatever
    ///   `check` throws.
    func appendStaged(
        _ state: CollectorGatewayState, from stagedSize: UInt64, entries: CollectorEntryBatch, leafHashes: [Hash32],
        hasher: any MerkleHasher, check: (TileExtension) throws -> Void
    ) throws -> TileExtension {
        guard state.stagedSize == stagedSize else {
            throw StoreError(
                .conflict, "the staged size of \(state.origin) is \(state.stagedSize), not \(stagedSize)",
                hint: "only one collector may run per gateway; nothing was written")
        }
        let ext = try TiledTree.extend(
            from: stagedSize, appending: leafHashes,
            reader: try CollectorTileReader(sql: self, gateway: state.id, rightEdgeOf: stagedSize),
            hasher: hasher)
        try check(ext)
        try insertEntries(gateway: state.id, from: stagedSize, entries)
        try upsertTiles(gateway: state.id, ext.tiles)
        try setStagedSize(gateway: state.id, ext.newSize)
        return ext
    }
}
