import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerSystem

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

    func gatewayStates(
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
    func insertEntries(
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
    func truncateBundles(gateway: Int64, to size: UInt64) throws(StoreError) {
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

    func upsertTiles(gateway: Int64, _ tiles: [(id: TileID, hashes: [Hash32])]) throws(StoreError) {
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

    func setStagedSize(gateway: Int64, _ size: UInt64) throws(StoreError) {
        let s = try statement("UPDATE gateways SET staged_size = ?2 WHERE id = ?1")
        s.bind(1, gateway)
        s.bind(2, size)
        try s.run("recording the staged size")
    }

    /// Records `c` as the verified checkpoint of `state`, checks it against the witness's
    /// cosigned checkpoints (one view per origin), and queues its anchoring job unless the origin
    /// is forked.
    func recordVerified(
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

    func anchorJobs(where clause: String, _ a: Int64, _ b: Int64) throws(StoreError) -> [AnchorJob] {
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
