import CSQLite
import EdgeLedgerCore

/// Reads stored hash tiles from the `tiles` table for ``TiledTree``; a point lookup on the
/// primary key per tile, with a prepared statement.
package struct SQLiteTileReader: TileReader {
    package let connection: SQLiteConnection

    package func readTile(level: Int, index: UInt64) throws -> [Hash32] {
        guard let hashes = try connection.tileHashes(level: level, index: index) else {
            throw StoreError(
                .missing, "tile \(level)/\(index) is missing from \(connection.path)",
                hint: "the store is damaged; run `edge-ledger verify --db \(connection.path)`")
        }
        return hashes
    }
}

extension SQLiteConnection {
    /// The stored hashes of tile `level`/`index` (its stored width), or `nil` when absent.
    package func tileHashes(level: Int, index: UInt64) throws(StoreError) -> [Hash32]? {
        let s = try statement("SELECT width, hashes FROM tiles WHERE level = ?1 AND idx = ?2")
        defer { s.reset() }
        s.bind(1, level)
        s.bind(2, index)
        guard try s.step("reading tile \(level)/\(index)") else { return nil }
        let width = Int(s.int64(0))
        guard let blob = s.blobPointer(1), (1...256).contains(width), blob.count == width * 32 else {
            throw StoreError(
                .corrupt, "tile \(level)/\(index) in \(path) has a malformed hashes column (width \(width))",
                hint: "the store is damaged; run `edge-ledger verify --db \(path)`")
        }
        return SQLiteConnection.hashes(from: blob)
    }

    /// Decodes concatenated 32-byte hashes.
    package static func hashes(from blob: UnsafeRawBufferPointer) -> [Hash32] {
        let count = blob.count / 32
        return [Hash32](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(
                from: UnsafeRawBufferPointer(rebasing: blob[0..<count * 32]))
            initialized = count
        }
    }
}
