/// Read access to stored hash tiles, as ``TiledTree`` needs it.
///
/// The SQLite store implements this over its tiles table; ``TileMap`` is an in-memory
/// implementation. Implementations need not be thread-safe: ``TiledTree`` calls them from the
/// caller's thread only, and reads each tile at most once per operation.
public protocol TileReader {
    /// The stored hashes of the hash tile at `level` (0...7) and `index`, in order: 256 for a full
    /// tile, 1...255 for the rightmost (partial) tile of a level.
    ///
    /// Return the tile as currently stored, even when it is wider than the tree size being worked on
    /// needs; ``TiledTree`` uses only the positions that are complete at that size. Throw when the
    /// tile is absent or cannot be read; the error is passed through to the caller unchanged.
    func readTile(level: Int, index: UInt64) throws -> [Hash32]
}
