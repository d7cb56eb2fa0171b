/// Reads Merkle subtree hashes out of stored hash tiles for a tree of a given size, caching each
/// tile it reads. Internal machinery of ``TiledTree``.
struct TileHashSource<Reader: TileReader, Hasher: MerkleHasher> {
    private struct Key: Hashable {
        var level: Int
        var index: UInt64
    }

    let reader: Reader
    let hasher: Hasher
    /// The tree size being worked on, for error messages.
    var treeSize: UInt64
    private var cache: [Key: [Hash32]] = [:]

    init(reader: Reader, hasher: Hasher, treeSize: UInt64) {
        self.reader = reader
        self.hasher = hasher
        self.treeSize = treeSize
    }

    /// Makes `hashes` the contents of tile (`level`, `index`) for the rest of this operation.
    mutating func store(level: Int, index: UInt64, hashes: [Hash32]) {
        cache[Key(level: level, index: index)] = hashes
    }

    /// The tile at (`level`, `index`), which must hold at least `count` hashes.
    mutating func tile(level: Int, index: UInt64, atLeast count: Int) throws -> [Hash32] {
        let key = Key(level: level, index: index)
        let hashes: [Hash32]
        if let cached = cache[key] {
            hashes = cached
        } else {
            hashes = try reader.readTile(level: level, index: index)
            guard hashes.count <= TileID.fullWidth else {
                throw TileError(
                    "tile at level \(level) index \(index) holds \(hashes.count) hashes; a tile holds at most 256",
                    hint: "the tile store is damaged; run `edge-ledger verify`")
            }
            cache[key] = hashes
        }
        guard hashes.count >= count else {
            throw TileError(
                "tile at level \(level) index \(index) holds \(hashes.count) \(hashes.count == 1 ? "hash" : "hashes"), "
                    + "but a tree of size \(treeSize) needs at least \(count)",
                hint: "the tile store is behind this tree size or damaged; run `edge-ledger verify`")
        }
        return hashes
    }

    /// The root of the perfect subtree of 2^`height` leaves starting at leaf `start`
    /// (a multiple of 2^`height`), from the tile at level `height / 8`.
    mutating func subtreeHash(height: Int, start: UInt64) throws -> Hash32 {
        let level = height / TileID.height
        let span = 1 << (height % TileID.height)
        let first = start >> UInt64(level * TileID.height)
        let position = Int(first % UInt64(TileID.fullWidth))
        let hashes = try tile(level: level, index: first / UInt64(TileID.fullWidth), atLeast: position + span)
        if span == 1 { return hashes[position] }
        return hashes.withUnsafeBufferPointer { buffer in
            MerkleMath.treeHash(UnsafeBufferPointer(rebasing: buffer[position..<position + span]), hasher: hasher)
        }
    }

    /// `MTH(D[lo:hi])` for a non-empty range whose start is a multiple of the smallest power of two
    /// at least as large as the range, as every range in RFC 6962 proofs is: the fold of the perfect
    /// subtrees of the binary decomposition of `hi - lo`.
    mutating func rangeHash(_ lo: UInt64, _ hi: UInt64) throws -> Hash32 {
        var pieces: [Hash32] = []
        var at = lo
        while at < hi {
            let alignment = at == 0 ? 63 : at.trailingZeroBitCount
            let height = min(alignment, 63 - (hi - at).leadingZeroBitCount)
            pieces.append(try subtreeHash(height: height, start: at))
            at += 1 << UInt64(height)
        }
        var root = pieces[pieces.count - 1]
        for piece in pieces.dropLast().reversed() {
            root = hasher.nodeHash(piece, root)
        }
        return root
    }
}
