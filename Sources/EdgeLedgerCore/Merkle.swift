/// RFC 6962 / RFC 9162 §2.1 Merkle tree operations over leaf hashes held in memory.
///
/// Every function takes leaf hashes (`H(0x00 || entry)`, from `MerkleHasher.leafHash`),
/// not entries, and a ``MerkleHasher`` that fixes the algorithm (SHA-256 or SM3).
///
/// Generating functions cost one hash per interior node they need (O(n) for a tree of n leaves)
/// and allocate nothing per hash. Verifying functions cost O(log n) and need no leaves at all.
/// For trees whose hashes are stored as C2SP tiles, use ``TiledTree`` instead.
///
/// Conventions, shared with Go's `golang.org/x/mod/sumdb/tlog` and the project's test vectors:
/// an inclusion proof needs `index < treeSize`; a consistency proof needs
/// `1 <= oldSize <= newSize` (every tree trivially extends the empty tree, so a proof from size 0
/// proves nothing and is refused), and for equal sizes it is empty and the roots must be equal.
public enum Merkle {
    /// The RFC 6962 tree hash `MTH(D[0:n])` of the given leaf hashes; the empty tree's root
    /// (`H()`, ``MerkleHasher/emptyRoot``) when there are none.
    public static func rootHash(_ leafHashes: some RandomAccessCollection<Hash32>, hasher: some MerkleHasher) -> Hash32
    {
        if leafHashes.isEmpty { return hasher.emptyRoot }
        return withContiguous(leafHashes) { MerkleMath.treeHash($0, hasher: hasher) }
    }

    /// The inclusion proof (RFC 9162 §2.1.3.1 audit path) of leaf `index` in the tree made of
    /// `leafHashes`, deepest sibling first.
    ///
    /// - Throws: ``ProofError`` of kind ``ProofError/Kind/invalidRequest`` when `index` is not a
    ///   leaf of the tree.
    public static func inclusionProof(
        index: UInt64, leafHashes: some RandomAccessCollection<Hash32>, hasher: some MerkleHasher
    ) throws(ProofError) -> [Hash32] {
        let size = UInt64(leafHashes.count)
        try checkInclusionRequest(index: index, treeSize: size)
        return withContiguous(leafHashes) { leaves in
            MerkleMath.inclusionPath(index: index, size: size) { lo, hi in
                MerkleMath.treeHash(UnsafeBufferPointer(rebasing: leaves[Int(lo)..<Int(hi)]), hasher: hasher)
            }
        }
    }

    /// The consistency proof (RFC 9162 §2.1.4.1) from the tree of the first `oldSize` leaves to the
    /// tree made of all of `leafHashes`. Empty when the sizes are equal.
    ///
    /// - Throws: ``ProofError`` of kind ``ProofError/Kind/invalidRequest`` when `oldSize` is 0 or
    ///   larger than the number of leaves.
    public static func consistencyProof(
        from oldSize: UInt64, leafHashes: some RandomAccessCollection<Hash32>, hasher: some MerkleHasher
    ) throws(ProofError) -> [Hash32] {
        let newSize = UInt64(leafHashes.count)
        try checkConsistencyRequest(oldSize: oldSize, newSize: newSize)
        return withContiguous(leafHashes) { leaves in
            MerkleMath.consistencyPath(oldSize: oldSize, newSize: newSize) { lo, hi in
                MerkleMath.treeHash(UnsafeBufferPointer(rebasing: leaves[Int(lo)..<Int(hi)]), hasher: hasher)
            }
        }
    }

    /// Checks that `proof` shows the leaf with hash `leafHash` at position `index` in the tree of
    /// `treeSize` leaves whose root is `root` (RFC 9162 §2.1.3.2).
    ///
    /// - Throws: ``ProofError``: ``ProofError/Kind/invalidRequest`` when `index >= treeSize`,
    ///   ``ProofError/Kind/malformedProof`` when the proof has the wrong number of hashes,
    ///   ``ProofError/Kind/mismatch`` when it leads to a different root.
    public static func verifyInclusion(
        index: UInt64, treeSize: UInt64, leafHash: Hash32, proof: [Hash32], root: Hash32, hasher: some MerkleHasher
    ) throws(ProofError) {
        let computed = try rootFromInclusionProof(
            index: index, treeSize: treeSize, leafHash: leafHash, proof: proof, hasher: hasher)
        guard computed == root else {
            throw ProofError(
                .mismatch,
                "inclusion proof for index \(index) in a tree of \(treeSize) leads to root \(computed), "
                    + "not the expected \(root)",
                hint: "the leaf, the proof or the root does not belong to this tree")
        }
    }

    /// The root that `proof` implies for the leaf `leafHash` at `index` in a tree of `treeSize`
    /// leaves. Useful to check one proof against several candidate roots; ``verifyInclusion(index:treeSize:leafHash:proof:root:hasher:)``
    /// is this plus the comparison.
    ///
    /// - Throws: ``ProofError`` when `index >= treeSize` or the proof length is wrong.
    public static func rootFromInclusionProof(
        index: UInt64, treeSize: UInt64, leafHash: Hash32, proof: [Hash32], hasher: some MerkleHasher
    ) throws(ProofError) -> Hash32 {
        try checkInclusionRequest(index: index, treeSize: treeSize)
        let expected = MerkleMath.inclusionProofLength(index: index, size: treeSize)
        guard proof.count == expected else {
            throw ProofError(
                .malformedProof,
                "proof has \(proof.count) \(proof.count == 1 ? "hash" : "hashes"), expected \(expected) "
                    + "for index \(index) in a tree of \(treeSize)",
                hint: "the proof was made for another index or tree size, or was truncated or padded")
        }
        // RFC 9162 §2.1.3.2, with fn = index and sn = treeSize - 1.
        var fn = index
        var sn = treeSize - 1
        var r = leafHash
        for p in proof {
            if fn & 1 == 1 || fn == sn {
                r = hasher.nodeHash(p, r)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                r = hasher.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        // The length check above guarantees this; kept as a guard against arithmetic slips.
        guard sn == 0 else {
            throw ProofError(.malformedProof, "proof for index \(index) in a tree of \(treeSize) ends below the root")
        }
        return r
    }

    /// Checks that `proof` shows the tree of `newSize` leaves with root `newRoot` extends the tree
    /// of `oldSize` leaves with root `oldRoot` (RFC 9162 §2.1.4.2).
    ///
    /// - Throws: ``ProofError``: ``ProofError/Kind/invalidRequest`` when `oldSize` is 0 or larger
    ///   than `newSize`, ``ProofError/Kind/malformedProof`` when the proof has the wrong number of
    ///   hashes (it must be empty for equal sizes), ``ProofError/Kind/mismatch`` when either root
    ///   does not follow.
    public static func verifyConsistency(
        oldSize: UInt64, newSize: UInt64, oldRoot: Hash32, newRoot: Hash32, proof: [Hash32], hasher: some MerkleHasher
    ) throws(ProofError) {
        try checkConsistencyRequest(oldSize: oldSize, newSize: newSize)
        let expected = MerkleMath.consistencyProofLength(oldSize: oldSize, newSize: newSize)
        guard proof.count == expected else {
            throw ProofError(
                .malformedProof,
                "proof has \(proof.count) \(proof.count == 1 ? "hash" : "hashes"), expected \(expected) "
                    + "for consistency from size \(oldSize) to size \(newSize)",
                hint: "the proof was made for other tree sizes, or was truncated or padded")
        }
        if oldSize == newSize {
            guard oldRoot == newRoot else {
                throw ProofError(
                    .mismatch, "two trees of size \(oldSize) have different roots \(oldRoot) and \(newRoot)",
                    hint: "a log that shows two roots for one size has forked; keep both checkpoints as evidence")
            }
            return
        }
        // RFC 9162 §2.1.4.2. When oldSize is a power of two, the old root is the path's start.
        var path = proof[...]
        let seed: Hash32
        if oldSize & (oldSize - 1) == 0 {
            seed = oldRoot
        } else {
            seed = path.removeFirst()
        }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = seed
        var sr = seed
        for c in path {
            if fn & 1 == 1 || fn == sn {
                fr = hasher.nodeHash(c, fr)
                sr = hasher.nodeHash(c, sr)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                sr = hasher.nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else {
            throw ProofError(
                .malformedProof, "consistency proof from size \(oldSize) to size \(newSize) ends below the root")
        }
        guard fr == oldRoot else {
            throw ProofError(
                .mismatch,
                "consistency proof from size \(oldSize) to size \(newSize) leads to old root \(fr), "
                    + "not the expected \(oldRoot)",
                hint: "the proof or the old root is wrong; if both come from the log, the log has forked")
        }
        guard sr == newRoot else {
            throw ProofError(
                .mismatch,
                "consistency proof from size \(oldSize) to size \(newSize) leads to new root \(sr), "
                    + "not the expected \(newRoot)",
                hint: "the proof or the new root is wrong; if both come from the log, the log has forked")
        }
    }

    /// The number of hashes in an inclusion proof for `index` in a tree of `treeSize` leaves,
    /// or `nil` when `index` is not a leaf of that tree.
    public static func inclusionProofLength(index: UInt64, treeSize: UInt64) -> Int? {
        index < treeSize ? MerkleMath.inclusionProofLength(index: index, size: treeSize) : nil
    }

    /// The number of hashes in a consistency proof from `oldSize` to `newSize`,
    /// or `nil` unless `1 <= oldSize <= newSize`.
    public static func consistencyProofLength(oldSize: UInt64, newSize: UInt64) -> Int? {
        oldSize >= 1 && oldSize <= newSize
            ? MerkleMath.consistencyProofLength(oldSize: oldSize, newSize: newSize) : nil
    }

    // MARK: - Request validation, shared with TiledTree

    static func checkInclusionRequest(index: UInt64, treeSize: UInt64) throws(ProofError) {
        guard treeSize > 0 else {
            throw ProofError(
                .invalidRequest, "a tree of size 0 has no leaf \(index)",
                hint: "inclusion can only be proved in a tree that contains the leaf")
        }
        guard index < treeSize else {
            throw ProofError(
                .invalidRequest, "index \(index) is outside a tree of \(treeSize) (valid: 0...\(treeSize - 1))",
                hint: "use a checkpoint whose tree size is larger than the index")
        }
    }

    static func checkConsistencyRequest(oldSize: UInt64, newSize: UInt64) throws(ProofError) {
        guard oldSize > 0 else {
            throw ProofError(
                .invalidRequest, "consistency from the empty tree (size 0) to size \(newSize) proves nothing",
                hint: "every tree extends the empty tree; ask for consistency from a size of at least 1")
        }
        guard oldSize <= newSize else {
            throw ProofError(
                .invalidRequest, "old size \(oldSize) is larger than new size \(newSize)",
                hint: "a log only grows: swap the sizes, or the newer checkpoint is a rollback")
        }
    }

    /// Calls `body` with the hashes as one contiguous buffer, copying only when the collection
    /// has no contiguous storage of its own.
    static func withContiguous<R>(
        _ hashes: some RandomAccessCollection<Hash32>, _ body: (UnsafeBufferPointer<Hash32>) -> R
    ) -> R {
        if let result = hashes.withContiguousStorageIfAvailable(body) { return result }
        return Array(hashes).withUnsafeBufferPointer(body)
    }
}
