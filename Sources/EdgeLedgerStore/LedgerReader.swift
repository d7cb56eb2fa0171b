import CSQLite
import EdgeLedgerCore
import EdgeLedgerSystem
import Synchronization

/// A read-only connection to a ledger store, for the HTTP API, `verify`, `export` and status.
///
/// Readers never block the writer: in WAL mode each read sees the last committed state, and a
/// read that needs several queries (a proof, a bundle) runs in one read transaction, so it sees
/// one consistent snapshot. A reader serialises its own calls with a lock, so one instance may
/// be shared by many threads; open several readers for parallel reads.
public final class LedgerReader: Sendable {
    /// The database file.
    public let path: String
    /// The hash algorithm the store is built with.
    public let hashAlgorithm: HashAlgorithm
    let hasher: any MerkleHasher
    private let connection: Mutex<SQLiteConnection>

    /// Opens the store at `path` read-only.
    ///
    /// - Throws: ``StoreError`` when the file does not exist or cannot be opened, is not an
    ///   EdgeLedger store, has a newer schema, or is hashed with another algorithm than `hasher`'s.
    public init(path: String, hasher: any MerkleHasher) throws(StoreError) {
        let db = try SQLiteConnection(path: path, readOnly: true, create: false)
        sqlite3_busy_timeout(db.handle, 5000)
        try Schema.checkReadable(db)
        try Schema.checkAlgorithm(db, hasher.algorithm)
        self.path = path
        self.hashAlgorithm = hasher.algorithm
        self.hasher = hasher
        self.connection = Mutex(db)
    }

    /// The hash algorithm of the store at `path`, without opening it as a reader: lets a tool
    /// pick the matching hasher before calling ``init(path:hasher:)``.
    public static func hashAlgorithm(ofStoreAt path: String) throws(StoreError) -> HashAlgorithm {
        let db = try SQLiteConnection(path: path, readOnly: true, create: false)
        try Schema.checkReadable(db)
        return try Schema.storedAlgorithm(db)
    }

    /// Runs `body` with the connection, under the reader's lock.
    func withConnection<R: Sendable>(_ body: (SQLiteConnection) throws(StoreError) -> R) throws(StoreError) -> R {
        try connection.withLock { (db: inout SQLiteConnection) throws(StoreError) -> R in try body(db) }
    }

    /// Runs `body` in one read transaction (a consistent snapshot), under the reader's lock.
    func withSnapshot<R: Sendable>(
        _ what: String, _ body: (SQLiteConnection) throws(StoreError) -> R
    )
        throws(StoreError) -> R
    {
        try withConnection { (db) throws(StoreError) -> R in
            try db.transaction(immediate: false, what) { () throws(StoreError) -> R in try body(db) }
        }
    }

    // MARK: - Sizes

    /// The log origin recorded by the first seal (or at open), if any.
    public func origin() throws(StoreError) -> String? {
        try withConnection { (db) throws(StoreError) in try Schema.meta(db, "origin") }
    }

    /// The index the next appended entry gets: the number of entries in the log.
    public func nextIndex() throws(StoreError) -> UInt64 {
        try withConnection { (db) throws(StoreError) in try db.nextIndex() }
    }

    /// The size of the latest checkpoint; 0 before the first seal.
    public func sealedSize() throws(StoreError) -> UInt64 {
        try withConnection { (db) throws(StoreError) in try db.sealedSize() }
    }

    /// Bytes the store occupies on disk: the database file plus its write-ahead log.
    public func bytesOnDisk() -> Int64 {
        FileSystem.fileSize(path) + FileSystem.fileSize(path + "-wal")
    }

    // MARK: - Entries

    /// The entry at `index`, or `nil` when the log has no entry there yet.
    ///
    /// - Throws: ``StoreError`` of kind ``StoreError/Kind/pruned`` when retention removed its
    ///   bytes, ``StoreError/Kind/corrupt`` when the stored bytes do not decode.
    public func entry(at index: UInt64) throws(StoreError) -> Entry? {
        try withConnection { (db) throws(StoreError) in try db.entries(from: index, to: index &+ 1).first }
    }

    /// The entries with indices `from ..< to` that exist, in order (at most the log's end).
    ///
    /// - Throws: as ``entry(at:)``, for the first entry that is pruned or undecodable.
    public func entries(from: UInt64, to: UInt64) throws(StoreError) -> [Entry] {
        try withSnapshot("reading entries") { (db) throws(StoreError) in try db.entries(from: from, to: to) }
    }

    /// The encoded (format v1) bytes of entries `from ..< to` that exist, in order; what an
    /// entry bundle and `export --format raw` serve.
    ///
    /// - Throws: ``StoreError`` of kind ``StoreError/Kind/pruned`` when an entry's bytes were
    ///   pruned by retention.
    public func encodedEntries(from: UInt64, to: UInt64) throws(StoreError) -> [[UInt8]] {
        try withSnapshot("reading entries") { (db) throws(StoreError) in
            var out: [[UInt8]] = []
            try db.forEachStoredEntry(from: from, to: to) { (index, bytes, _) throws(StoreError) in
                guard let bytes else { throw SQLiteConnection.prunedError(index) }
                out.append(Array(bytes))
            }
            return out
        }
    }

    /// The C2SP tlog-tiles entry bundle `tile/entries/<index>[.p/<width>]`: for each of the
    /// entries `index·256 ..< index·256+width`, a big-endian u16 length and the entry bytes.
    /// `nil` when the log does not yet hold all of them.
    public func entryBundle(index: UInt64, width: Int) throws(StoreError) -> [UInt8]? {
        guard (1...256).contains(width), index <= UInt64.max / 256 - 1 else { return nil }
        let first = index * 256
        // Straight from SQLite's row buffers into the bundle: no array per entry.
        return try withSnapshot("reading entries") { (db) throws(StoreError) -> [UInt8]? in
            var out: [UInt8] = []
            out.reserveCapacity(width * 160)
            var count = 0
            try db.forEachStoredEntry(from: first, to: first + UInt64(width)) { (index, bytes, _) throws(StoreError) in
                guard let bytes else { throw SQLiteConnection.prunedError(index) }
                out.append(UInt8(truncatingIfNeeded: bytes.count >> 8))
                out.append(UInt8(truncatingIfNeeded: bytes.count))
                out.append(contentsOf: bytes)
                count += 1
            }
            return count == width ? out : nil
        }
    }

    /// The stored leaf hashes of entries `from ..< to` that exist, in order.
    public func leafHashes(from: UInt64, to: UInt64) throws(StoreError) -> [Hash32] {
        try withSnapshot("reading leaf hashes") { (db) throws(StoreError) in try db.leafHashes(from: from, to: to) }
    }

    /// Calls `body` for each entry `from ..< to` in order, streaming in pages so that any range
    /// (an export of millions of entries) runs in constant memory. Each page is one snapshot.
    public func forEachEntry(
        from: UInt64, to: UInt64, pageSize: Int = 4096, _ body: (Entry) throws(StoreError) -> Void
    ) throws(StoreError) {
        var next = from
        while next < to {
            let end = min(to, next &+ UInt64(max(1, pageSize)))
            let page = try entries(from: next, to: end)
            for entry in page { try body(entry) }
            if UInt64(page.count) < end - next { return }  // reached the end of the log
            next = end
        }
    }

    // MARK: - Tiles and proofs

    /// The stored hashes of tile `level`/`index` at its stored (widest) width, or `nil` when the
    /// tile does not exist yet. A narrower partial tile `.p/W` is the first `W` hashes.
    public func tile(level: Int, index: UInt64) throws(StoreError) -> [Hash32]? {
        try withConnection { (db) throws(StoreError) in try db.tileHashes(level: level, index: index) }
    }

    /// The tlog-tiles body of tile `level`/`index` at `width` (width × 32 bytes), or `nil` when
    /// the store has no such tile at that width or wider.
    public func tileData(level: Int, index: UInt64, width: Int) throws(StoreError) -> [UInt8]? {
        guard (1...256).contains(width) else { return nil }
        return try withConnection { (db) throws(StoreError) -> [UInt8]? in
            let s = try db.statement("SELECT width, substr(hashes, 1, ?3) FROM tiles WHERE level = ?1 AND idx = ?2")
            defer { s.reset() }
            s.bind(1, level)
            s.bind(2, index)
            s.bind(3, width * 32)
            guard try s.step("reading tile \(level)/\(index)"), s.int64(0) >= width,
                let bytes = s.blob(1), bytes.count == width * 32
            else { return nil }
            return bytes
        }
    }

    /// The root hash of the first `size` entries, from the stored tiles.
    ///
    /// - Throws: ``StoreError`` of kind ``StoreError/Kind/outOfRange`` when `size` exceeds the
    ///   sealed size (tiles exist only for sealed entries).
    public func rootHash(size: UInt64) throws(StoreError) -> Hash32 {
        try withSnapshot("computing a root") { (db) throws(StoreError) in
            try db.requireSealed(size)
            return try SQLiteConnection.tiled("computing the root at size \(size)") { () throws -> Hash32 in
                try TiledTree.rootHash(size: size, reader: SQLiteTileReader(connection: db), hasher: self.hasher)
            }
        }
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries (RFC 9162 §2.1.3),
    /// from the stored tiles.
    ///
    /// - Throws: ``StoreError`` of kind ``StoreError/Kind/outOfRange`` when `index >= size` or
    ///   `size` exceeds the sealed size.
    public func inclusionProof(index: UInt64, size: UInt64) throws(StoreError) -> [Hash32] {
        try withSnapshot("making an inclusion proof") { (db) throws(StoreError) in
            try db.requireSealed(size)
            return try SQLiteConnection.tiled("proving entry \(index) in size \(size)") { () throws -> [Hash32] in
                try TiledTree.inclusionProof(
                    index: index, size: size, reader: SQLiteTileReader(connection: db), hasher: self.hasher)
            }
        }
    }

    /// The consistency proof from the tree of `from` entries to the tree of `to` entries
    /// (RFC 9162 §2.1.4), from the stored tiles.
    ///
    /// - Throws: ``StoreError`` of kind ``StoreError/Kind/outOfRange`` unless
    ///   `1 <= from <= to <= sealed size`.
    public func consistencyProof(from: UInt64, to: UInt64) throws(StoreError) -> [Hash32] {
        try withSnapshot("making a consistency proof") { (db) throws(StoreError) in
            try db.requireSealed(to)
            return try SQLiteConnection.tiled("proving consistency from \(from) to \(to)") { () throws -> [Hash32] in
                try TiledTree.consistencyProof(
                    from: from, to: to, reader: SQLiteTileReader(connection: db), hasher: self.hasher)
            }
        }
    }

    // MARK: - Checkpoints

    /// The latest checkpoint, or `nil` before the first seal.
    public func latestCheckpoint() throws(StoreError) -> CheckpointRecord? {
        try withConnection { (db) throws(StoreError) in
            try db.checkpoints(sql: "SELECT size, root, note, created_at FROM checkpoints ORDER BY size DESC LIMIT 1")
                .first
        }
    }

    /// The checkpoint at exactly `size`, if one was sealed there.
    public func checkpoint(size: UInt64) throws(StoreError) -> CheckpointRecord? {
        try withConnection { (db) throws(StoreError) in
            try db.checkpoints(
                sql: "SELECT size, root, note, created_at FROM checkpoints WHERE size = ?1", bind: [size]
            ).first
        }
    }

    /// Up to `limit` checkpoints with size ≥ `from`, oldest first (page through with the last
    /// size + 1).
    public func checkpoints(from: UInt64 = 0, limit: Int = 1000) throws(StoreError) -> [CheckpointRecord] {
        try withConnection { (db) throws(StoreError) in
            try db.checkpoints(
                sql: "SELECT size, root, note, created_at FROM checkpoints WHERE size >= ?1 ORDER BY size LIMIT ?2",
                bind: [from, UInt64(max(0, limit))])
        }
    }

    /// The number of stored checkpoints.
    public func checkpointCount() throws(StoreError) -> Int {
        try withConnection { (db) throws(StoreError) in
            Int(try db.scalar("SELECT count(*) FROM checkpoints", "counting checkpoints") ?? 0)
        }
    }

    /// The witness cosignatures stored for the checkpoint at `size`, by witness name.
    public func cosignatures(checkpointSize size: UInt64) throws(StoreError) -> [Cosignature] {
        try withConnection { (db) throws(StoreError) in
            let s = try db.statement(
                "SELECT witness, line, received_at FROM cosignatures WHERE checkpoint_size = ?1 ORDER BY witness")
            defer { s.reset() }
            s.bind(1, size)
            var out: [Cosignature] = []
            while try s.step("reading cosignatures") {
                out.append(
                    Cosignature(
                        checkpointSize: size, witness: s.text(0) ?? "", line: s.text(1) ?? "", receivedAt: s.int64(2)))
            }
            return out
        }
    }

    // MARK: - Rejected readings and upstreams

    /// The number of rejected readings received at or after `since` (Unix ns).
    public func rejectedCount(since: Int64 = .min) throws(StoreError) -> Int {
        try withConnection { (db) throws(StoreError) in
            let s = try db.statement("SELECT count(*) FROM rejected WHERE received_at >= ?1")
            defer { s.reset() }
            s.bind(1, since)
            _ = try s.step("counting rejected readings")
            return Int(s.int64(0))
        }
    }

    /// The most recent rejected readings, newest first.
    public func recentRejected(limit: Int = 100) throws(StoreError) -> [RejectedReading] {
        try withConnection { (db) throws(StoreError) in
            let s = try db.statement(
                "SELECT id, received_at, topic, reason, size, head FROM rejected ORDER BY id DESC LIMIT ?1")
            defer { s.reset() }
            s.bind(1, max(0, limit))
            var out: [RejectedReading] = []
            while try s.step("reading rejected readings") {
                out.append(
                    RejectedReading(
                        id: s.int64(0), receivedAt: s.int64(1), topic: s.text(2) ?? "", reason: s.text(3) ?? "",
                        size: Int(s.int64(4)), head: s.blob(5) ?? []))
            }
            return out
        }
    }

    /// The state of the upstream `name`, or `nil` when none was recorded.
    public func upstream(named name: String) throws(StoreError) -> UpstreamState? {
        try withConnection { (db) throws(StoreError) in try db.upstreams(name: name).first }
    }

    /// The state of every recorded upstream, by name.
    public func upstreams() throws(StoreError) -> [UpstreamState] {
        try withConnection { (db) throws(StoreError) in try db.upstreams(name: nil) }
    }
}
