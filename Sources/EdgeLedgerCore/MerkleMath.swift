/// Index arithmetic and hashing loops shared by ``Merkle`` (leaves in memory) and ``TiledTree``
/// (hashes in tiles). Internal: the public entry points validate their inputs first.
enum MerkleMath {
    /// The largest power of two strictly less than `n`; `n` must be at least 2.
    /// This is RFC 6962's split point `k` for a tree of `n` leaves.
    @inline(__always)
    static func splitPoint(_ n: UInt64) -> UInt64 {
        1 << UInt64(63 - (n - 1).leadingZeroBitCount)
    }

    /// Splits the inclusion path of `index` in a tree of `size` into the part inside the largest
    /// perfect subtree that holds both `index` and `size - 1` (`inner`) and the part above it
    /// (`border`, one hash per left-side perfect subtree). Requires `index < size`.
    @inline(__always)
    static func decomposeInclusion(index: UInt64, size: UInt64) -> (inner: Int, border: Int) {
        let inner = 64 - (index ^ (size - 1)).leadingZeroBitCount
        let border = (index >> UInt64(inner)).nonzeroBitCount
        return (inner, border)
    }

    /// Number of hashes in the inclusion proof of `index` in a tree of `size`; requires `index < size`.
    static func inclusionProofLength(index: UInt64, size: UInt64) -> Int {
        let (inner, border) = decomposeInclusion(index: index, size: size)
        return inner + border
    }

    /// Number of hashes in the consistency proof from `oldSize` to `newSize`;
    /// requires `1 <= oldSize <= newSize`.
    static func consistencyProofLength(oldSize: UInt64, newSize: UInt64) -> Int {
        if oldSize == newSize { return 0 }
        let (inner, border) = decomposeInclusion(index: oldSize - 1, size: newSize)
        let shift = oldSize.trailingZeroBitCount
        // When oldSize is a power of two its root is a node of the new tree and is not sent.
        let seed = oldSize == (1 << UInt64(shift)) ? 0 : 1
        return seed + (inner - shift) + border
    }

    /// RFC 6962 tree hash (MTH) of a non-empty run of hashes, with one hash per interior node and
    /// no heap allocation: a stack of perfect-subtree roots, folded right to left at the end.
    static func treeHash(_ hashes: UnsafeBufferPointer<Hash32>, hasher: some MerkleHasher) -> Hash32 {
        precondition(!hashes.isEmpty, "treeHash of an empty range")
        if hashes.count == 1 { return hashes[0] }
        return withUnsafeTemporaryAllocation(of: Hash32.self, capacity: 64) { stack in
            var depth = 0
            var count: UInt64 = 0
            for leaf in hashes {
                var node = leaf
                count += 1
                // After the c-th hash, the trailing zero bits of c say how many subtrees complete.
                for _ in 0..<count.trailingZeroBitCount {
                    depth -= 1
                    node = hasher.nodeHash(stack[depth], node)
                }
                stack.initializeElement(at: depth, to: node)
                depth += 1
            }
            var root = stack[depth - 1]
            var i = depth - 2
            while i >= 0 {
                root = hasher.nodeHash(stack[i], root)
                i -= 1
            }
            return root
        }
    }

    /// The RFC 6962 `PATH(index, D[0:size])`: sibling subtree hashes from the leaf upward.
    /// `rangeHash(lo, hi)` must return `MTH(D[lo:hi])`. Requires `index < size`.
    static func inclusionPath<E: Error>(
        index: UInt64, size: UInt64, rangeHash: (UInt64, UInt64) throws(E) -> Hash32
    ) throws(E) -> [Hash32] {
        var proof: [Hash32] = []
        proof.reserveCapacity(inclusionProofLength(index: index, size: size))
        var lo: UInt64 = 0
        var hi = size
        while hi - lo > 1 {
            let k = splitPoint(hi - lo)
            if index < lo + k {
                proof.append(try rangeHash(lo + k, hi))
                hi = lo + k
            } else {
                proof.append(try rangeHash(lo, lo + k))
                lo += k
            }
        }
        proof.reverse()
        return proof
    }

    /// The RFC 6962 `PROOF(oldSize, D[0:newSize])` (`SUBPROOF` with `b = true`), deepest hash first.
    /// Requires `1 <= oldSize <= newSize`.
    static func consistencyPath<E: Error>(
        oldSize: UInt64, newSize: UInt64, rangeHash: (UInt64, UInt64) throws(E) -> Hash32
    ) throws(E) -> [Hash32] {
        var proof: [Hash32] = []
        proof.reserveCapacity(consistencyProofLength(oldSize: oldSize, newSize: newSize))
        var lo: UInt64 = 0
        var hi = newSize
        var isOriginalRoot = true
        while oldSize != hi {
            let k = splitPoint(hi - lo)
            if oldSize <= lo + k {
                proof.append(try rangeHash(lo + k, hi))
                hi = lo + k
            } else {
                proof.append(try rangeHash(lo, lo + k))
                lo += k
                isOriginalRoot = false
            }
        }
        if !isOriginalRoot { proof.append(try rangeHash(lo, hi)) }
        proof.reverse()
        return proof
    }
}
