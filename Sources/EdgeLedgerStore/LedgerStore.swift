import CSQLite
import EdgeLedgerCore
import EdgeLedgerSystem
import Synchronization

/// The gateway's ledger: entries, hash tiles, signed checkpoints, rejected readings and upstream
/// state in one SQLite file (WAL mode), written through the raw C API with prepared statements.
///
/// **Threads.** Not an actor: ingest calls ``append(_:)`` synchronously from libmosquitto's
/// callback thread and must return only after the commit. Every method may be called from any
/// thread; writes are serialised by one internal lock (an uncontended lock costs ~20 ns, an
/// append ~10 µs). ``seal(now:sign:)`` does its heavy work (reading leaf hashes, hashing,
/// signing) on a separate read connection *without* holding the write lock, and takes it only
/// for the short transaction that stores the tiles and the checkpoint, so ingest keeps
/// appending while a seal runs. Reads go through ``reader`` (its own connection); open more
/// ``LedgerReader``s for parallel readers such as the HTTP API.
///
/// **Crash safety.** Every append, batch and seal is one SQLite transaction: after a crash or a
/// kill at any point the store reopens with each of them either complete or absent.
/// ``Durability/process`` survives process crashes; ``Durability/power`` also power loss.
///
/// **One writer.** Opening takes an exclusive lock on `<path>-writer.lock`; a second agent (or a
/// second `LedgerStore` in the same process) on the same file is refused.
public final class LedgerStore: Sendable {
    /// The database file.
    public let path: String
    /// The durability level commits are made with.
    public let durability: Durability
    /// The store's hash algorithm.
    public let hashAlgorithm: HashAlgorithm
    /// A read-only connection for queries, proofs and bundles.
    public let reader: LedgerReader

    let hasher: any MerkleHasher
    let writer: Mutex<LedgerWriter>
    /// Damage found by a seal or an integrity check (LedgerStore+Integrity); sealing stops.
    let damageState = Mutex<VerificationFailure?>(nil)
    private let sealing = Mutex<Int>(0)
    private let lock: WriterLock

    /// Opens the store at `path`, creating and migrating it as needed.
    ///
    /// - Parameters:
    ///   - path: the SQLite file; created (with its directory's permissions) when missing.
    ///   - durability: ``Durability/process`` (default) or ``Durability/power``.
    ///   - hasher: the hash function; a new store records its algorithm, an existing one must
    ///     have been built with the same.
    ///   - origin: the log's origin from the configuration; when given, an existing store that
    ///     recorded another origin is refused.
    ///   - check: how much of the file to check; ``IntegrityCheck/header`` is instant.
    /// - Throws: ``StoreError``: the file cannot be created or opened, is not an EdgeLedger store,
    ///   has a newer schema, another hash algorithm or origin, is damaged, or is open for writing
    ///   by another agent.
    public init(
        path: String, durability: Durability = .process, hasher: any MerkleHasher, origin: String? = nil,
        check: IntegrityCheck = .header
    ) throws(StoreError) {
        let lock = try WriterLock(databasePath: path)
        let db = try SQLiteConnection(path: path, readOnly: false, create: true)
        sqlite3_busy_timeout(db.handle, 5000)
        try Schema.checkWritable(db)
        // Retention: only takes effect on a new (empty) file; must precede the WAL switch,
        // which writes the header. Existing stores keep their mode (see LedgerStore+Retention).
        try db.execute("PRAGMA auto_vacuum = INCREMENTAL", "enabling incremental vacuum on \(path)")
        try db.useWAL(durability: durability, path: path)
        try Schema.migrate(db, algorithm: hasher.algorithm, now: SystemClock.nowNanoseconds())
        if check == .quick {
            try LedgerStore.quickCheck(db)
        }
        let writer = try LedgerWriter(db: db, hasher: hasher)
        if let origin, let stored = writer.origin, stored != origin {
            throw StoreError(
                .wrongOrigin, "ledger store \(path) holds the log \"\(stored)\", not \"\(origin)\"",
                hint: "each log has its own store: fix identity.origin, or point storage.path at a new file")
        }
        self.path = path
        self.durability = durability
        self.hashAlgorithm = hasher.algorithm
        self.hasher = hasher
        self.lock = lock
        self.writer = Mutex(writer)
        self.reader = try LedgerReader(path: path, hasher: hasher)
    }

    private static func quickCheck(_ db: SQLiteConnection) throws(StoreError) {
        let problems = try db.quickCheckProblems()
        guard problems.isEmpty else {
            throw StoreError(
                .corrupt, "SQLITE_CORRUPT: \(db.path) failed quick_check: \(problems.joined(separator: "; "))",
                hint: "stop the agent, keep a copy of the file, and run `edge-ledger verify --db \(db.path)`")
        }
    }

    // MARK: - Appending

    /// Appends one reading as the next entry and commits it (one transaction) before returning.
    ///
    /// - Returns: the stored entry, with its index.
    /// - Throws: ``StoreError``: ``StoreError/Kind/invalidReading`` when the reading cannot be an
    ///   entry (check with ``Entry/validate(qos:topic:payloadCount:)`` at ingest), or the SQLite
    ///   failure (disk full, I/O error, …). Nothing is stored on failure.
    @discardableResult
    public func append(_ reading: ReadingInput) throws(StoreError) -> Entry {
        try writer.withLock { (w) throws(StoreError) -> Entry in
            try w.makingRoom { () throws(StoreError) -> Entry in try w.append(reading) }
        }
    }

    /// Appends readings as consecutive entries in one transaction: all are stored, or none.
    @discardableResult
    public func append(batch readings: [ReadingInput]) throws(StoreError) -> [Entry] {
        try writer.withLock { (w) throws(StoreError) -> [Entry] in
            try w.makingRoom { () throws(StoreError) -> [Entry] in try w.append(batch: readings) }
        }
    }

    /// Records a rejected reading (never an entry).
    ///
    /// - Returns: the row id.
    @discardableResult
    public func reject(_ rejected: RejectedReading) throws(StoreError) -> Int64 {
        try writer.withLock { (w) throws(StoreError) -> Int64 in try w.insertRejected(rejected) }
    }

    /// Deletes rejected-reading records received before `cutoff` (Unix ns).
    ///
    /// - Returns: how many were deleted.
    @discardableResult
    public func deleteRejected(before cutoff: Int64) throws(StoreError) -> Int {
        try writer.withLock { (w) throws(StoreError) -> Int in
            let s = try w.db.statement("DELETE FROM rejected WHERE received_at < ?1")
            s.bind(1, cutoff)
            try s.run("deleting old rejected readings")
            return Int(sqlite3_changes(w.db.handle))
        }
    }

    /// The index the next appended entry gets (the number of entries in the log).
    public var nextIndex: UInt64 { writer.withLock { $0.nextIndex } }

    /// The size of the latest checkpoint (0 before the first seal).
    public var sealedSize: UInt64 { writer.withLock { $0.sealedSize } }

    /// Entries appended but not yet covered by a checkpoint.
    public var pendingCount: UInt64 { writer.withLock { $0.nextIndex - $0.sealedSize } }

    /// The log origin recorded by the first seal, if any.
    public var origin: String? { writer.withLock { $0.origin } }

    // MARK: - Sealing

    /// Seals every pending entry: extends the hash tiles, computes the new root, asks `sign` for
    /// the signed checkpoint note, and stores tiles and note in one transaction.
    ///
    /// Leaf hashes and existing right-edge tiles are read from one snapshot on the reader
    /// connection, so appends continue meanwhile; entries appended after that snapshot go to
    /// the next seal. Seals are serialised; the write transaction re-checks that no other seal
    /// intervened. If anything fails — reading, hashing, `sign`, note validation, writing —
    /// nothing is stored.
    ///
    /// **Nothing unverified is signed.** Before extending, the latest signed checkpoint's root is
    /// recomputed from the stored tiles the extension builds on, and each new leaf hash from its
    /// entry's bytes. On a mismatch the damage is recorded (``damage``), `sign` is not called,
    /// and this and every later seal throw ``StoreError/Kind/corrupt`` naming the damage.
    ///
    /// - Parameters:
    ///   - now: the checkpoint's `created_at` (Unix ns); the current time when `nil`.
    ///   - sign: returns the complete C2SP signed note for ``SealRequest``'s size and root
    ///     (`Checkpoint(origin:size:root:).text` signed by every key). Its body must name the
    ///     request's size and root, and the store's origin once one is recorded.
    /// - Returns: what was stored, or `nil` when no entry is pending (no checkpoint is made).
    /// - Throws: whatever `sign` throws, unchanged; otherwise ``StoreError`` (``StoreError/Kind/corrupt``
    ///   when the store is damaged).
    public func seal(now: Int64? = nil, sign: (SealRequest) throws -> String) throws -> SealResult? {
        try sealing.withLock { (_) throws -> SealResult? in try sealLocked(now: now, sign: sign) }
    }

    private func sealLocked(now: Int64?, sign: (SealRequest) throws -> String) throws -> SealResult? {
        if let damage { throw LedgerStore.sealRefusal(damage, path: path) }
        let hasher = self.hasher
        let preparation: SealPreparation = try reader.withSnapshot("reading leaf hashes to seal") {
            (db) throws(StoreError) -> SealPreparation in
            let oldSize = try db.sealedSize()
            let end = try db.nextIndex()
            guard end > oldSize else { return .nothingPending }
            // Sign nothing that is not derived from verified data: the tiles being extended must
            // reproduce the last signed root, and each new leaf hash must be its entry's hash.
            if case .failure(let damage) = try db.checkSignedRightEdge(hasher: hasher) { return .damaged(damage) }
            let leaves: [Hash32]
            switch try db.checkedLeafHashes(from: oldSize, to: end, hasher: hasher) {
            case .failure(let damage): return .damaged(damage)
            case .success(let hashes): leaves = hashes
            }
            let ext = try SQLiteConnection.tiled("extending the tiles from size \(oldSize) to \(end)") {
                try TiledTree.extend(
                    from: oldSize, appending: leaves, reader: SQLiteTileReader(connection: db), hasher: hasher)
            }
            return .ready(SealPlan(oldSize: oldSize, extension: ext))
        }
        let plan: SealPlan
        switch preparation {
        case .nothingPending: return nil
        case .damaged(let damage): throw LedgerStore.sealRefusal(recordDamage(damage), path: path)
        case .ready(let ready): plan = ready
        }
        let origin = self.origin
        let request = SealRequest(
            origin: origin, oldSize: plan.oldSize, size: plan.extension.newSize, root: plan.extension.root)
        let note = try sign(request)
        let checkpoint = try LedgerStore.checkNote(note, for: request, path: path)
        let record = CheckpointRecord(
            size: request.size, root: request.root, note: note, createdAt: now ?? SystemClock.nowNanoseconds())
        let tiles = plan.extension.tiles
        try writer.withLock { (w) throws(StoreError) in
            try w.storeSeal(oldSize: plan.oldSize, tiles: tiles, checkpoint: record, origin: checkpoint.origin)
        }
        return SealResult(oldSize: plan.oldSize, checkpoint: record, tilesWritten: tiles.count)
    }

    /// Checks that `note` is a signed note whose checkpoint body is exactly the requested one.
    private static func checkNote(
        _ text: String, for request: SealRequest, path: String
    ) throws(StoreError)
        -> Checkpoint
    {
        let checkpoint: Checkpoint
        do {
            let note = try Note(parsing: text)
            checkpoint = try Checkpoint(parsing: note.text)
        } catch {
            throw StoreError(
                .invalidNote, "the signed note for size \(request.size) is malformed: \(error)",
                hint: "the sign closure must return a complete C2SP signed note; nothing was stored")
        }
        guard checkpoint.size == request.size, checkpoint.root == request.root else {
            throw StoreError(
                .invalidNote,
                "the signed note names size \(checkpoint.size) root \(checkpoint.root), "
                    + "but size \(request.size) root \(request.root) was sealed",
                hint: "this is a bug in the sealer; nothing was stored")
        }
        if let origin = request.origin, checkpoint.origin != origin {
            throw StoreError(
                .wrongOrigin, "the signed note names origin \"\(checkpoint.origin)\", but \(path) holds \"\(origin)\"",
                hint: "each log has its own store: fix identity.origin, or point storage.path at a new file")
        }
        return checkpoint
    }

    // MARK: - Quota

    /// Caps the database at about `bytes` (SQLite's `max_page_count`; the WAL, at most 64 MiB
    /// after checkpoints, comes on top). Past the cap, appends fail with a
    /// ``StoreError/Kind/diskFull`` error and store nothing, exactly as on a full disk, so the
    /// caller's overflow policy applies (stop acknowledging, or prune and retry). `nil` removes
    /// the cap. A cap below the current size holds the database at its current size.
    ///
    /// - Returns: the effective cap in bytes.
    @discardableResult
    public func setQuota(bytes: Int64?) throws(StoreError) -> Int64 {
        try writer.withLock { (w) throws(StoreError) -> Int64 in
            let pageSize = try w.db.scalar("PRAGMA page_size", "reading the page size") ?? 4096
            let pages = bytes.map { max(1, $0 / pageSize) } ?? 0xFFFF_FFFE
            let effective =
                try w.db.scalar("PRAGMA max_page_count = \(pages)", "setting the store quota") ?? pages
            return effective * pageSize
        }
    }

    // MARK: - Witnesses and upstreams

    /// Stores a witness cosignature on the checkpoint at `cosignature.checkpointSize` — the caller
    /// verified it. The first line kept for a checkpoint and witness stays: a later line never
    /// replaces it (a forged answer cannot displace a genuine cosignature).
    ///
    /// - Throws: ``StoreError/Kind/outOfRange`` when no checkpoint has that size.
    public func addCosignature(_ cosignature: Cosignature) throws(StoreError) {
        try writer.withLock { (w) throws(StoreError) in
            let lookup = try w.db.statement("SELECT count(*) FROM checkpoints WHERE size = ?1")
            lookup.bind(1, cosignature.checkpointSize)
            _ = try lookup.step("looking up the checkpoint at size \(cosignature.checkpointSize)")
            let exists = lookup.int64(0)
            lookup.reset()
            guard exists > 0 else {
                throw StoreError(
                    .outOfRange, "no checkpoint at size \(cosignature.checkpointSize) to attach a cosignature to")
            }
            let s = try w.db.statement(
                "INSERT INTO cosignatures(checkpoint_size, witness, line, received_at) VALUES (?1, ?2, ?3, ?4) "
                    + "ON CONFLICT(checkpoint_size, witness) DO NOTHING")
            s.bind(1, cosignature.checkpointSize)
            s.bind(2, cosignature.witness)
            s.bind(3, cosignature.line)
            s.bind(4, cosignature.receivedAt)
            try s.run("storing a cosignature by \(cosignature.witness)")
        }
    }

    /// Stores an upstream's state as given (insert or replace).
    public func saveUpstream(_ state: UpstreamState) throws(StoreError) {
        try writer.withLock { (w) throws(StoreError) in try w.db.writeUpstream(state) }
    }

    /// Records that upstream `name` holds every entry below `size`, whose root it reports as
    /// `root`. Acknowledgements never move backwards: a smaller size than the recorded one is
    /// ignored.
    ///
    /// - Returns: the upstream's state afterwards.
    /// - Throws: ``StoreError/Kind/outOfRange`` when `size` is beyond the sealed size,
    ///   ``StoreError/Kind/conflict`` when `root` is not this log's root at `size` (the upstream
    ///   holds another log, or a fork).
    @discardableResult
    public func acknowledge(
        upstream name: String, size: UInt64, root: Hash32, at time: Int64? = nil
    )
        throws(StoreError) -> UpstreamState
    {
        try recordAcknowledgement(upstream: name, size: size, root: root, at: time)
    }

    // MARK: - Reads (see ``LedgerReader``)

    /// The entry at `index`; see ``LedgerReader/entry(at:)``.
    public func entry(at index: UInt64) throws(StoreError) -> Entry? { try reader.entry(at: index) }

    /// Entries `from ..< to`; see ``LedgerReader/entries(from:to:)``.
    public func entries(from: UInt64, to: UInt64) throws(StoreError) -> [Entry] {
        try reader.entries(from: from, to: to)
    }

    /// Stored hashes of a tile; see ``LedgerReader/tile(level:index:)``.
    public func tile(level: Int, index: UInt64) throws(StoreError) -> [Hash32]? {
        try reader.tile(level: level, index: index)
    }

    /// The latest checkpoint; see ``LedgerReader/latestCheckpoint()``.
    public func latestCheckpoint() throws(StoreError) -> CheckpointRecord? { try reader.latestCheckpoint() }

    /// Checkpoints from a size on; see ``LedgerReader/checkpoints(from:limit:)``.
    public func checkpoints(from: UInt64 = 0, limit: Int = 1000) throws(StoreError) -> [CheckpointRecord] {
        try reader.checkpoints(from: from, limit: limit)
    }

    /// An inclusion proof; see ``LedgerReader/inclusionProof(index:size:)``.
    public func inclusionProof(index: UInt64, size: UInt64) throws(StoreError) -> [Hash32] {
        try reader.inclusionProof(index: index, size: size)
    }

    /// A consistency proof; see ``LedgerReader/consistencyProof(from:to:)``.
    public func consistencyProof(from: UInt64, to: UInt64) throws(StoreError) -> [Hash32] {
        try reader.consistencyProof(from: from, to: to)
    }

    /// Rejected readings since a time; see ``LedgerReader/rejectedCount(since:)``.
    public func rejectedCount(since: Int64 = .min) throws(StoreError) -> Int { try reader.rejectedCount(since: since) }

    /// An upstream's state; see ``LedgerReader/upstream(named:)``.
    public func upstream(named name: String) throws(StoreError) -> UpstreamState? { try reader.upstream(named: name) }

    /// Bytes on disk (database + WAL).
    public func bytesOnDisk() -> Int64 { reader.bytesOnDisk() }
}

/// What the read phase of a seal found.
enum SealPreparation: Sendable {
    case nothingPending
    /// What the seal would build on is damaged: nothing is signed.
    case damaged(VerificationFailure)
    case ready(SealPlan)
}

/// What the read phase of a seal computed.
struct SealPlan: Sendable {
    var oldSize: UInt64
    var `extension`: TileExtension
}
