/// Why a package was refused by ``MirrorPackage/verify(leafHashes:held:treeSize:root:hasher:)``.
public enum MirrorPackageRefusal: Error, Sendable, Equatable {
    /// The subtree consistency proof does not verify (HTTP 422: nothing of the package is stored).
    case badProof(ProofError)
    /// The package carries entry `index`, already held with another leaf hash: the held entries
    /// (unverified ones, staged by a pull) are not the log's.
    case heldEntryDiffers(index: UInt64)
    /// Fewer held hashes than the package needs before its first entry (a caller's error).
    case missingHeld(needed: Int, held: Int)
}

extension MirrorPackage {
    /// Authenticates the package against the checkpoint of `treeSize` entries with root `root`:
    /// the subtree hash of `[subtreeStart, end)` is rebuilt from the held leaf hashes before
    /// ``start`` and the package's own entries (`leafHashes`, one per entry), and the subtree
    /// consistency proof must connect it to `root`. Entries the package carries that are already
    /// held (`held` beyond `start - subtreeStart`) must have the same leaf hashes.
    ///
    /// - Parameters:
    ///   - held: the held leaf hashes from `subtreeStart` on (the level-0 tile's prefix).
    ///   - ownSubtreeHash: `Merkle.rootHash(leafHashes)` when the caller has computed it already
    ///     (see ``subtreeHash(leafHashes:hasher:)``); used only when the package starts its
    ///     subtree, and computed here otherwise.
    /// - Throws: ``MirrorPackageRefusal``.
    public func verify(
        leafHashes: [Hash32], held: ArraySlice<Hash32>, treeSize: UInt64, root: Hash32, hasher: some MerkleHasher,
        ownSubtreeHash: Hash32? = nil
    ) throws(MirrorPackageRefusal) {
        precondition(leafHashes.count == entries.count, "one leaf hash per entry")
        let before = Int(start - subtreeStart)
        guard held.count >= before else { throw .missingHeld(needed: before, held: held.count) }
        let subtreeHash: Hash32
        if before == 0 {
            subtreeHash = ownSubtreeHash ?? Merkle.rootHash(leafHashes, hasher: hasher)
        } else {
            var leaves = Array(held.prefix(before))
            leaves.append(contentsOf: leafHashes)
            subtreeHash = Merkle.rootHash(leaves, hasher: hasher)
        }
        do {
            try Merkle.verifySubtreeConsistency(
                start: subtreeStart, end: end, treeSize: treeSize, subtreeHash: subtreeHash, root: root, proof: proof,
                hasher: hasher)
        } catch {
            throw .badProof(error)
        }
        let overlap = min(held.count, Int(end - subtreeStart))
        if overlap > before {
            let heldStart = held.startIndex
            for i in before..<overlap where held[heldStart + i] != leafHashes[i - before] {
                throw .heldEntryDiffers(index: subtreeStart + UInt64(i))
            }
        }
    }

    /// The subtree hash ``verify(leafHashes:held:treeSize:root:hasher:ownSubtreeHash:)`` needs,
    /// when it depends on the package alone (the package starts its subtree): computed ahead,
    /// e.g. while the package's request waits, it is not computed again while staging. `nil`
    /// when held entries come first.
    public func subtreeHash(leafHashes: [Hash32], hasher: some MerkleHasher) -> Hash32? {
        start == subtreeStart ? Merkle.rootHash(leafHashes, hasher: hasher) : nil
    }
}
