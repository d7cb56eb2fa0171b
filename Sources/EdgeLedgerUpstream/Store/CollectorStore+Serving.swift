import EdgeLedgerCore
import EdgeLedgerStore

/// What ``CollectedLogServer`` reads to build a tile or an entry bundle: the object and what it
/// is checked against, in one transaction.
extension CollectorStore {
    /// The entries `index·256 ..< index·256 + width` of gateway `id` and the hashes of its
    /// level-0 tile `index` (`nil` when that tile is not stored), read in one transaction.
    func bundleWithLeafHashes(
        gateway id: Int64, index: UInt64, width: Int
    ) async throws(StoreError) -> (entries: [[UInt8]], leaves: [Hash32]?) {
        try await storeTransaction { (sql) throws(StoreError) in
            let first = index &* UInt64(TileID.fullWidth)
            let entries = try sql.entries(gateway: id, from: first, to: first &+ UInt64(width))
            let leaves = try CollectorTileReader(sql: sql, gateway: id).hashes(level: 0, index: index)
            return (entries, leaves)
        }
    }

    /// Hash tile `level`/`index` of gateway `id` and the tile above it (`level + 1`,
    /// `index / 256`), which holds the tile's subtree root; either is `nil` when not stored.
    func tileWithParent(
        gateway id: Int64, level: Int, index: UInt64
    ) async throws(StoreError) -> (tile: [Hash32]?, parent: [Hash32]?) {
        try await storeTransaction { (sql) throws(StoreError) in
            let reader = CollectorTileReader(sql: sql, gateway: id)
            let tile = try reader.hashes(level: level, index: index)
            let parent = try reader.hashes(level: level + 1, index: index / UInt64(TileID.fullWidth))
            return (tile, parent)
        }
    }
}
