/// What each upstream fetched with its own credential: the `upstream_fetches` table.
///
/// The HTTP API records, for every entry bundle it serves to a client that authenticated as an
/// upstream, how far that upstream has fetched the log contiguously from the start (entries
/// below ``LedgerReader/fetchedBelow(upstream:)``). Retention never prunes past the smallest of
/// a required upstream's acknowledged size and its fetched size: an upstream cannot make the
/// gateway drop payloads it never downloaded, whatever it acknowledges.
extension LedgerStore {
    /// Records that upstream `name` has fetched every entry below `below`. The recorded value
    /// never moves backwards.
    ///
    /// - Returns: the recorded value afterwards.
    /// - Throws: ``StoreError`` when the row cannot be written; nothing is recorded then.
    @discardableResult
    public func recordFetched(upstream name: String, below: UInt64) throws(StoreError) -> UInt64 {
        try writer.withLock { (w) throws(StoreError) -> UInt64 in
            let current = try w.db.fetchedBelow(name)
            guard below > current else { return current }
            let s = try w.db.statement(
                """
                INSERT INTO upstream_fetches(name, fetched_below) VALUES (?1, ?2)
                ON CONFLICT(name) DO UPDATE SET fetched_below = max(fetched_below, excluded.fetched_below)
                """)
            s.bind(1, name)
            s.bind(2, below)
            try s.run("recording what upstream \(name) fetched")
            return below
        }
    }
}

extension LedgerReader {
    /// Upstream `name` has fetched every entry below this size with its own credential (0 when
    /// it fetched nothing yet); see ``LedgerStore/recordFetched(upstream:below:)``.
    public func fetchedBelow(upstream name: String) throws(StoreError) -> UInt64 {
        try withConnection { (db) throws(StoreError) in try db.fetchedBelow(name) }
    }

    /// Upstream `name` may acknowledge up to this size: every entry below was fetched with its
    /// own credential or has been pruned already (served to nobody any more, so an upstream that
    /// is not required for retention can still acknowledge past it; a required one has always
    /// fetched at least that far, since pruning never passes its fetched size).
    public func acknowledgeableBelow(upstream name: String) throws(StoreError) -> UInt64 {
        try withConnection { (db) throws(StoreError) in
            max(try db.fetchedBelow(name), try Schema.meta(db, "pruned_below").flatMap { UInt64($0) } ?? 0)
        }
    }
}

extension SQLiteConnection {
    /// The `fetched_below` of upstream `name`, 0 when none is recorded.
    func fetchedBelow(_ name: String) throws(StoreError) -> UInt64 {
        let s = try statement("SELECT fetched_below FROM upstream_fetches WHERE name = ?1")
        defer { s.reset() }
        s.bind(1, name)
        return try s.step("reading what upstream \(name) fetched") ? s.uint64(0) : 0
    }
}

extension LedgerReader {
    /// Every entry below this index has had its payload pruned by retention (the persisted
    /// watermark; 0 when nothing was pruned).
    public func prunedBelow() throws(StoreError) -> UInt64 {
        try withConnection { (db) throws(StoreError) in
            try Schema.meta(db, "pruned_below").flatMap { UInt64($0) } ?? 0
        }
    }
}
