extension TiledTree {
    /// The subtree consistency proof of `[start, end)` in the tree of `size` entries, identical to
    /// ``Merkle/subtreeConsistencyProof(start:end:leafHashes:hasher:)`` over the same leaves; empty
    /// when `start == end`.
    ///
    /// - Throws: ``ProofError`` when `[start, end)` is not a subtree ending within `size`;
    ///   ``TileError`` when a needed tile is missing or too short; any error `reader` throws.
    public static func subtreeConsistencyProof(
        start: UInt64, end: UInt64, size: UInt64, reader: some TileReader, hasher: some MerkleHasher
    ) throws -> [Hash32] {
        try Merkle.checkSubtreeRequest(start: start, end: end, treeSize: size)
        if start == end { return [] }
        var source = TileHashSource(reader: reader, hasher: hasher, treeSize: size)
        return try MerkleMath.subtreeConsistencyPath(start: start, end: end, size: size) { lo, hi throws in
            try source.rangeHash(lo, hi)
        }
    }
}
