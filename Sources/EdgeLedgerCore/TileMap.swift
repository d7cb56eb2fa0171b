/// Hash tiles held in memory, keyed by `(level, index)`: a complete ``TileReader``.
///
/// Useful for verifiers that fetch tiles over HTTP and for tests; apply each
/// ``TileExtension`` to keep it current, as the SQLite store does with its table.
public struct TileMap: TileReader, Sendable {
    private struct Key: Hashable, Sendable {
        var level: Int
        var index: UInt64
    }

    private var storage: [Key: [Hash32]] = [:]

    /// An empty map: the tiles of the empty tree.
    public init() {}

    /// The stored hashes of the tile at `level` and `index`.
    ///
    /// - Throws: ``TileError`` when no such tile is stored.
    public func readTile(level: Int, index: UInt64) throws(TileError) -> [Hash32] {
        guard let hashes = storage[Key(level: level, index: index)] else {
            throw TileError(
                "tile at level \(level) index \(index) is not stored",
                hint: "the tree is smaller than asked, or an extension was not applied")
        }
        return hashes
    }

    /// The hashes stored at `level` and `index`, or `nil`; setting replaces the tile
    /// (setting `nil` removes it).
    public subscript(level level: Int, index index: UInt64) -> [Hash32]? {
        get { storage[Key(level: level, index: index)] }
        set { storage[Key(level: level, index: index)] = newValue }
    }

    /// Stores every tile of `tileExtension`, replacing tiles at the same positions.
    public mutating func apply(_ tileExtension: TileExtension) {
        for tile in tileExtension.tiles {
            storage[Key(level: tile.id.level, index: tile.id.index)] = tile.hashes
        }
    }

    /// Number of stored tiles.
    public var count: Int { storage.count }

    /// The stored tiles' coordinates, each with the width of the hashes stored there, in order.
    public var tileIDs: [TileID] {
        storage.compactMap { key, hashes in
            TileID.isValid(level: key.level, index: key.index, width: hashes.count)
                ? TileID(level: key.level, index: key.index, width: hashes.count) : nil
        }.sorted()
    }
}
