import CSQLite
import EdgeLedgerCore

/// The write side of a ``LedgerStore``: the one read-write connection, its hot prepared
/// statements, and the cached log positions. Confined by the store's lock.
final class LedgerWriter {
    let db: SQLiteConnection
    let hasher: any MerkleHasher
    private let insertEntry: SQLiteStatement
    private let begin: SQLiteStatement
    private let commit: SQLiteStatement
    /// Index of the next entry.
    var nextIndex: UInt64
    /// Size of the latest checkpoint.
    var sealedSize: UInt64
    /// Origin recorded in `meta`, if any.
    var origin: String?
    /// What to do when an append hits the quota (LedgerStore+Retention); nil: fail the append.
    var overflow: QuotaOverflow?
    /// Bounds of the `rejected` table (LedgerStore+RejectedBounds); nil: unbounded.
    var rejectedBounds: RejectedTableBounds?
    /// Deduplication of folded readings (LedgerStore+Deduplication); nil: off.
    var dedup: DedupState?

    init(db: SQLiteConnection, hasher: any MerkleHasher) throws(StoreError) {
        self.db = db
        self.hasher = hasher
        self.insertEntry = try db.prepare(
            "INSERT INTO entries(idx, entry, leaf_hash, received_at) VALUES (?1, ?2, ?3, ?4)")
        self.begin = try db.prepare("BEGIN IMMEDIATE")
        self.commit = try db.prepare("COMMIT")
        self.nextIndex = try db.nextIndex()
        self.sealedSize = try db.sealedSize()
        self.origin = try Schema.meta(db, "origin")
        guard nextIndex >= sealedSize else {
            throw StoreError(
                .missing,
                "\(db.path) has a checkpoint at size \(sealedSize) but entries only up to \(nextIndex)",
                hint: "entries were deleted; run `edge-ledger verify --db \(db.path)`")
        }
    }

    /// Builds entry `nextIndex` from `reading`.
    func makeEntry(_ reading: ReadingInput, index: UInt64) throws(StoreError) -> Entry {
        do {
            return try Entry(
                index: index, receivedAt: reading.receivedAt, qos: reading.qos, retain: reading.retain,
                topic: reading.topic, payload: reading.payload, attributes: reading.attributes)
        } catch {
            throw StoreError(
                .invalidReading, "reading on topic \"\(reading.topic.prefix(200))\" cannot be stored: \(error)",
                hint: "ingest should reject such readings (Entry.validate) before appending")
        }
    }

    /// Inserts one entry with the prepared statement; in the caller's transaction if one is open.
    @inline(__always)
    func insert(_ entry: Entry) throws(StoreError) {
        let bytes = entry.encode()
        let leaf = hasher.leafHash(bytes)
        let s = insertEntry
        s.bind(1, entry.index)
        s.bind(4, entry.receivedAt)
        let failure: StoreError? = bytes.withUnsafeBytes { raw in
            leaf.withUnsafeBytes { hash in
                s.bindStatic(2, raw)
                s.bindStatic(3, hash)
                return s.runReturningError("appending entry \(entry.index)")
            }
        }
        if let failure { throw failure }
    }

    /// Appends one reading in its own transaction (SQLite autocommit).
    func append(_ reading: ReadingInput) throws(StoreError) -> Entry {
        let entry = try makeEntry(reading, index: nextIndex)
        try insert(entry)
        nextIndex += 1
        return entry
    }

    /// Appends readings in one transaction: all or none.
    func append(batch readings: some Sequence<ReadingInput>) throws(StoreError) -> [Entry] {
        var entries: [Entry] = []
        entries.reserveCapacity(readings.underestimatedCount)
        var index = nextIndex
        for reading in readings {
            entries.append(try makeEntry(reading, index: index))
            index += 1
        }
        guard !entries.isEmpty else { return [] }
        try begin.run("starting a batch append at entry \(nextIndex)")
        do {
            for entry in entries { try insert(entry) }
            try commit.run("committing entries \(nextIndex)..<\(index)")
        } catch {
            db.rollback()
            throw error
        }
        nextIndex = index
        return entries
    }

    /// Stores the tiles and checkpoint of a seal in one transaction, after checking that no
    /// other seal happened since `oldSize` was read.
    func storeSeal(
        oldSize: UInt64, tiles: [(id: TileID, hashes: [Hash32])], checkpoint: CheckpointRecord, origin: String
    ) throws(StoreError) {
        let db = self.db
        try db.transaction(immediate: true, "sealing checkpoint at size \(checkpoint.size)") { () throws(StoreError) in
            let current = try db.sealedSize()
            guard current == oldSize else {
                throw StoreError(
                    .conflict, "another seal stored size \(current) while size \(checkpoint.size) was being sealed",
                    hint: "only one sealer may run per store; nothing was written, seal again")
            }
            let upsert = try db.statement(
                "INSERT INTO tiles(level, idx, width, hashes) VALUES (?1, ?2, ?3, ?4) "
                    + "ON CONFLICT(level, idx) DO UPDATE SET width = excluded.width, hashes = excluded.hashes")
            for tile in tiles {
                guard tile.hashes.count == tile.id.width else {
                    throw StoreError(
                        .corrupt,
                        "tile \(tile.id.level)/\(tile.id.index) has \(tile.hashes.count) hashes, width \(tile.id.width)",
                        hint: "this is a bug in tile computation; nothing was written")
                }
                upsert.bind(1, tile.id.level)
                upsert.bind(2, tile.id.index)
                upsert.bind(3, tile.id.width)
                let failure: StoreError? = tile.hashes.withUnsafeBytes { raw in
                    upsert.bindStatic(4, raw)
                    return upsert.runReturningError("writing tile \(tile.id.level)/\(tile.id.index)")
                }
                if let failure { throw failure }
            }
            let insert = try db.statement(
                "INSERT INTO checkpoints(size, root, note, created_at) VALUES (?1, ?2, ?3, ?4)")
            insert.bind(1, checkpoint.size)
            insert.bind(2, hash: checkpoint.root)
            insert.bind(3, checkpoint.note)
            insert.bind(4, checkpoint.createdAt)
            try insert.run("storing checkpoint at size \(checkpoint.size)")
            if self.origin == nil {
                try Schema.setMeta(db, "origin", origin)
            }
        }
        sealedSize = checkpoint.size
        if self.origin == nil { self.origin = origin }
    }
}
