import EdgeLedgerCore
import EdgeLedgerStore

/// Reads a collected log's hash tiles for ``TiledTree``, one query per tile — or, made with
/// ``init(sql:gateway:rightEdgeOf:)``, the partial tiles at a size's right edge all in one
/// query first: every tile that extending the log from that size, or computing its root, reads.
/// On PostgreSQL each query is a round trip, and a round trip on a busy machine waits for a CPU
/// twice.
struct CollectorTileReader: TileReader {
    private struct Key: Hashable {
        var level: Int
        var index: UInt64
    }

    let sql: any UpstreamSQL
    let gateway: Int64
    /// The tiles read ahead (a key without a value: asked for, not stored).
    private var ahead: [Key: [Hash32]?] = [:]

    init(sql: any UpstreamSQL, gateway: Int64) {
        self.sql = sql
        self.gateway = gateway
    }

    /// A reader holding the partial tiles at the right edge of the tree of `size` entries (one
    /// per level below the top), read in one query.
    init(sql: any UpstreamSQL, gateway: Int64, rightEdgeOf size: UInt64) throws(StoreError) {
        self.init(sql: sql, gateway: gateway)
        var keys: [Key] = []
        var level = 0
        while level <= TileID.maxLevel, size >> UInt64(level * TileID.height) > 0 {
            let count = size >> UInt64(level * TileID.height)
            if count % UInt64(TileID.fullWidth) != 0 {
                keys.append(Key(level: level, index: count / UInt64(TileID.fullWidth)))
            }
            level += 1
        }
        guard !keys.isEmpty else { return }
        let pairs = keys.indices.map { "(?\(2 * $0 + 2), ?\(2 * $0 + 3))" }.joined(separator: ", ")
        var arguments: [SQLArgument] = [.int(gateway)]
        for key in keys { arguments += [.int(Int64(key.level)), .uint(key.index)] }
        for key in keys { ahead[key] = .some(nil) }
        let rows = try sql.all(
            "SELECT level, idx, width, hashes FROM tiles WHERE gateway = ?1 AND (level, idx) IN (VALUES \(pairs))",
            arguments, "reading the right edge of the tiles at size \(size)"
        ) { (row) throws(StoreError) in
            let key = Key(level: Int(row.int64(0)), index: row.uint64(1))
            return (key, try Self.decode(row, widthColumn: 2, key.level, key.index, gateway: gateway, sql: sql))
        }
        for (key, hashes) in rows { ahead[key] = hashes }
    }

    func hashes(level: Int, index: UInt64) throws(StoreError) -> [Hash32]? {
        if let read = ahead[Key(level: level, index: index)] { return read }
        let sql = self.sql
        let gateway = self.gateway
        return try sql.first(
            "SELECT width, hashes FROM tiles WHERE gateway = ?1 AND level = ?2 AND idx = ?3",
            [.int(gateway), .int(Int64(level)), .uint(index)], "reading tile \(level)/\(index)"
        ) { (row) throws(StoreError) -> [Hash32] in
            try Self.decode(row, widthColumn: 0, level, index, gateway: gateway, sql: sql)
        }
    }

    func readTile(level: Int, index: UInt64) throws -> [Hash32] {
        guard let hashes = try hashes(level: level, index: index) else {
            throw StoreError(
                .missing, "collected tile \(level)/\(index) of gateway \(gateway) is missing from \(sql.location)",
                hint: "the upstream store is damaged")
        }
        return hashes
    }

    /// The hashes of a tile row whose `width` and `hashes` are columns `widthColumn` and
    /// `widthColumn + 1`.
    private static func decode(
        _ row: any SQLRow, widthColumn column: Int, _ level: Int, _ index: UInt64, gateway: Int64, sql: any UpstreamSQL
    ) throws(StoreError) -> [Hash32] {
        let width = Int(row.int64(column))
        let hashes = row.withBlob(column + 1) { blob -> [Hash32]? in
            guard (1...256).contains(width), blob.count == width * 32 else { return nil }
            return SQLiteConnection.hashes(from: blob)
        }
        guard let hashes = hashes ?? nil else {
            throw StoreError(
                .corrupt, "collected tile \(level)/\(index) of gateway \(gateway) in \(sql.location) is malformed",
                hint: "the upstream store is damaged")
        }
        return hashes
    }
}
