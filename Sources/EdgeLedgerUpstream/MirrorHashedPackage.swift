import EdgeLedgerCore

/// A decoded package with its entries' leaf hashes and, when it starts its subtree, its subtree
/// hash, computed as it arrives (also while its request waits for its turn, see
/// ``MirrorUploadQueue``), so that staging only checks and writes.
struct MirrorHashedPackage {
    var package: MirrorPackage
    var leafHashes: [Hash32]
    /// See ``MirrorPackage/subtreeHash(leafHashes:hasher:)``.
    var subtreeHash: Hash32?

    init(_ package: MirrorPackage, hasher: any MerkleHasher) {
        self.package = package
        self.leafHashes = package.entries.map { hasher.leafHash($0) }
        self.subtreeHash = package.subtreeHash(leafHashes: leafHashes, hasher: hasher)
    }
}
