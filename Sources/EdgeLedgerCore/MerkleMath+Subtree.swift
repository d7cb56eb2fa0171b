/// Subtrees and subtree consistency proofs (draft-ietf-plants-merkle-tree-certs, "Subtrees" and
/// "Subtree consistency proofs"), shared by ``Merkle`` and ``TiledTree``.
extension MerkleMath {
    /// Whether `[start, end)` is a subtree: `start <= end` and `start` is a multiple of the
    /// smallest power of two at least `end - start` (every `[0, n)` and every `[x, x)` is one).
    static func isValidSubtree(start: UInt64, end: UInt64) -> Bool {
        guard start <= end else { return false }
        let size = end - start
        if size <= 1 { return true }
        if size > 1 << 63 { return start == 0 }
        let ceiling: UInt64 = 1 << UInt64(64 - (size - 1).leadingZeroBitCount)
        return start & (ceiling - 1) == 0
    }

    /// The subtree consistency proof `SUBTREE_PROOF(start, end, D[0:size])`, deepest hash first.
    /// `rangeHash(lo, hi)` must return `MTH(D[lo:hi])`. Requires a valid, non-empty subtree with
    /// `end <= size`.
    static func subtreeConsistencyPath<E: Error>(
        start: UInt64, end: UInt64, size: UInt64, rangeHash: (UInt64, UInt64) throws(E) -> Hash32
    ) throws(E) -> [Hash32] {
        var proof: [Hash32] = []
        proof.reserveCapacity(2 * 64)
        var lo: UInt64 = 0
        var hi = size
        var subtreeStart = start
        // Whether the subtree's own hash is a node of the tree (then the verifier knows it).
        var isNode = true
        while !(subtreeStart == lo && end == hi) {
            let k = lo + splitPoint(hi - lo)
            if end <= k {
                proof.append(try rangeHash(k, hi))
                hi = k
            } else if k <= subtreeStart {
                proof.append(try rangeHash(lo, k))
                lo = k
            } else {
                // subtreeStart == lo < k < end: the subtree's left part is the whole left child.
                proof.append(try rangeHash(lo, k))
                lo = k
                subtreeStart = k
                isNode = false
            }
        }
        if !isNode { proof.append(try rangeHash(lo, hi)) }
        proof.reverse()
        return proof
    }
}
