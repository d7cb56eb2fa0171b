import CSQLite
import EdgeLedgerCore

/// Read queries shared by the writer (``LedgerStore``) and readers (``LedgerReader``).
extension SQLiteConnection {
    /// One past the highest entry index (the number of entries when none is missing).
    package func nextIndex() throws(StoreError) -> UInt64 {
        guard let max = try scalar("SELECT max(idx) FROM entries", "finding the end of the log") else { return 0 }
        return UInt64(max) + 1
    }

    /// Size of the latest checkpoint; 0 when there is none.
    package func sealedSize() throws(StoreError) -> UInt64 {
        UInt64(try scalar("SELECT max(size) FROM checkpoints", "finding the latest checkpoint") ?? 0)
    }

    /// Throws ``StoreError/Kind/outOfRange`` when `size` exceeds the sealed size.
    package func requireSealed(_ size: UInt64) throws(StoreError) {
        let sealed = try sealedSize()
        guard size <= sealed else {
            throw StoreError(
                .outOfRange, "tree size \(size) is beyond the sealed size \(sealed)",
                hint: "proofs and roots exist only for sealed sizes; wait for the next checkpoint")
        }
    }

    /// Calls `body` with index, entry bytes (nil when pruned) and leaf hash bytes of each stored
    /// entry in `from ..< to`, in order. The buffers are valid only during the call.
    package func forEachStoredEntry(
        from: UInt64, to: UInt64,
        _ body: (UInt64, UnsafeRawBufferPointer?, UnsafeRawBufferPointer?) throws(StoreError) -> Void
    ) throws(StoreError) {
        guard from < to else { return }
        let s = try statement("SELECT idx, entry, leaf_hash FROM entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx")
        defer { s.reset() }
        s.bind(1, Int64(clamping: from))
        s.bind(2, Int64(clamping: to))
        while try s.step("reading entries \(from)..<\(to)") {
            try body(s.uint64(0), s.blobPointer(1), s.blobPointer(2))
        }
    }

    /// The decoded entries in `from ..< to` that exist.
    package func entries(from: UInt64, to: UInt64) throws(StoreError) -> [Entry] {
        var out: [Entry] = []
        let path = self.path
        try forEachStoredEntry(from: from, to: to) { (index, bytes, _) throws(StoreError) in
            guard let bytes else { throw SQLiteConnection.prunedError(index) }
            let entry: Entry
            do {
                entry = try Entry(decoding: bytes)
            } catch {
                throw StoreError(
                    .corrupt, "entry \(index) in \(path) does not decode: \(error)",
                    hint: "the store is damaged; run `edge-ledger verify --db \(path)`")
            }
            guard entry.index == index else {
                throw StoreError(
                    .corrupt, "entry \(index) in \(path) carries index \(entry.index)",
                    hint: "the store is damaged; run `edge-ledger verify --db \(path)`")
            }
            out.append(entry)
        }
        return out
    }

    /// The stored leaf hashes in `from ..< to`; throws when one is missing or malformed.
    package func leafHashes(from: UInt64, to: UInt64) throws(StoreError) -> [Hash32] {
        var out: [Hash32] = []
        if to > from { out.reserveCapacity(Int(min(to - from, 1 << 24))) }
        var expected = from
        let path = self.path
        try forEachStoredEntry(from: from, to: to) { (index, _, hash) throws(StoreError) in
            guard index == expected else {
                throw StoreError(
                    .missing, "entry \(expected) is missing from \(path)",
                    hint: "the store is damaged; run `edge-ledger verify --db \(path)`")
            }
            guard let hash, hash.count == 32 else {
                throw StoreError(
                    .corrupt, "entry \(index) in \(path) has a malformed leaf hash",
                    hint: "the store is damaged; run `edge-ledger verify --db \(path)`")
            }
            out.append(Hash32 { $0.copyMemory(from: hash) })
            expected += 1
        }
        guard expected == to else {
            throw StoreError(
                .missing, "entry \(expected) is missing from \(path)",
                hint: "the store is damaged; run `edge-ledger verify --db \(path)`")
        }
        return out
    }

    /// Checkpoint rows of a `SELECT size, root, note, created_at …` query.
    package func checkpoints(sql: String, bind values: [UInt64] = []) throws(StoreError) -> [CheckpointRecord] {
        let s = try statement(sql)
        defer { s.reset() }
        for (i, v) in values.enumerated() { s.bind(Int32(i + 1), Int64(clamping: v)) }
        var out: [CheckpointRecord] = []
        while try s.step("reading checkpoints") {
            guard let root = s.hash(1), let note = s.text(2) else {
                throw StoreError(
                    .corrupt, "checkpoint at size \(s.uint64(0)) in \(path) has a malformed root or note",
                    hint: "the store is damaged; run `edge-ledger verify --db \(path)`")
            }
            out.append(CheckpointRecord(size: s.uint64(0), root: root, note: note, createdAt: s.int64(3)))
        }
        return out
    }

    /// Upstream rows, all or the one named.
    package func upstreams(name: String?) throws(StoreError) -> [UpstreamState] {
        let columns =
            "name, acked_size, acked_root, acked_at, last_push_at, last_pushed_size, last_push_result, "
            + "consecutive_failures, next_attempt_at"
        let s =
            try name == nil
            ? statement("SELECT \(columns) FROM upstreams ORDER BY name")
            : statement("SELECT \(columns) FROM upstreams WHERE name = ?1")
        defer { s.reset() }
        if let name { s.bind(1, name) }
        var out: [UpstreamState] = []
        while try s.step("reading upstream state") {
            var u = UpstreamState(name: s.text(0) ?? "")
            u.ackedSize = s.uint64(1)
            u.ackedRoot = s.hash(2)
            u.ackedAt = s.isNull(3) ? nil : s.int64(3)
            u.lastPushAt = s.isNull(4) ? nil : s.int64(4)
            u.lastPushedSize = s.uint64(5)
            u.lastPushResult = s.text(6)
            u.consecutiveFailures = Int(s.int64(7))
            u.nextAttemptAt = s.isNull(8) ? nil : s.int64(8)
            out.append(u)
        }
        return out
    }

    package static func prunedError(_ index: UInt64) -> StoreError {
        StoreError(
            .pruned, "entry \(index) was pruned by retention; only its leaf hash remains",
            hint: "fetch it from an upstream that acknowledged it")
    }

    /// Runs a ``TiledTree`` computation, turning its errors into ``StoreError``s.
    package static func tiled<R>(_ what: String, _ body: () throws -> R) throws(StoreError) -> R {
        do {
            return try body()
        } catch let error as StoreError {
            throw error
        } catch let error as ProofError {
            throw StoreError(.outOfRange, "\(what): \(error.message)", hint: error.hint)
        } catch {
            throw StoreError(
                .corrupt, "\(what): \(error)", hint: "the stored tiles may be damaged; run `edge-ledger verify`")
        }
    }
}
