import EdgeLedgerCore
import EdgeLedgerCrypto
import Foundation
import PropertyBased
import Testing

/// A ``TileReader`` that counts reads, to check that tiles are not re-read per leaf.
final class CountingTileReader: TileReader {
    let base: TileMap
    private(set) var reads: [String] = []
    init(_ base: TileMap) { self.base = base }
    func readTile(level: Int, index: UInt64) throws -> [Hash32] {
        reads.append("\(level)/\(index)")
        return try base.readTile(level: level, index: index)
    }
}

/// A reader whose storage is broken in a chosen way.
struct FailingTileReader: TileReader {
    struct StorageFailure: Error, Equatable {}
    var base: TileMap
    var shorten: Bool
    func readTile(level: Int, index: UInt64) throws -> [Hash32] {
        let hashes = try base.readTile(level: level, index: index)
        if shorten { return Array(hashes.dropLast()) }
        throw StorageFailure()
    }
}

@Suite("TiledTree (hashes in C2SP tiles)")
struct TiledTreeTests {
    static let hasher = OpenSSLHasher.sha256

    /// Grows a tiled tree chunk by chunk and checks, after every chunk, the root, the changed tiles,
    /// the complete tile set and the contents of every changed tile against the in-memory tree.
    static func grow(
        _ leaves: [Hash32], chunks: [Int], hasher: some MerkleHasher = OpenSSLHasher.sha256,
        proofsPerStep: Int = 4
    ) throws -> TileMap {
        var tiles = TileMap()
        var size = 0
        var step = 0
        for chunk in chunks {
            let next = min(size + chunk, leaves.count)
            let ext = try TiledTree.extend(
                from: UInt64(size), appending: leaves[size..<next], reader: tiles, hasher: hasher)
            #expect(ext.oldSize == UInt64(size) && ext.newSize == UInt64(next))
            #expect(ext.root == Merkle.rootHash(leaves[0..<next], hasher: hasher), "root at \(next)")
            #expect(
                ext.tiles.map(\.id) == TileID.tiles(from: UInt64(size), to: UInt64(next)), "tiles \(size) → \(next)")
            for (id, hashes) in ext.tiles {
                #expect(hashes.count == id.width, "\(id)")
                // Hash j of a level-L tile is MTH of the 256^L leaves under it.
                let span = 1 << id.treeLevel
                for j in [0, id.width - 1] {
                    let start = Int(id.hashRange.lowerBound) * span + j * span
                    #expect(hashes[j] == Merkle.rootHash(leaves[start..<start + span], hasher: hasher), "\(id)[\(j)]")
                }
            }
            tiles.apply(ext)
            size = next
            #expect(tiles.tileIDs == TileID.tiles(forTreeSize: UInt64(size)))
            #expect(try TiledTree.rootHash(size: UInt64(size), reader: tiles, hasher: hasher) == ext.root)

            // Proofs at this size and at earlier sizes, from tiles, equal the in-memory ones.
            for k in 0..<proofsPerStep where size > 0 {
                let atSize = k == 0 ? size : 1 + (step * 7919 + k * 104_729) % size
                let index = (step * 31 + k * 7_777) % atSize
                let proof = try TiledTree.inclusionProof(
                    index: UInt64(index), size: UInt64(atSize), reader: tiles, hasher: hasher)
                #expect(
                    proof
                        == (try Merkle.inclusionProof(
                            index: UInt64(index), leafHashes: leaves[0..<atSize], hasher: hasher)),
                    "inclusion \(index) in \(atSize) (tiles for \(size))")
                let oldSize = 1 + (step * 13 + k * 65_537) % atSize
                let consistency = try TiledTree.consistencyProof(
                    from: UInt64(oldSize), to: UInt64(atSize), reader: tiles, hasher: hasher)
                #expect(
                    consistency
                        == (try Merkle.consistencyProof(
                            from: UInt64(oldSize), leafHashes: leaves[0..<atSize], hasher: hasher)),
                    "consistency \(oldSize) → \(atSize) (tiles for \(size))")
                #expect(
                    try TiledTree.rootHash(size: UInt64(atSize), reader: tiles, hasher: hasher)
                        == Merkle.rootHash(leaves[0..<atSize], hasher: hasher))
            }
            step += 1
        }
        return tiles
    }

    static let leaves70k = MerkleTestLeaves.make(70_100)

    @Test(arguments: [
        [1, 1, 1, 7, 255, 256, 257, 1_000, 1, 3_000],
        [256, 256, 256, 65_536 - 768, 1, 3_000],
        [255, 1, 65_280, 300],
        [65_535, 1, 1, 4_463],
        [70_000],
        [70_000, 100],
    ])
    func extendInChunksMatchesInMemoryTree(chunks: [Int]) throws {
        let total = chunks.reduce(0, +)
        _ = try Self.grow(Array(Self.leaves70k.prefix(total)), chunks: chunks)
    }

    @Test func randomChunkSequences() async {
        let leaves = Array(Self.leaves70k.prefix(6_000))
        await propertyCheck(count: 30, input: Gen.int(in: 1...700).array(of: 1...12)) { chunks in
            do {
                _ = try Self.grow(leaves, chunks: chunks, proofsPerStep: 2)
            } catch {
                Issue.record("chunks \(chunks): \(error)")
            }
        }
    }

    @Test func sm3TiledTreeMatches() throws {
        let sm3 = try OpenSSLHasher(.sm3)
        let leaves = MerkleTestLeaves.make(1_300, hasher: sm3)
        let tiles = try Self.grow(leaves, chunks: [1, 300, 555, 444], hasher: sm3)
        #expect(
            try TiledTree.rootHash(size: 1_300, reader: tiles, hasher: sm3)
                != TiledTree.rootHash(size: 1_300, reader: tiles, hasher: Self.hasher))
    }

    @Test func appendingNothingChangesNothing() throws {
        var tiles = TileMap()
        #expect(
            try TiledTree.extend(from: 0, appending: [Hash32](), reader: tiles, hasher: Self.hasher).root
                == Self.hasher.emptyRoot)
        tiles.apply(
            try TiledTree.extend(from: 0, appending: Self.leaves70k.prefix(300), reader: tiles, hasher: Self.hasher))
        let ext = try TiledTree.extend(from: 300, appending: [Hash32](), reader: tiles, hasher: Self.hasher)
        #expect(ext.tiles.isEmpty)
        #expect(ext.root == Merkle.rootHash(Self.leaves70k.prefix(300), hasher: Self.hasher))
        #expect(try TiledTree.rootHash(size: 0, reader: tiles, hasher: Self.hasher) == Self.hasher.emptyRoot)
    }

    @Test func acceptsNonContiguousInput() throws {
        let leaves = Array(Self.leaves70k.prefix(600))
        let a = try TiledTree.extend(from: 0, appending: leaves.lazy.map { $0 }, reader: TileMap(), hasher: Self.hasher)
        let b = try TiledTree.extend(from: 0, appending: leaves, reader: TileMap(), hasher: Self.hasher)
        #expect(a.root == b.root)
        #expect(a.tiles.map(\.hashes) == b.tiles.map(\.hashes))
    }

    /// extend reads at most the old partial tile of each changing level plus the partial tiles the
    /// root needs, never once per leaf.
    @Test func extendReadsFewTiles() throws {
        var tiles = TileMap()
        tiles.apply(
            try TiledTree.extend(from: 0, appending: Self.leaves70k.prefix(66_000), reader: tiles, hasher: Self.hasher))
        let reader = CountingTileReader(tiles)
        let ext = try TiledTree.extend(
            from: 66_000, appending: Self.leaves70k[66_000..<66_001], reader: reader, hasher: Self.hasher)
        // Old partial level-0 tile (to complete it), then level 1 and 2 partial tiles for the root.
        #expect(reader.reads.sorted() == ["0/257", "1/1", "2/0"])
        #expect(ext.tiles.map(\.id) == [TileID(level: 0, index: 257, width: 209)])
        let big = CountingTileReader(tiles)
        _ = try TiledTree.extend(
            from: 66_000, appending: Self.leaves70k[66_000..<70_000], reader: big, hasher: Self.hasher)
        #expect(big.reads.count <= 3, "\(big.reads)")
    }

    @Test func proofsReadEachTileOnce() throws {
        var tiles = TileMap()
        tiles.apply(
            try TiledTree.extend(from: 0, appending: Self.leaves70k.prefix(70_000), reader: tiles, hasher: Self.hasher))
        let reader = CountingTileReader(tiles)
        _ = try TiledTree.inclusionProof(index: 12_345, size: 70_000, reader: reader, hasher: Self.hasher)
        #expect(Set(reader.reads).count == reader.reads.count, "\(reader.reads)")
        let reader2 = CountingTileReader(tiles)
        _ = try TiledTree.consistencyProof(from: 33_333, to: 69_999, reader: reader2, hasher: Self.hasher)
        #expect(Set(reader2.reads).count == reader2.reads.count, "\(reader2.reads)")
    }

    // MARK: Errors

    @Test func invalidRequestsAreProofErrors() throws {
        var tiles = TileMap()
        tiles.apply(
            try TiledTree.extend(from: 0, appending: Self.leaves70k.prefix(10), reader: tiles, hasher: Self.hasher))
        #expect(throws: ProofError.self) {
            try TiledTree.inclusionProof(index: 10, size: 10, reader: tiles, hasher: Self.hasher)
        }
        #expect(throws: ProofError.self) {
            try TiledTree.consistencyProof(from: 0, to: 10, reader: tiles, hasher: Self.hasher)
        }
        #expect(throws: ProofError.self) {
            try TiledTree.consistencyProof(from: 11, to: 10, reader: tiles, hasher: Self.hasher)
        }
        #expect(try TiledTree.consistencyProof(from: 10, to: 10, reader: tiles, hasher: Self.hasher).isEmpty)
    }

    @Test func missingTilesAreReported() throws {
        var tiles = TileMap()
        tiles.apply(
            try TiledTree.extend(from: 0, appending: Self.leaves70k.prefix(300), reader: tiles, hasher: Self.hasher))
        // Asking about a larger tree than stored.
        let error = #expect(throws: TileError.self) {
            try TiledTree.rootHash(size: 600, reader: tiles, hasher: Self.hasher)
        }
        #expect(error?.message == "tile at level 1 index 0 holds 1 hash, but a tree of size 600 needs at least 2")
        let absent = #expect(throws: TileError.self) {
            try TiledTree.rootHash(size: 70_000, reader: tiles, hasher: Self.hasher)
        }
        #expect(absent?.message == "tile at level 2 index 0 is not stored")
        // Extending from a size whose partial tile is absent.
        #expect(throws: TileError.self) {
            try TiledTree.extend(from: 700, appending: Self.leaves70k.prefix(3), reader: tiles, hasher: Self.hasher)
        }
        // A tile shorter than the size needs.
        let short = FailingTileReader(base: tiles, shorten: true)
        let shortError = #expect(throws: TileError.self) {
            try TiledTree.inclusionProof(index: 299, size: 300, reader: short, hasher: Self.hasher)
        }
        #expect(
            shortError?.message.contains(
                "tile at level 1 index 0 holds 0 hashes, but a tree of size 300 needs at least 1") == true)
        #expect(shortError?.hint?.contains("edge-ledger verify") == true)
        #expect(throws: TileError.self) {
            try TiledTree.extend(from: 300, appending: Self.leaves70k.prefix(3), reader: short, hasher: Self.hasher)
        }
        // Reader errors pass through unchanged.
        let failing = FailingTileReader(base: tiles, shorten: false)
        #expect(throws: FailingTileReader.StorageFailure()) {
            try TiledTree.rootHash(size: 300, reader: failing, hasher: Self.hasher)
        }
        #expect(throws: FailingTileReader.StorageFailure()) {
            try TiledTree.extend(from: 300, appending: Self.leaves70k.prefix(3), reader: failing, hasher: Self.hasher)
        }
    }

    @Test func tileMapBasics() throws {
        var tiles = TileMap()
        #expect(tiles.count == 0)
        #expect(throws: TileError.self) { try tiles.readTile(level: 0, index: 0) }
        tiles[level: 0, index: 0] = [Self.hasher.emptyRoot]
        #expect(try tiles.readTile(level: 0, index: 0) == [Self.hasher.emptyRoot])
        #expect(tiles.tileIDs == [TileID(level: 0, index: 0, width: 1)])
        tiles[level: 0, index: 0] = nil
        #expect(tiles.count == 0)
    }

    /// Release-mode throughput of `extend` for 1M leaves; prints the best of three runs. Runs only
    /// when `EDGELEDGER_BENCH=1` (it is a measurement, not a timed assertion):
    /// `EDGELEDGER_BENCH=1 swift test -c release --filter TiledTreeTests/extendMillionLeaves`
    @Test(.enabled(if: TiledTreeTests.benchEnabled))
    func extendMillionLeaves() throws {
        let hasher = Self.hasher
        let count = 1_000_000
        var leaves: [Hash32] = []
        leaves.reserveCapacity(count)
        for i in 0..<count { leaves.append(withUnsafeBytes(of: UInt64(i).littleEndian) { hasher.leafHash($0) }) }
        let clock = ContinuousClock()
        func best(_ body: () throws -> Void) rethrows -> Duration {
            var result = Duration.seconds(1_000)
            for _ in 0..<3 { result = min(result, try clock.measure(body)) }
            return result
        }
        var tiles = TileMap()
        var ext: TileExtension?
        let fresh = try best {
            ext = try TiledTree.extend(from: 0, appending: leaves, reader: TileMap(), hasher: hasher)
        }
        tiles.apply(try #require(ext))
        #expect(ext?.root == Merkle.rootHash(leaves, hasher: hasher))
        let more = try best {
            ext = try TiledTree.extend(
                from: UInt64(count), appending: leaves[..<(count - 77)], reader: tiles, hasher: hasher)
        }
        let root = best { _ = Merkle.rootHash(leaves, hasher: hasher) }
        let perHash = best {
            var h = leaves[0]
            for i in 1..<count { h = hasher.nodeHash(h, leaves[i]) }
            #expect(h != .zero)
        }
        let sm3 = try OpenSSLHasher(.sm3)
        let sm3Extend = try best {
            _ = try TiledTree.extend(from: 0, appending: leaves, reader: TileMap(), hasher: sm3)
        }
        print(
            """
            extend SHA-256, 1M leaves onto an empty tree: \(fresh)
            extend SHA-256, 999,923 leaves onto a tree of 1M: \(more)
            Merkle.rootHash SHA-256, 1M leaves: \(root)
            1M chained SHA-256 node hashes: \(perHash)
            extend SM3, 1M leaves onto an empty tree: \(sm3Extend)
            """)
    }

    static let benchEnabled = ProcessInfo.processInfo.environment["EDGELEDGER_BENCH"] == "1"
}
