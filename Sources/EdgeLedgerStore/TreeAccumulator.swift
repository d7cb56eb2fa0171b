import EdgeLedgerCore

/// Rebuilds an RFC 6962 tree leaf by leaf in O(log n) memory, independently of ``TiledTree``:
/// a stack of perfect subtrees (a compact range) gives the root at every size, and every node at
/// a tree level divisible by 8 is collected into the tile it belongs to, so completed tiles can
/// be compared with the stored ones as the verifier streams through the entries.
final class TreeAccumulator {
    let hasher: any MerkleHasher
    /// Leaves appended so far.
    private(set) var size: UInt64 = 0
    /// Perfect subtrees, left to right, heights strictly decreasing.
    private var stack: [(height: Int, hash: Hash32)] = []
    /// Per tile level: the hashes of the current, incomplete tile.
    private(set) var partial: [[Hash32]] = Array(repeating: [], count: TileID.maxLevel + 1)
    /// Per tile level: how many full tiles were completed.
    private(set) var fullTiles: [UInt64] = Array(repeating: 0, count: TileID.maxLevel + 1)

    init(hasher: any MerkleHasher) {
        self.hasher = hasher
    }

    /// Appends a leaf hash; calls `completed` for each tile this completes (level, index, hashes).
    func append(
        _ leaf: Hash32, completed: (Int, UInt64, [Hash32]) throws(VerificationFailure) -> Void
    ) throws(VerificationFailure) {
        size += 1
        stack.append((0, leaf))
        try collect(level: 0, leaf, completed)
        while stack.count >= 2, stack[stack.count - 1].height == stack[stack.count - 2].height {
            let right = stack.removeLast()
            let left = stack.removeLast()
            let node = hasher.nodeHash(left.hash, right.hash)
            let height = left.height + 1
            stack.append((height, node))
            if height % TileID.height == 0 {
                try collect(level: height / TileID.height, node, completed)
            }
        }
    }

    private func collect(
        level: Int, _ hash: Hash32, _ completed: (Int, UInt64, [Hash32]) throws(VerificationFailure) -> Void
    ) throws(VerificationFailure) {
        partial[level].append(hash)
        if partial[level].count == TileID.fullWidth {
            let index = fullTiles[level]
            fullTiles[level] += 1
            let hashes = partial[level]
            partial[level].removeAll(keepingCapacity: true)
            try completed(level, index, hashes)
        }
    }

    /// The root of the tree of the leaves appended so far.
    func root() -> Hash32 {
        guard var acc = stack.last?.hash else { return hasher.emptyRoot }
        for i in stride(from: stack.count - 2, through: 0, by: -1) {
            acc = hasher.nodeHash(stack[i].hash, acc)
        }
        return acc
    }
}
