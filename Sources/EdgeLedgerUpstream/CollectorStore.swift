import CSQLite
import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerSystem
import Synchronization

/// The reference upstream's store (`edge-ledger-upstream`): the witness's latest cosigned
/// checkpoint per log, every collected gateway log (entries and hash tiles), the checkpoints
/// verified against them, and the durable anchoring queue, in one SQLite file (WAL mode).
///
/// **Threads.** Every method may be called from any thread; one lock serialises all use of the
/// single connection (witness requests, collectors and the anchoring queue share it; each holds
/// it for one short transaction).
///
/// **Crash safety.** Each method is one transaction. A witness update is a compare-and-set on
/// the stored state, checked against what the collector verified
/// (``addWitnessCheckpoint(_:hasher:boundFirstByCollection:maxGrowth:decide:)``), so two concurrent
/// `add-checkpoint` requests can never roll the state back or cosign a second history. A collector batch stores its entries (as entry bundles) and the tiles
/// extended over them together, and the batch that completes a checkpoint also records the
/// verified checkpoint and its anchoring job.
///
/// **One writer.** Opening takes an exclusive lock on `<path>-writer.lock`.
public final class CollectorStore: Sendable {
    /// The database file.
    public let path: String
    let connection: Mutex<SQLiteConnection>
    private let lock: WriterLock

    /// Opens (creating or migrating) the upstream store at `path`.
    ///
    /// - Throws: ``StoreError`` when the file cannot be opened or created, is not an upstream
    ///   store, is newer than this build, or is open by another upstream process.
    public init(path: String, durability: Durability = .power) throws(StoreError) {
        let lock = try WriterLock(databasePath: path)
        let db = try SQLiteConnection(path: path, readOnly: false, create: true)
        sqlite3_busy_timeout(db.handle, 5000)
        try db.useWAL(durability: durability, path: path)
        try CollectorSchema.migrate(db, now: SystemClock.nowNanoseconds())
        self.path = path
        self.lock = lock
        self.connection = Mutex(db)
    }

    func withConnection<R: Sendable>(_ body: (SQLiteConnection) throws(StoreError) -> R) throws(StoreError) -> R {
        try connection.withLock { (db: inout SQLiteConnection) throws(StoreError) -> R in try body(db) }
    }

    // MARK: - Witness

    /// The witness's record for `origin`, or `nil` when it never cosigned a checkpoint of it.
    public func witnessState(origin: String) throws(StoreError) -> WitnessLogState? {
        try withConnection { (db) throws(StoreError) in try db.witnessState(origin: origin) }
    }

    // MARK: - Collected gateways

    /// The collector's state of the gateway log `origin`, registering it (empty) when new.
    ///
    /// - Throws: ``StoreError/Kind/wrongHashAlgorithm`` when the log was registered with another
    ///   hash algorithm.
    public func registerGateway(origin: String, hash: HashAlgorithm) throws(StoreError) -> CollectorGatewayState {
        try withConnection { (db) throws(StoreError) in
            if let existing = try db.gatewayState(origin: origin) {
                guard existing.hashAlgorithm == hash else {
                    throw StoreError(
                        .wrongHashAlgorithm,
                        "the collected log \(origin) in \(path) is hashed with \(existing.hashAlgorithm.rawValue), "
                            + "but \(hash.rawValue) is configured",
                        hint: "a log never changes its hash algorithm: fix gateways[].hash")
                }
                return existing
            }
            let s = try db.statement("INSERT INTO gateways(origin, hash_algorithm) VALUES (?1, ?2)")
            s.bind(1, origin)
            s.bind(2, hash.rawValue)
            try s.run("registering the gateway \(origin)")
            return CollectorGatewayState(
                id: sqlite3_last_insert_rowid(db.handle), origin: origin, hashAlgorithm: hash)
        }
    }

    /// The collector's state of the gateway log `origin`, or `nil` when it is not registered.
    public func gatewayState(origin: String) throws(StoreError) -> CollectorGatewayState? {
        try withConnection { (db) throws(StoreError) in try db.gatewayState(origin: origin) }
    }

    /// Every registered gateway log, by origin.
    public func gatewayStates() throws(StoreError) -> [CollectorGatewayState] {
        try withConnection { (db) throws(StoreError) in try db.gatewayStates(sql: "ORDER BY origin", bind: nil) }
    }

    /// Extends the staged part of gateway `id`'s log by `entries` (whose leaf hashes are
    /// `leafHashes`), in one transaction: the entries, the hash tiles extended over them, and the
    /// new staged size.
    ///
    /// - Parameters:
    ///   - stagedSize: the staged size the caller extends; must equal the stored one (one
    ///     collector per gateway).
    ///   - check: sees the computed extension (new tiles and root) before anything is written;
    ///     throwing refuses the batch and writes nothing.
    ///   - complete: when the extension reaches this checkpoint's size, its root must equal the
    ///     checkpoint's root; then the checkpoint becomes the verified one, is stored, and (with an
    ///     `anchorDocument`) an anchoring job is queued, in the same transaction.
    /// - Returns: the extension that was stored.
    /// - Throws: whatever `check` throws, unchanged; ``StoreError/Kind/conflict`` when the staged
    ///   size moved, or when the root at `complete.size` differs from `complete.root`; otherwise
    ///   the SQLite failure. Nothing is written on failure.
    @discardableResult
    public func stage(
        gateway id: Int64, stagedSize: UInt64, entries: CollectorEntryBatch, leafHashes: [Hash32],
        hasher: any MerkleHasher, check: (TileExtension) throws -> Void = { _ in },
        complete: CollectedCheckpoint? = nil, anchorDocument: String? = nil
    ) throws -> TileExtension {
        precondition(entries.count == leafHashes.count, "stage: \(entries.count) entries, \(leafHashes.count) hashes")
        return try connection.withLock { (db: inout SQLiteConnection) throws -> TileExtension in
            try db.statement("BEGIN IMMEDIATE").run("starting to stage entries")
            do {
                guard let state = try db.gatewayState(id: id) else {
                    throw StoreError(.outOfRange, "no collected gateway with id \(id) in \(path)")
                }
                guard state.stagedSize == stagedSize else {
                    throw StoreError(
                        .conflict,
                        "the staged size of \(state.origin) is \(state.stagedSize), not \(stagedSize)",
                        hint: "only one collector may run per gateway; nothing was written")
                }
                let ext = try TiledTree.extend(
                    from: stagedSize, appending: leafHashes, reader: CollectorTileReader(db: db, gateway: id),
                    hasher: hasher)
                try check(ext)
                try db.insertEntries(gateway: id, from: stagedSize, entries)
                try db.upsertTiles(gateway: id, ext.tiles)
                if let complete, complete.size == ext.newSize {
                    guard ext.root == complete.root else {
                        throw StoreError(
                            .conflict,
                            "the entries of \(state.origin) give root \(ext.root) at size \(ext.newSize), "
                                + "but its checkpoint says \(complete.root)",
                            hint: "nothing was written")
                    }
                    try db.recordVerified(gateway: state, complete, anchorDocument: anchorDocument, hasher: hasher)
                }
                try db.setStagedSize(gateway: id, ext.newSize)
                try db.statement("COMMIT").run("committing staged entries of \(state.origin)")
                return ext
            } catch {
                db.rollback()
                throw error
            }
        }
    }

    /// Records `checkpoint` as the verified one of gateway `id` when the staged entries already
    /// reach its size and their root (from the stored tiles) equals its root; queues the anchoring
    /// job. Used after an interruption between staging the last entries and verifying them, and
    /// for a checkpoint that repeats the verified size (a note with new cosignatures).
    ///
    /// - Throws: ``StoreError/Kind/conflict`` when the root differs; ``StoreError/Kind/outOfRange``
    ///   when the staged size is not the checkpoint's.
    public func verifyStaged(
        gateway id: Int64, checkpoint: CollectedCheckpoint, hasher: any MerkleHasher, anchorDocument: String?
    ) throws(StoreError) {
        try withConnection { (db) throws(StoreError) in
            try db.transaction(immediate: true, "verifying staged entries") { () throws(StoreError) in
                guard let state = try db.gatewayState(id: id) else {
                    throw StoreError(.outOfRange, "no collected gateway with id \(id) in \(path)")
                }
                guard state.stagedSize == checkpoint.size else {
                    throw StoreError(
                        .outOfRange,
                        "\(state.origin): \(state.stagedSize) entries are staged, the checkpoint is at \(checkpoint.size)"
                    )
                }
                let root = try SQLiteConnection.tiled("computing the root of \(state.origin) at \(checkpoint.size)") {
                    try TiledTree.rootHash(
                        size: checkpoint.size, reader: CollectorTileReader(db: db, gateway: id), hasher: hasher)
                }
                guard root == checkpoint.root else {
                    throw StoreError(
                        .conflict,
                        "the entries of \(state.origin) give root \(root) at size \(checkpoint.size), "
                            + "but its checkpoint says \(checkpoint.root)")
                }
                try db.recordVerified(gateway: state, checkpoint, anchorDocument: anchorDocument, hasher: hasher)
            }
        }
    }

    /// Discards the staged entries of gateway `id` (those beyond its verified size) and trims
    /// its hash tiles back to the verified size.
    ///
    /// - Returns: how many entries were discarded.
    @discardableResult
    public func discardStaged(gateway id: Int64) throws(StoreError) -> UInt64 {
        try withConnection { (db) throws(StoreError) in
            try db.transaction(immediate: true, "discarding staged entries") { () throws(StoreError) -> UInt64 in
                guard let state = try db.gatewayState(id: id) else { return 0 }
                let verified = state.verifiedSize
                guard state.stagedSize != verified else { return 0 }
                try db.truncateBundles(gateway: id, to: verified)
                // Tiles only grow at the right: the tiles at the verified size are prefixes.
                let deleteTiles = try db.statement(
                    "DELETE FROM tiles WHERE gateway = ?1 AND level = ?2 AND idx * 256 >= ?3")
                let trimTiles = try db.statement(
                    "UPDATE tiles SET width = ?3 - idx * 256, hashes = substr(hashes, 1, 32 * (?3 - idx * 256)) "
                        + "WHERE gateway = ?1 AND level = ?2 AND idx * 256 < ?3 AND idx * 256 + width > ?3")
                for level in 0...TileID.maxLevel {
                    let count = verified >> UInt64(TileID.height * level)
                    for s in [deleteTiles, trimTiles] {
                        s.bind(1, id)
                        s.bind(2, level)
                        s.bind(3, Int64(clamping: count))
                        try s.run("trimming the tiles of \(state.origin) to size \(verified)")
                    }
                }
                try db.setStagedSize(gateway: id, verified)
                return state.stagedSize - verified
            }
        }
    }

    /// Records that the gateway accepted an acknowledgement of `size` (never moves backwards).
    public func recordAck(gateway id: Int64, size: UInt64, at time: Int64) throws(StoreError) {
        try withConnection { (db) throws(StoreError) in
            let s = try db.statement(
                "UPDATE gateways SET acked_size = ?2, acked_at = ?3 WHERE id = ?1 AND acked_size <= ?2")
            s.bind(1, id)
            s.bind(2, size)
            s.bind(3, time)
            try s.run("recording an acknowledgement")
        }
    }
}
