/// Subtree consistency proofs over leaf hashes in memory (draft-ietf-plants-merkle-tree-certs,
/// "Subtree consistency proofs"), as C2SP tlog-mirror's `add-entries` packages carry them.
extension Merkle {
    /// Whether `[start, end)` is a subtree: `start <= end` and `start` is a multiple of the
    /// smallest power of two at least `end - start`.
    public static func isValidSubtree(start: UInt64, end: UInt64) -> Bool {
        MerkleMath.isValidSubtree(start: start, end: end)
    }

    /// The subtree consistency proof of `[start, end)` in the tree made of all of `leafHashes`;
    /// empty when `start == end`.
    ///
    /// - Throws: ``ProofError`` of kind ``ProofError/Kind/invalidRequest`` when `[start, end)` is
    ///   not a subtree or ends beyond the tree.
    public static func subtreeConsistencyProof(
        start: UInt64, end: UInt64, leafHashes: some RandomAccessCollection<Hash32>, hasher: some MerkleHasher
    ) throws(ProofError) -> [Hash32] {
        let size = UInt64(leafHashes.count)
        try checkSubtreeRequest(start: start, end: end, treeSize: size)
        if start == end { return [] }
        return withContiguous(leafHashes) { leaves in
            MerkleMath.subtreeConsistencyPath(start: start, end: end, size: size) { lo, hi in
                MerkleMath.treeHash(UnsafeBufferPointer(rebasing: leaves[Int(lo)..<Int(hi)]), hasher: hasher)
            }
        }
    }

    /// Checks that `proof` shows the subtree `[start, end)` with hash `subtreeHash` is part of the
    /// tree of `treeSize` leaves with root `root`: every leaf under the subtree hash is the leaf at
    /// the same position of the tree.
    ///
    /// - Throws: ``ProofError``: ``ProofError/Kind/invalidRequest`` when `[start, end)` is not a
    ///   subtree of that tree; ``ProofError/Kind/malformedProof`` when the proof is too short or
    ///   too long; ``ProofError/Kind/mismatch`` when it leads to another subtree hash or root.
    public static func verifySubtreeConsistency(
        start: UInt64, end: UInt64, treeSize: UInt64, subtreeHash: Hash32, root: Hash32, proof: [Hash32],
        hasher: some MerkleHasher
    ) throws(ProofError) {
        try checkSubtreeRequest(start: start, end: end, treeSize: treeSize)
        if start == end {
            guard proof.isEmpty else {
                throw ProofError(.malformedProof, "the proof of the empty subtree [\(start), \(end)) must be empty")
            }
            guard subtreeHash == hasher.emptyRoot else {
                throw ProofError(.mismatch, "the empty subtree [\(start), \(end)) must have the empty tree's hash")
            }
            return
        }
        var fn = start
        var sn = end - 1
        var tn = treeSize - 1
        func shift() {
            fn >>= 1
            sn >>= 1
            tn >>= 1
        }
        if sn == tn {
            while fn != sn { shift() }
        } else {
            while fn != sn && sn & 1 == 1 { shift() }
        }
        var path = proof[...]
        var fr: Hash32
        if fn == sn {
            fr = subtreeHash
        } else {
            guard let first = path.popFirst() else {
                throw ProofError(
                    .malformedProof, "the proof of subtree [\(start), \(end)) in a tree of \(treeSize) is empty",
                    hint: "the proof was truncated or made for another subtree or tree size")
            }
            fr = first
        }
        var sr = fr
        for c in path {
            guard tn != 0 else {
                throw ProofError(
                    .malformedProof,
                    "the proof of subtree [\(start), \(end)) in a tree of \(treeSize) has more hashes than the path",
                    hint: "the proof was padded or made for another subtree or tree size")
            }
            if sn & 1 == 1 || sn == tn {
                if fn < sn { fr = hasher.nodeHash(c, fr) }
                sr = hasher.nodeHash(c, sr)
                while sn & 1 == 0 { shift() }
            } else {
                sr = hasher.nodeHash(sr, c)
            }
            shift()
        }
        guard tn == 0 else {
            throw ProofError(
                .malformedProof,
                "the proof of subtree [\(start), \(end)) in a tree of \(treeSize) ends below the root",
                hint: "the proof was truncated or made for another subtree or tree size")
        }
        guard fr == subtreeHash else {
            throw ProofError(
                .mismatch,
                "the proof of subtree [\(start), \(end)) in a tree of \(treeSize) leads to subtree hash \(fr), "
                    + "not \(subtreeHash)", hint: "the entries or the proof do not belong to this tree")
        }
        guard sr == root else {
            throw ProofError(
                .mismatch,
                "the proof of subtree [\(start), \(end)) in a tree of \(treeSize) leads to root \(sr), not \(root)",
                hint: "the entries or the proof do not belong to this tree")
        }
    }

    static func checkSubtreeRequest(start: UInt64, end: UInt64, treeSize: UInt64) throws(ProofError) {
        guard MerkleMath.isValidSubtree(start: start, end: end) else {
            throw ProofError(
                .invalidRequest, "[\(start), \(end)) is not a subtree",
                hint: "a subtree starts at a multiple of the smallest power of two at least its size")
        }
        guard end <= treeSize else {
            throw ProofError(
                .invalidRequest, "subtree [\(start), \(end)) ends beyond a tree of \(treeSize)",
                hint: "use a checkpoint whose tree size is at least the subtree's end")
        }
    }
}
