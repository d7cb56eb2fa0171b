import EdgeLedgerCore
import EdgeLedgerStore

/// SQLite keeps a collected log's entries as C2SP entry bundles (one row per 256 entries): the
/// partial bundle at the right edge is rewritten as it fills, under the one connection's lock.
extension SQLiteSession {
    func insertEntries(gateway: Int64, from start: UInt64, _ entries: CollectorEntryBatch) throws(StoreError) {
        guard !entries.isEmpty else { return }
        let upsert = try db.statement(
            "INSERT INTO bundles(gateway, idx, width, data) VALUES (?1, ?2, ?3, ?4) "
                + "ON CONFLICT(gateway, idx) DO UPDATE SET width = excluded.width, data = excluded.data")
        var data: [UInt8] = []
        data.reserveCapacity(entries.bytes.count / max(1, entries.count / 256) + 4096)
        var width = 0
        var bundle = start / 256
        let offset = Int(start % 256)
        if offset > 0 {
            let read = try db.statement("SELECT width, data FROM bundles WHERE gateway = ?1 AND idx = ?2")
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
            CollectorBundle.append(bytes, to: &data)
            width += 1
            if width == 256 { flush() }
        }
        flush()
        if let failure { throw failure }
    }

    func upsertTiles(gateway: Int64, _ tiles: [(id: TileID, hashes: [Hash32])]) throws(StoreError) {
        for tile in tiles {
            try run(
                "INSERT INTO tiles(gateway, level, idx, width, hashes) VALUES (?1, ?2, ?3, ?4, ?5) "
                    + "ON CONFLICT(gateway, level, idx) DO UPDATE SET width = excluded.width, hashes = excluded.hashes",
                [
                    .int(gateway), .int(Int64(tile.id.level)), .uint(tile.id.index), .int(Int64(tile.id.width)),
                    .blob(Hash32.concatenated(tile.hashes)),
                ],
                "writing collected tile \(tile.id.level)/\(tile.id.index)")
        }
    }

    func entries(gateway id: Int64, from: UInt64, to: UInt64) throws(StoreError) -> [[UInt8]] {
        guard from < to else { return [] }
        let s = try db.statement(
            "SELECT idx, width, data FROM bundles WHERE gateway = ?1 AND idx >= ?2 AND idx <= ?3 ORDER BY idx")
        defer { s.reset() }
        s.bind(1, id)
        s.bind(2, Int64(clamping: from / 256))
        s.bind(3, Int64(clamping: (to - 1) / 256))
        var out: [[UInt8]] = []
        while try s.step("reading collected entries") {
            let first = s.uint64(0) &* 256
            guard let data = s.blobPointer(2), let entries = CollectorBundle.split(data, width: Int(s.int64(1))) else {
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

    func truncateEntries(gateway: Int64, to size: UInt64) throws(StoreError) {
        let delete = try db.statement("DELETE FROM bundles WHERE gateway = ?1 AND idx >= ?2")
        delete.bind(1, gateway)
        delete.bind(2, (size + 255) / 256)
        try delete.run("discarding staged entries")
        let keep = Int(size % 256)
        guard keep > 0 else { return }
        let bundle = size / 256
        let read = try db.statement("SELECT width, data FROM bundles WHERE gateway = ?1 AND idx = ?2")
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
        let update = try db.statement("UPDATE bundles SET width = ?3, data = ?4 WHERE gateway = ?1 AND idx = ?2")
        update.bind(1, gateway)
        update.bind(2, bundle)
        update.bind(3, keep)
        update.bind(4, blob: trimmed)
        try update.run("trimming bundle \(bundle)")
    }

    func entryCount(gateway: Int64) throws(StoreError) -> UInt64 {
        UInt64(
            try scalar(
                "SELECT coalesce(sum(width), 0) FROM bundles WHERE gateway = ?1", [.int(gateway)],
                "counting collected entries") ?? 0)
    }
}
