import CSQLite
import EdgeLedgerCore
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import Synchronization

/// The reference upstream's store (`edge-ledger upstream`): the witness's latest cosigned
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
        let mode = try db.text("PRAGMA journal_mode = WAL", "switching \(path) to WAL mode")
        guard mode?.lowercased() == "wal" else {
            throw StoreError(
                .sqlite, "cannot switch \(path) to WAL mode (journal mode is \(mode ?? "unknown"))",
                hint: "put the store on a local file system that supports shared memory (not NFS)")
        }
        try db.execute(
            "PRAGMA synchronous = \(durability == .power ? "FULL" : "NORMAL"); PRAGMA journal_size_limit = 67108864",
            "configuring \(path)")
        try CollectorSchema.migrate(db, now: SystemClock.nowNanoseconds())
        self.path = path
        self.lock = lock
        self.connection = Mutex(db)
    }

    func withConnection<R: Sendable>(_ body: (SQLiteConnection) throws(StoreError) -> R) throws(StoreError) -> R {
        try connection.withLock { (db: inout SQLiteConnection) throws(StoreError) -> R in try body(db) }
    }

    /// Now, as Unix nanoseconds UTC (the store's clock, for callers without one).
    public static func now() -> Int64 { SystemClock.nowNanoseconds() }

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

    // MARK: - Anchoring queue

    /// Jobs of an origin with fork evidence wait (they are not anchored while it is forked).
    private static let notForked = "g.origin NOT IN (SELECT origin FROM fork_evidence)"

    /// Pending anchoring jobs due at `now`, oldest first (none of a forked origin).
    public func dueAnchorJobs(now: Int64, limit: Int = 16) throws(StoreError) -> [AnchorJob] {
        try withConnection { (db) throws(StoreError) in
            try db.anchorJobs(
                where: "a.done_at IS NULL AND a.next_attempt_at <= ?1 AND \(Self.notForked) ORDER BY a.id LIMIT ?2",
                now, Int64(limit))
        }
    }

    /// The earliest `next_attempt_at` of any pending job of an origin that is not forked, or
    /// `nil` when none is pending.
    public func nextAnchorAttempt() throws(StoreError) -> Int64? {
        try withConnection { (db) throws(StoreError) in
            try db.scalar(
                "SELECT min(a.next_attempt_at) FROM anchor_queue a JOIN gateways g ON g.id = a.gateway "
                    + "WHERE a.done_at IS NULL AND \(Self.notForked)", "reading the anchoring queue")
        }
    }

    /// Every anchoring job, done or pending, oldest first (for status and tests).
    public func anchorJobs(limit: Int = 1000) throws(StoreError) -> [AnchorJob] {
        try withConnection { (db) throws(StoreError) in
            try db.anchorJobs(where: "?1 = ?1 ORDER BY a.id LIMIT ?2", 0, Int64(limit))
        }
    }

    /// Marks job `id` done.
    public func completeAnchorJob(id: Int64, at time: Int64) throws(StoreError) {
        try withConnection { (db) throws(StoreError) in
            let s = try db.statement("UPDATE anchor_queue SET done_at = ?2, last_error = NULL WHERE id = ?1")
            s.bind(1, id)
            s.bind(2, time)
            try s.run("completing anchoring job \(id)")
        }
    }

    /// Records a failed attempt of job `id` and when to try again.
    public func failAnchorJob(id: Int64, error: String, nextAttemptAt: Int64) throws(StoreError) {
        try withConnection { (db) throws(StoreError) in
            let s = try db.statement(
                "UPDATE anchor_queue SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?1")
            s.bind(1, id)
            s.bind(2, String(error.prefix(2000)))
            s.bind(3, nextAttemptAt)
            try s.run("rescheduling anchoring job \(id)")
        }
    }
}

// MARK: - Queries

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

extension SQLiteConnection {
    func witnessState(origin: String) throws(StoreError) -> WitnessLogState? {
        let s = try statement("SELECT size, root, note, updated_at FROM witness_logs WHERE origin = ?1")
        defer { s.reset() }
        s.bind(1, origin)
        guard try s.step("reading the witness state of \(origin)") else { return nil }
        guard let root = s.hash(1) else {
            throw StoreError(.corrupt, "witness state of \(origin) in \(path) has a malformed root")
        }
        return WitnessLogState(
            origin: origin, size: s.uint64(0), root: root, note: s.text(2) ?? "", updatedAt: s.int64(3))
    }

    private static let gatewayColumns =
        "id, origin, hash_algorithm, verified_size, verified_root, verified_note, verified_at, staged_size, "
        + "acked_size, acked_at"

    fileprivate func gatewayStates(
        sql: String, bind: ((SQLiteStatement) -> Void)?
    ) throws(StoreError)
        -> [CollectorGatewayState]
    {
        let s = try statement("SELECT \(SQLiteConnection.gatewayColumns) FROM gateways \(sql)")
        defer { s.reset() }
        bind?(s)
        var out: [CollectorGatewayState] = []
        while try s.step("reading collected gateways") {
            guard let algorithm = HashAlgorithm(rawValue: s.text(2) ?? "") else {
                throw StoreError(.newerSchema, "collected log \(s.text(1) ?? "") uses an unknown hash algorithm")
            }
            out.append(
                CollectorGatewayState(
                    id: s.int64(0), origin: s.text(1) ?? "", hashAlgorithm: algorithm, verifiedSize: s.uint64(3),
                    verifiedRoot: s.hash(4), verifiedNote: s.text(5), verifiedAt: s.isNull(6) ? nil : s.int64(6),
                    stagedSize: s.uint64(7), ackedSize: s.uint64(8), ackedAt: s.isNull(9) ? nil : s.int64(9)))
        }
        return out
    }

    func gatewayState(origin: String) throws(StoreError) -> CollectorGatewayState? {
        try gatewayStates(sql: "WHERE origin = ?1", bind: { $0.bind(1, origin) }).first
    }

    func gatewayState(id: Int64) throws(StoreError) -> CollectorGatewayState? {
        try gatewayStates(sql: "WHERE id = ?1", bind: { $0.bind(1, id) }).first
    }

    /// Appends `entries`, the log's entries from index `start` on, to the stored bundles: the
    /// partial bundle at `start` is completed (replaced by a wider one), then new bundles follow.
    fileprivate func insertEntries(
        gateway: Int64, from start: UInt64, _ entries: CollectorEntryBatch
    )
        throws(StoreError)
    {
        guard !entries.isEmpty else { return }
        let upsert = try statement(
            "INSERT INTO bundles(gateway, idx, width, data) VALUES (?1, ?2, ?3, ?4) "
                + "ON CONFLICT(gateway, idx) DO UPDATE SET width = excluded.width, data = excluded.data")
        var data: [UInt8] = []
        data.reserveCapacity(entries.bytes.count / max(1, entries.count / 256) + 4096)
        var width = 0
        var bundle = start / 256
        let offset = Int(start % 256)
        if offset > 0 {
            let read = try statement("SELECT width, data FROM bundles WHERE gateway = ?1 AND idx = ?2")
            read.bind(1, gateway)
            read.bind(2, bundle)
            let found = try read.step("reading the partial bundle \(bundle)")
            if found, Int(read.int64(0)) == offset, let existing = read.blobPointer(1) {
                data.append(contentsOf: existing)
                width = offset
            }
            read.reset()
            guard width == offset else {
                throw StoreError(
                    .corrupt, "collected bundle \(bundle) of gateway \(gateway) does not hold \(offset) entries",
                    hint: "the upstream store is damaged")
            }
        }
        var failure: StoreError? = nil
        func flush() {
            guard failure == nil, width > 0 else { return }
            upsert.bind(1, gateway)
            upsert.bind(2, bundle)
            upsert.bind(3, width)
            failure = data.withUnsafeBytes { raw in
                upsert.bindStatic(4, raw)
                return upsert.runReturningError("storing collected bundle \(bundle)")
            }
            data.removeAll(keepingCapacity: true)
            width = 0
            bundle += 1
        }
        entries.forEach { _, bytes in
            data.append(UInt8(truncatingIfNeeded: bytes.count >> 8))
            data.append(UInt8(truncatingIfNeeded: bytes.count))
            data.append(contentsOf: bytes)
            width += 1
            if width == 256 { flush() }
        }
        flush()
        if let failure { throw failure }
    }

    /// Keeps only the entries below `size` of gateway `gateway`.
    fileprivate func truncateBundles(gateway: Int64, to size: UInt64) throws(StoreError) {
        let delete = try statement("DELETE FROM bundles WHERE gateway = ?1 AND idx >= ?2")
        delete.bind(1, gateway)
        delete.bind(2, (size + 255) / 256)
        try delete.run("discarding staged entries")
        let keep = Int(size % 256)
        guard keep > 0 else { return }
        let bundle = size / 256
        let read = try statement("SELECT width, data FROM bundles WHERE gateway = ?1 AND idx = ?2")
        read.bind(1, gateway)
        read.bind(2, bundle)
        var trimmed: [UInt8]? = nil
        if try read.step("reading bundle \(bundle)"), Int(read.int64(0)) > keep, let data = read.blobPointer(1),
            let ranges = CollectorBundle.split(data, width: Int(read.int64(0)))
        {
            trimmed = Array(data[0..<ranges[keep - 1].upperBound])
        }
        read.reset()
        guard let trimmed else { return }
        let update = try statement("UPDATE bundles SET width = ?3, data = ?4 WHERE gateway = ?1 AND idx = ?2")
        update.bind(1, gateway)
        update.bind(2, bundle)
        update.bind(3, keep)
        update.bind(4, blob: trimmed)
        try update.run("trimming bundle \(bundle)")
    }

    fileprivate func upsertTiles(gateway: Int64, _ tiles: [(id: TileID, hashes: [Hash32])]) throws(StoreError) {
        let s = try statement(
            "INSERT INTO tiles(gateway, level, idx, width, hashes) VALUES (?1, ?2, ?3, ?4, ?5) "
                + "ON CONFLICT(gateway, level, idx) DO UPDATE SET width = excluded.width, hashes = excluded.hashes")
        for tile in tiles {
            s.bind(1, gateway)
            s.bind(2, tile.id.level)
            s.bind(3, tile.id.index)
            s.bind(4, tile.id.width)
            let failure: StoreError? = tile.hashes.withUnsafeBytes { raw in
                s.bindStatic(5, raw)
                return s.runReturningError("writing collected tile \(tile.id.level)/\(tile.id.index)")
            }
            if let failure { throw failure }
        }
    }

    fileprivate func setStagedSize(gateway: Int64, _ size: UInt64) throws(StoreError) {
        let s = try statement("UPDATE gateways SET staged_size = ?2 WHERE id = ?1")
        s.bind(1, gateway)
        s.bind(2, size)
        try s.run("recording the staged size")
    }

    /// Records `c` as the verified checkpoint of `state`, checks it against the witness's
    /// cosigned checkpoints (one view per origin), and queues its anchoring job unless the origin
    /// is forked.
    fileprivate func recordVerified(
        gateway state: CollectorGatewayState, _ c: CollectedCheckpoint, anchorDocument: String?,
        hasher: any MerkleHasher
    )
        throws(StoreError)
    {
        let gateway = state.id
        let update = try statement(
            "UPDATE gateways SET verified_size = ?2, verified_root = ?3, verified_note = ?4, verified_at = ?5 "
                + "WHERE id = ?1")
        update.bind(1, gateway)
        update.bind(2, c.size)
        update.bind(3, hash: c.root)
        update.bind(4, c.note)
        update.bind(5, c.verifiedAt)
        try update.run("recording the verified checkpoint of \(c.origin)")
        let insert = try statement(
            "INSERT INTO checkpoints(gateway, size, root, note, verified_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                + "ON CONFLICT(gateway, size) DO UPDATE SET note = excluded.note, verified_at = excluded.verified_at")
        insert.bind(1, gateway)
        insert.bind(2, c.size)
        insert.bind(3, hash: c.root)
        insert.bind(4, c.note)
        insert.bind(5, c.verifiedAt)
        try insert.run("storing the verified checkpoint of \(c.origin) at \(c.size)")
        let forked = try checkAgainstWitness(state, verified: c, hasher: hasher)
        if let anchorDocument, !forked {
            let job = try statement(
                "INSERT INTO anchor_queue(gateway, size, document, next_attempt_at, created_at) "
                    + "VALUES (?1, ?2, ?3, ?4, ?4)")
            job.bind(1, gateway)
            job.bind(2, c.size)
            job.bind(3, anchorDocument)
            job.bind(4, c.verifiedAt)
            try job.run("queueing the anchoring of \(c.origin) at \(c.size)")
        }
    }

    fileprivate func anchorJobs(where clause: String, _ a: Int64, _ b: Int64) throws(StoreError) -> [AnchorJob] {
        let s = try statement(
            "SELECT a.id, g.origin, a.size, a.document, a.attempts, a.next_attempt_at, a.last_error, a.created_at, "
                + "a.done_at FROM anchor_queue a JOIN gateways g ON g.id = a.gateway WHERE \(clause)")
        defer { s.reset() }
        s.bind(1, a)
        s.bind(2, b)
        var out: [AnchorJob] = []
        while try s.step("reading the anchoring queue") {
            out.append(
                AnchorJob(
                    id: s.int64(0), origin: s.text(1) ?? "", size: s.uint64(2), document: s.text(3) ?? "",
                    attempts: Int(s.int64(4)), nextAttemptAt: s.int64(5), lastError: s.text(6), createdAt: s.int64(7),
                    doneAt: s.isNull(8) ? nil : s.int64(8)))
        }
        return out
    }
}

/// The C2SP tlog-tiles entry bundle layout: `u16 big-endian length || entry`, repeated.
public enum CollectorBundle {
    /// The byte ranges of the entries of a bundle holding exactly `width` entries, or `nil` when
    /// it is malformed.
    public static func split(_ data: UnsafeRawBufferPointer, width: Int) -> [Range<Int>]? {
        var out: [Range<Int>] = []
        out.reserveCapacity(width)
        var offset = 0
        while offset < data.count {
            guard offset + 2 <= data.count else { return nil }
            let length = Int(data[offset]) << 8 | Int(data[offset + 1])
            guard offset + 2 + length <= data.count else { return nil }
            out.append(offset + 2..<offset + 2 + length)
            offset += 2 + length
        }
        return out.count == width ? out : nil
    }
}
