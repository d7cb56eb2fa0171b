import CSQLite
import EdgeLedgerCore

/// Checks a whole ledger store offline (`edge-ledger verify`): every entry, tile and checkpoint
/// is recomputed from the entry bytes and compared with what is stored.
///
/// In one read snapshot, streaming in constant memory (O(log n) hashes, one row at a time):
/// 1. every entry index `0 ..< n` is present; each entry decodes, carries its own index and
///    receive time, and its leaf hash `H(0x00 || entry)` equals the stored one;
/// 2. the tree is rebuilt from the leaf hashes (independently of ``TiledTree``), and every stored
///    hash tile equals the recomputed one; no tile lies outside the latest checkpoint's tree;
/// 3. for every checkpoint: the stored root equals the recomputed root at its size; its note
///    parses, its body names that size and root (and the store's origin); with verifier keys,
///    its signatures verify (``NoteSigning/open(_:verifiers:)``); and a consistency proof from
///    the previous checkpoint, generated from the stored tiles, verifies.
///
/// Stops at the first problem, in log order, and names it (``VerificationFailure``).
public struct LedgerVerifier: Sendable {
    /// The hash function; must match the store's algorithm.
    public var hasher: any MerkleHasher
    /// Note verifier keys; `nil` skips signature checks (bodies are still checked).
    public var verifiers: [any NoteVerifier]?
    /// Runs SQLite's `PRAGMA quick_check` on the file first.
    public var checkFileStructure: Bool
    /// Progress is reported every this many entries.
    public var progressInterval: UInt64 = 1 << 16
    /// Which of ``verifiers`` must have signed each checkpoint.
    public var signaturePolicy: NoteSignaturePolicy = .any

    /// Creates a verifier.
    public init(hasher: any MerkleHasher, verifiers: [any NoteVerifier]? = nil, checkFileStructure: Bool = true) {
        self.hasher = hasher
        self.verifiers = verifiers
        self.checkFileStructure = checkFileStructure
    }

    /// Verifies the store that `store` has open, through a separate read-only connection.
    public func verify(
        store: LedgerStore, progress: (_ done: UInt64, _ total: UInt64) -> Void = { _, _ in }
    ) throws(VerificationFailure) -> VerificationReport {
        try verify(path: store.path, progress: progress)
    }

    /// Verifies the store at `path`, read-only (it may be in use by a running agent: the check
    /// covers the state committed when it starts; while it runs, the agent's WAL file cannot be
    /// reset and grows by what is appended meanwhile).
    ///
    /// - Parameter progress: called with (entries checked, entries in the log) every
    ///   ``progressInterval`` entries and at the end.
    /// - Throws: ``VerificationFailure`` naming the first bad entry, tile or checkpoint, or the
    ///   store when it cannot be read.
    public func verify(
        path: String, progress: (_ done: UInt64, _ total: UInt64) -> Void = { _, _ in }
    ) throws(VerificationFailure) -> VerificationReport {
        let db = try open(path)
        let origin: String?
        do {
            origin = try Schema.meta(db, "origin")
            if checkFileStructure { try LedgerVerifier.quickCheck(db) }
        } catch {
            throw VerificationFailure(.store, error.description)
        }
        var run = VerificationRun(db: db, hasher: hasher, verifiers: verifiers, origin: origin)
        run.policy = signaturePolicy
        do {
            try db.statement("BEGIN").run("starting the verification snapshot")
        } catch {
            throw VerificationFailure(.store, error.description)
        }
        defer { db.rollback() }
        return try run.run(interval: max(1, progressInterval), progress: progress)
    }

    /// Opens `path` read-only as a store of this verifier's hash algorithm.
    func open(_ path: String) throws(VerificationFailure) -> SQLiteConnection {
        do {
            let db = try SQLiteConnection(path: path, readOnly: true, create: false)
            sqlite3_busy_timeout(db.handle, 5000)
            try Schema.checkReadable(db)
            try Schema.checkAlgorithm(db, hasher.algorithm)
            return db
        } catch {
            throw VerificationFailure(.store, error.description)
        }
    }

    private static func quickCheck(_ db: SQLiteConnection) throws(StoreError) {
        let problems = try db.quickCheckProblems()
        guard problems.isEmpty else {
            throw StoreError(
                .corrupt, "SQLite quick_check of \(db.path) failed: \(problems.joined(separator: "; "))",
                hint: "the file is damaged below the ledger level; restore from a copy or an upstream")
        }
    }
}

/// The state of one verification pass.
private struct VerificationRun {
    let db: SQLiteConnection
    let hasher: any MerkleHasher
    let verifiers: [any NoteVerifier]?
    var policy: NoteSignaturePolicy = .any
    let origin: String?
    let tree: TreeAccumulator
    var tilesChecked = 0
    var checkpoints = 0
    var signatures = 0
    var proofs = 0
    var pruned: UInt64 = 0
    var previous: (size: UInt64, root: Hash32)? = nil

    init(db: SQLiteConnection, hasher: any MerkleHasher, verifiers: [any NoteVerifier]?, origin: String?) {
        self.db = db
        self.hasher = hasher
        self.verifiers = verifiers
        self.origin = origin
        self.tree = TreeAccumulator(hasher: hasher)
    }

    /// Wraps a store error (an unreadable row) as a failure at `place`.
    func at<R>(
        _ place: VerificationFailure.Place, _ body: () throws(StoreError) -> R
    ) throws(VerificationFailure)
        -> R
    {
        do { return try body() } catch { throw VerificationFailure(place, error.description) }
    }

    mutating func run(
        interval: UInt64, progress: (UInt64, UInt64) -> Void
    ) throws(VerificationFailure)
        -> VerificationReport
    {
        let db = self.db
        let (total, sealedSize) = try at(.store) { () throws(StoreError) in (try db.nextIndex(), try db.sealedSize()) }
        let entries = try at(.store) { () throws(StoreError) in
            try db.prepare("SELECT idx, entry, leaf_hash, received_at FROM entries ORDER BY idx")
        }
        let cps = try at(.store) { () throws(StoreError) in
            try db.prepare("SELECT size, root, note FROM checkpoints ORDER BY size")
        }
        var nextCheckpoint = try readCheckpoint(cps)
        progress(0, total)
        if sealedSize == 0 { try checkRightEdge(sealedSize: 0) }
        while let cp = nextCheckpoint, cp.size == 0 {
            try check(cp)
            nextCheckpoint = try readCheckpoint(cps)
        }
        var expected: UInt64 = 0
        while try at(.entry(expected), { () throws(StoreError) in try entries.step("reading entry \(expected)") }) {
            let index = entries.uint64(0)
            guard index == expected else {
                throw VerificationFailure(.entry(expected), "missing (the next stored entry is \(index))")
            }
            let leaf = try checkEntry(entries, index: index)
            try tree.append(leaf) { (level, tileIndex, hashes) throws(VerificationFailure) in
                // Tiles exist only for sealed entries.
                if self.tree.size <= sealedSize { try self.compareFullTile(level: level, index: tileIndex, hashes) }
            }
            expected += 1
            while let cp = nextCheckpoint, cp.size == expected {
                try check(cp)
                nextCheckpoint = try readCheckpoint(cps)
            }
            if expected == sealedSize { try checkRightEdge(sealedSize: sealedSize) }
            if expected % interval == 0 { progress(expected, total) }
        }
        if let cp = nextCheckpoint {
            throw VerificationFailure(
                .entry(expected), "missing (the log ends here, but the checkpoint at size \(cp.size) covers it)")
        }
        try checkNoExtraTiles(sealedSize: sealedSize)
        progress(expected, total)
        return VerificationReport(
            path: db.path, hashAlgorithm: hasher.algorithm, origin: origin, entries: expected, prunedEntries: pruned,
            sealedSize: sealedSize, root: previous?.root ?? hasher.emptyRoot, tilesChecked: tilesChecked,
            checkpoints: checkpoints, signaturesVerified: signatures, consistencyProofs: proofs)
    }

    // MARK: Entries

    /// Checks one entry row and returns its leaf hash.
    mutating func checkEntry(_ row: SQLiteStatement, index: UInt64) throws(VerificationFailure) -> Hash32 {
        guard let storedRaw = row.blobPointer(2), storedRaw.count == 32 else {
            let n = row.blobPointer(2)?.count
            throw VerificationFailure(
                .entry(index), "stored leaf hash is malformed (\(n.map { "\($0) bytes" } ?? "NULL"), expected 32 bytes)"
            )
        }
        let stored = Hash32 { $0.copyMemory(from: storedRaw) }
        guard let bytes = row.blobPointer(1) else {
            pruned += 1
            return stored
        }
        let entry: Entry
        do {
            entry = try Entry(decoding: bytes)
        } catch {
            throw VerificationFailure(.entry(index), "does not decode: \(error)")
        }
        guard entry.index == index else {
            throw VerificationFailure(.entry(index), "carries index \(entry.index), not its position \(index)")
        }
        let receivedAt = row.int64(3)
        guard entry.receivedAt == receivedAt else {
            throw VerificationFailure(
                .entry(index),
                "received_at column \(receivedAt) differs from the entry's receive time \(entry.receivedAt)")
        }
        let computed = hasher.leafHash(bytes)
        guard computed == stored else {
            throw VerificationFailure(.entry(index), "leaf hash mismatch (stored \(stored), computed \(computed))")
        }
        return computed
    }

    // MARK: Tiles

    func storedTile(level: Int, index: UInt64) throws(VerificationFailure) -> [Hash32] {
        let place = VerificationFailure.Place.tile(level: level, index: index)
        let db = self.db
        guard let stored = try at(place, { () throws(StoreError) in try db.tileHashes(level: level, index: index) })
        else {
            throw VerificationFailure(place, "missing")
        }
        return stored
    }

    mutating func compareFullTile(level: Int, index: UInt64, _ computed: [Hash32]) throws(VerificationFailure) {
        let stored = try storedTile(level: level, index: index)
        guard stored.count == computed.count else {
            throw VerificationFailure(
                .tile(level: level, index: index), "width \(stored.count), expected \(computed.count)")
        }
        try comparePrefix(level: level, index: index, stored: stored, computed: computed[...])
        tilesChecked += 1
    }

    func comparePrefix(
        level: Int, index: UInt64, stored: [Hash32], computed: ArraySlice<Hash32>
    )
        throws(VerificationFailure)
    {
        for (k, hash) in computed.enumerated() where stored[k] != hash {
            throw VerificationFailure(
                .tile(level: level, index: index), "hash \(k) differs (stored \(stored[k]), computed \(hash))")
        }
    }

    /// At the sealed size, each level's partial tile must be stored with exactly that width.
    mutating func checkRightEdge(sealedSize: UInt64) throws(VerificationFailure) {
        for level in 0...TileID.maxLevel {
            let computed = tree.partial[level]
            if computed.isEmpty { continue }
            let index = tree.fullTiles[level]
            let stored = try storedTile(level: level, index: index)
            guard stored.count == computed.count else {
                throw VerificationFailure(
                    .tile(level: level, index: index),
                    "width \(stored.count), expected \(computed.count) at the latest checkpoint (size \(sealedSize))")
            }
            try comparePrefix(level: level, index: index, stored: stored, computed: computed[...])
            tilesChecked += 1
        }
    }

    /// Every stored tile must belong to the tree at the sealed size.
    func checkNoExtraTiles(sealedSize: UInt64) throws(VerificationFailure) {
        let db = self.db
        let s = try at(.store) { () throws(StoreError) in try db.prepare("SELECT level, idx, width FROM tiles") }
        while try at(.store, { () throws(StoreError) in try s.step("listing tiles") }) {
            let level = Int(s.int64(0))
            let index = s.uint64(1)
            let width = Int(s.int64(2))
            var expectedWidth = 0
            if (0...TileID.maxLevel).contains(level) {
                let count = sealedSize >> UInt64(TileID.height * level)
                let full = count / UInt64(TileID.fullWidth)
                if index < full {
                    expectedWidth = TileID.fullWidth
                } else if index == full {
                    expectedWidth = Int(count % UInt64(TileID.fullWidth))
                }
            }
            guard expectedWidth > 0 else {
                throw VerificationFailure(
                    .tile(level: level, index: index),
                    "stored, but not part of the tree at the latest checkpoint (size \(sealedSize))")
            }
            guard width == expectedWidth else {
                throw VerificationFailure(
                    .tile(level: level, index: index), "width \(width), expected \(expectedWidth)")
            }
        }
    }

    // MARK: Checkpoints

    func readCheckpoint(
        _ s: SQLiteStatement
    ) throws(VerificationFailure) -> (size: UInt64, root: [UInt8]?, note: String?)? {
        guard try at(.store, { () throws(StoreError) in try s.step("reading checkpoints") }) else { return nil }
        return (s.uint64(0), s.blob(1), s.text(2))
    }

    mutating func check(_ cp: (size: UInt64, root: [UInt8]?, note: String?)) throws(VerificationFailure) {
        let place = VerificationFailure.Place.checkpoint(size: cp.size)
        let computed = tree.root()
        guard let rootBytes = cp.root, let stored = Hash32(bytes: rootBytes) else {
            throw VerificationFailure(place, "stored root is malformed (\(cp.root?.count ?? 0) bytes, expected 32)")
        }
        guard stored == computed else {
            throw VerificationFailure(
                place, "stored root \(stored) differs from the root recomputed from the entries \(computed)")
        }
        guard let text = cp.note else { throw VerificationFailure(place, "note is missing") }
        let note: Note
        let body: Checkpoint
        do {
            note = try Note(parsing: text)
            body = try Checkpoint(parsing: note.text)
        } catch {
            throw VerificationFailure(place, "note is malformed: \(error)")
        }
        guard body.size == cp.size else { throw VerificationFailure(place, "note body names size \(body.size)") }
        guard body.root == computed else {
            throw VerificationFailure(
                place, "note body names root \(body.root), but the entries give \(computed)")
        }
        if let origin, body.origin != origin {
            throw VerificationFailure(place, "note body names origin \"\(body.origin)\", the store's is \"\(origin)\"")
        }
        if let verifiers {
            do {
                signatures += try NoteSigning.open(note, verifiers: verifiers, policy: policy).count
            } catch {
                throw VerificationFailure(place, error.description)
            }
        }
        if let previous, previous.size > 0 {
            let reader = VerifyingTileReader(run: self)
            do {
                let proof = try TiledTree.consistencyProof(
                    from: previous.size, to: cp.size, reader: reader, hasher: hasher)
                try Merkle.verifyConsistency(
                    oldSize: previous.size, newSize: cp.size, oldRoot: previous.root, newRoot: computed, proof: proof,
                    hasher: hasher)
            } catch let failure as VerificationFailure {
                throw failure
            } catch {
                throw VerificationFailure(
                    place, "consistency proof from the checkpoint at size \(previous.size) fails: \(error)")
            }
            proofs += 1
        }
        previous = (cp.size, computed)
        checkpoints += 1
    }
}

/// Serves stored tiles to ``TiledTree`` while checking each against the rebuilt tree: a full
/// tile was compared when it completed; the current partial tile's stored prefix must equal the
/// recomputed hashes so far. A bad tile is thus reported as itself, not as a failed proof.
private struct VerifyingTileReader: TileReader {
    let run: VerificationRun

    func readTile(level: Int, index: UInt64) throws -> [Hash32] {
        let stored = try run.storedTile(level: level, index: index)
        if (0...TileID.maxLevel).contains(level), index == run.tree.fullTiles[level] {
            let computed = run.tree.partial[level]
            guard stored.count >= computed.count else {
                throw VerificationFailure(
                    .tile(level: level, index: index), "width \(stored.count), expected at least \(computed.count)")
            }
            try run.comparePrefix(level: level, index: index, stored: stored, computed: computed[...])
        }
        return stored
    }
}
