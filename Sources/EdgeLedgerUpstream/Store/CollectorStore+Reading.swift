import EdgeLedgerCore
import EdgeLedgerStore

/// Reading what was collected: hash tiles, entries and bundles, verified checkpoints.
extension CollectorStore {
    /// The stored hashes of tile `level`/`index` of gateway `id`, or `nil`.
    public func tile(gateway id: Int64, level: Int, index: UInt64) async throws(StoreError) -> [Hash32]? {
        try await storeTransaction { (sql) throws(StoreError) in
            try CollectorTileReader(sql: sql, gateway: id).hashes(level: level, index: index)
        }
    }

    /// Reads hash tiles of gateway `id` with a ``TileReader`` (for proofs and roots), in one
    /// transaction on the store's threads; `body` must not call back into the store.
    public func withTiles<R: Sendable>(
        gateway id: Int64, _ body: @escaping @Sendable (any TileReader) throws -> R
    ) async throws -> R {
        try await transaction { sql in try body(CollectorTileReader(sql: sql, gateway: id)) }
    }

    /// The stored entries `from ..< to` of gateway `id` (verified or staged), in order.
    public func entries(gateway id: Int64, from: UInt64, to: UInt64) async throws(StoreError) -> [[UInt8]] {
        guard from < to else { return [] }
        return try await storeTransaction { (sql) throws(StoreError) in
            try sql.entries(gateway: id, from: from, to: to)
        }
    }

    /// The stored entry bundle `index` of gateway `id` (C2SP tlog-tiles layout) and its width,
    /// or `nil`.
    public func entryBundle(gateway id: Int64, index: UInt64) async throws(StoreError) -> (width: Int, data: [UInt8])? {
        let entries = try await entries(gateway: id, from: index &* 256, to: index &* 256 &+ 256)
        guard !entries.isEmpty else { return nil }
        return (entries.count, CollectorBundle.encode(entries))
    }

    /// The number of entries stored for gateway `id`.
    public func entryCount(gateway id: Int64) async throws(StoreError) -> UInt64 {
        try await storeTransaction { (sql) throws(StoreError) in try sql.entryCount(gateway: id) }
    }

    /// The verified checkpoints of gateway `id`, oldest first.
    public func checkpoints(gateway id: Int64) async throws(StoreError) -> [CollectedCheckpoint] {
        try await storeTransaction { (sql) throws(StoreError) in
            try sql.all(
                "SELECT g.origin, c.size, c.root, c.note, c.verified_at FROM checkpoints c "
                    + "JOIN gateways g ON g.id = c.gateway WHERE c.gateway = ?1 ORDER BY c.size", [.int(id)],
                "reading collected checkpoints"
            ) { (row) throws(StoreError) in
                CollectedCheckpoint(
                    origin: row.text(0) ?? "", size: row.uint64(1), root: row.hash(2) ?? .zero,
                    note: row.text(3) ?? "", verifiedAt: row.int64(4))
            }
        }
    }
}
