import EdgeLedgerCore
import EdgeLedgerStore

/// Reading what was collected: hash tiles, entries and bundles, verified checkpoints.
extension CollectorStore {
    /// The stored hashes of tile `level`/`index` of gateway `id`, or `nil`.
    public func tile(gateway id: Int64, level: Int, index: UInt64) throws(StoreError) -> [Hash32]? {
        try withConnection { (db) throws(StoreError) in
            try CollectorTileReader(db: db, gateway: id).hashes(level: level, index: index)
        }
    }

    /// Reads hash tiles of gateway `id` with a ``TileReader`` (for proofs and roots), under the
    /// store's lock; `body` must not call back into the store.
    public func withTiles<R: Sendable>(gateway id: Int64, _ body: (any TileReader) throws -> R) throws -> R {
        try connection.withLock { (db: inout SQLiteConnection) throws -> R in
            try body(CollectorTileReader(db: db, gateway: id))
        }
    }

    /// The stored entries `from ..< to` of gateway `id` (verified or staged), in order.
    public func entries(gateway id: Int64, from: UInt64, to: UInt64) throws(StoreError) -> [[UInt8]] {
        guard from < to else { return [] }
        return try withConnection { (db) throws(StoreError) in
            let s = try db.statement(
                "SELECT idx, width, data FROM bundles WHERE gateway = ?1 AND idx >= ?2 AND idx <= ?3 ORDER BY idx")
            defer { s.reset() }
            s.bind(1, id)
            s.bind(2, Int64(clamping: from / 256))
            s.bind(3, Int64(clamping: (to - 1) / 256))
            var out: [[UInt8]] = []
            while try s.step("reading collected entries") {
                let first = s.uint64(0) &* 256
                guard let data = s.blobPointer(2),
                    let entries = CollectorBundle.split(data, width: Int(s.int64(1)))
                else {
                    throw StoreError(
                        .corrupt, "collected entry bundle \(s.uint64(0)) of gateway \(id) in \(db.path) is malformed",
                        hint: "the upstream store is damaged")
                }
                for (i, range) in entries.enumerated() {
                    let index = first + UInt64(i)
                    if index >= from && index < to { out.append(Array(data[range])) }
                }
            }
            return out
        }
    }

    /// The stored entry bundle `index` of gateway `id` (C2SP tlog-tiles layout) and its width,
    /// or `nil`.
    public func entryBundle(gateway id: Int64, index: UInt64) throws(StoreError) -> (width: Int, data: [UInt8])? {
        try withConnection { (db) throws(StoreError) -> (width: Int, data: [UInt8])? in
            let s = try db.statement("SELECT width, data FROM bundles WHERE gateway = ?1 AND idx = ?2")
            defer { s.reset() }
            s.bind(1, id)
            s.bind(2, index)
            guard try s.step("reading a collected bundle") else { return nil }
            return (Int(s.int64(0)), s.blob(1) ?? [])
        }
    }

    /// The number of entries stored for gateway `id`.
    public func entryCount(gateway id: Int64) throws(StoreError) -> UInt64 {
        try withConnection { (db) throws(StoreError) in
            let s = try db.statement("SELECT coalesce(sum(width), 0) FROM bundles WHERE gateway = ?1")
            defer { s.reset() }
            s.bind(1, id)
            _ = try s.step("counting collected entries")
            return s.uint64(0)
        }
    }

    /// The verified checkpoints of gateway `id`, oldest first.
    public func checkpoints(gateway id: Int64) throws(StoreError) -> [CollectedCheckpoint] {
        try withConnection { (db) throws(StoreError) in
            let s = try db.statement(
                "SELECT g.origin, c.size, c.root, c.note, c.verified_at FROM checkpoints c "
                    + "JOIN gateways g ON g.id = c.gateway WHERE c.gateway = ?1 ORDER BY c.size")
            defer { s.reset() }
            s.bind(1, id)
            var out: [CollectedCheckpoint] = []
            while try s.step("reading collected checkpoints") {
                out.append(
                    CollectedCheckpoint(
                        origin: s.text(0) ?? "", size: s.uint64(1), root: s.hash(2) ?? .zero, note: s.text(3) ?? "",
                        verifiedAt: s.int64(4)))
            }
            return out
        }
    }
}

/// Reads a collected log's hash tiles for ``TiledTree``.
struct CollectorTileReader: TileReader {
    let db: SQLiteConnection
    let gateway: Int64

    func hashes(level: Int, index: UInt64) throws(StoreError) -> [Hash32]? {
        let s = try db.statement("SELECT width, hashes FROM tiles WHERE gateway = ?1 AND level = ?2 AND idx = ?3")
        defer { s.reset() }
        s.bind(1, gateway)
        s.bind(2, level)
        s.bind(3, index)
        guard try s.step("reading tile \(level)/\(index)") else { return nil }
        let width = Int(s.int64(0))
        guard let blob = s.blobPointer(1), (1...256).contains(width), blob.count == width * 32 else {
            throw StoreError(
                .corrupt, "collected tile \(level)/\(index) of gateway \(gateway) in \(db.path) is malformed",
                hint: "the upstream store is damaged")
        }
        return SQLiteConnection.hashes(from: blob)
    }

    func readTile(level: Int, index: UInt64) throws -> [Hash32] {
        guard let hashes = try hashes(level: level, index: index) else {
            throw StoreError(
                .missing, "collected tile \(level)/\(index) of gateway \(gateway) is missing from \(db.path)",
                hint: "the upstream store is damaged")
        }
        return hashes
    }
}
