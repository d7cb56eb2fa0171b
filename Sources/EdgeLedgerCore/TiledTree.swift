/// RFC 6962 Merkle tree operations on a tree whose hashes are stored as C2SP tlog-tiles
/// (see ``TileID``), read through a ``TileReader``.
///
/// The layout follows Go's `golang.org/x/mod/sumdb/tlog`: tile level `L` stores the hashes of the
/// complete subtrees at tree level `8·L`; a hash at any other tree level is recomputed from at most
/// 128 hashes of the tile below it. So a root costs at most ~8·255 hashes and a proof at most
/// ~2·log₂(n)·127, independent of the tree size, and reads each tile it needs once.
///
/// The tiles passed in must be those of a tree at least as large as the size asked about (partial
/// tiles may be wider than needed). Errors from the reader are passed through; missing or short
/// tiles are reported as ``TileError``; impossible requests (an index outside the tree) as
/// ``ProofError``.
public enum TiledTree {
    /// Grows a tree whose tiles are readable through `reader` from `oldSize` entries by the given
    /// leaf hashes, returning every tile that is new or changed and the new root.
    ///
    /// Cost: one hash per new interior node (≈ one per appended leaf), no re-hashing of old
    /// subtrees, and at most one tile read per level (the old partial tiles being completed, and
    /// the partial tiles the new root needs). Nothing is written: the store upserts
    /// ``TileExtension/tiles`` and records ``TileExtension/root`` in the same transaction.
    ///
    /// Appending nothing returns no tiles and the root at `oldSize`.
    ///
    /// - Throws: ``TileError`` when a partial tile at `oldSize` is missing or too short, or the new
    ///   size would overflow; any error `reader` throws.
    public static func extend(
        from oldSize: UInt64, appending leafHashes: some RandomAccessCollection<Hash32>, reader: some TileReader,
        hasher: some MerkleHasher
    ) throws -> TileExtension {
        let (newSize, overflow) = oldSize.addingReportingOverflow(UInt64(leafHashes.count))
        guard !overflow else {
            throw TileError("appending \(leafHashes.count) leaves to a tree of \(oldSize) overflows 64 bits")
        }
        var source = TileHashSource(reader: reader, hasher: hasher, treeSize: oldSize)
        var tiles: [(id: TileID, hashes: [Hash32])] = []
        tiles.reserveCapacity(leafHashes.count / (TileID.fullWidth - 1) + 2 * TileID.maxLevel)

        // Level 0 straight from the caller's buffer; each level's completed tiles give the next
        // level's new hashes.
        var parents = try withContiguous(leafHashes) { leaves in
            try appendLevel(0, oldCount: oldSize, newHashes: leaves, source: &source, tiles: &tiles)
        }
        var level = 1
        while !parents.isEmpty {
            let current = parents
            let oldCount = oldSize >> UInt64(level * TileID.height)
            parents = try current.withUnsafeBufferPointer { hashes in
                try appendLevel(level, oldCount: oldCount, newHashes: hashes, source: &source, tiles: &tiles)
            }
            level += 1
        }

        // The new root needs only each level's rightmost tile: take the new ones from `tiles`,
        // the unchanged ones from the reader.
        for tile in tiles where tile.id.hashRange.upperBound == newSize >> UInt64(tile.id.treeLevel) {
            source.store(level: tile.id.level, index: tile.id.index, hashes: tile.hashes)
        }
        source.treeSize = newSize
        let root = newSize == 0 ? hasher.emptyRoot : try source.rangeHash(0, newSize)
        return TileExtension(oldSize: oldSize, newSize: newSize, root: root, tiles: tiles)
    }

    /// The RFC 6962 root of the tree of `size` entries (``MerkleHasher/emptyRoot`` for 0).
    ///
    /// - Throws: ``TileError`` when a tile the root needs is missing or too short; any error
    ///   `reader` throws.
    public static func rootHash(size: UInt64, reader: some TileReader, hasher: some MerkleHasher) throws -> Hash32 {
        if size == 0 { return hasher.emptyRoot }
        var source = TileHashSource(reader: reader, hasher: hasher, treeSize: size)
        return try source.rangeHash(0, size)
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries, identical to
    /// ``Merkle/inclusionProof(index:leafHashes:hasher:)`` over the same leaves.
    ///
    /// - Throws: ``ProofError`` when `index >= size`; ``TileError`` when a needed tile is missing
    ///   or too short; any error `reader` throws.
    public static func inclusionProof(
        index: UInt64, size: UInt64, reader: some TileReader, hasher: some MerkleHasher
    ) throws -> [Hash32] {
        try Merkle.checkInclusionRequest(index: index, treeSize: size)
        var source = TileHashSource(reader: reader, hasher: hasher, treeSize: size)
        return try MerkleMath.inclusionPath(index: index, size: size) { lo, hi throws in
            try source.rangeHash(lo, hi)
        }
    }

    /// The consistency proof from the tree of `oldSize` entries to the tree of `newSize` entries,
    /// identical to ``Merkle/consistencyProof(from:leafHashes:hasher:)``; empty for equal sizes.
    ///
    /// - Throws: ``ProofError`` unless `1 <= oldSize <= newSize`; ``TileError`` when a needed tile
    ///   is missing or too short; any error `reader` throws.
    public static func consistencyProof(
        from oldSize: UInt64, to newSize: UInt64, reader: some TileReader, hasher: some MerkleHasher
    ) throws -> [Hash32] {
        try Merkle.checkConsistencyRequest(oldSize: oldSize, newSize: newSize)
        var source = TileHashSource(reader: reader, hasher: hasher, treeSize: newSize)
        return try MerkleMath.consistencyPath(oldSize: oldSize, newSize: newSize) { lo, hi throws in
            try source.rangeHash(lo, hi)
        }
    }

    // MARK: - Extension internals

    /// Appends `newHashes` to `level`, which holds `oldCount` hashes: emits the tiles that change
    /// (completing the old partial tile first) and returns the hashes of the newly full tiles,
    /// which are the next level's new hashes.
    private static func appendLevel<R: TileReader, H: MerkleHasher>(
        _ level: Int, oldCount: UInt64, newHashes: UnsafeBufferPointer<Hash32>,
        source: inout TileHashSource<R, H>, tiles: inout [(id: TileID, hashes: [Hash32])]
    ) throws -> [Hash32] {
        if newHashes.isEmpty { return [] }
        let fullWidth = TileID.fullWidth
        let firstTile = oldCount / UInt64(fullWidth)
        let kept = Int(oldCount % UInt64(fullWidth))
        let oldPartial = kept > 0 ? try source.tile(level: level, index: firstTile, atLeast: kept) : []
        var parents: [Hash32] = []
        parents.reserveCapacity((kept + newHashes.count) / fullWidth)

        var consumed = 0
        var tileIndex = firstTile
        while consumed < newHashes.count {
            let start = tileIndex == firstTile ? kept : 0
            let take = min(fullWidth - start, newHashes.count - consumed)
            var hashes: [Hash32] = []
            hashes.reserveCapacity(start + take)
            if start > 0 { hashes.append(contentsOf: oldPartial[0..<start]) }
            hashes.append(contentsOf: UnsafeBufferPointer(rebasing: newHashes[consumed..<consumed + take]))
            consumed += take
            if hashes.count == fullWidth {
                parents.append(hashes.withUnsafeBufferPointer { MerkleMath.treeHash($0, hasher: source.hasher) })
            }
            tiles.append((TileID(level: level, index: tileIndex, width: hashes.count), hashes))
            tileIndex += 1
        }
        return parents
    }

    private static func withContiguous<Result>(
        _ hashes: some RandomAccessCollection<Hash32>, _ body: (UnsafeBufferPointer<Hash32>) throws -> Result
    ) throws -> Result {
        if let result = try hashes.withContiguousStorageIfAvailable(body) { return result }
        return try Array(hashes).withUnsafeBufferPointer(body)
    }
}
