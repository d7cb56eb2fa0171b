import CSQLite

/// The store's `journal_damage` table: what ingest journal replay could not read (see
/// ``JournalDamage``). Written by the agent's replay, read by status, acknowledged by an
/// operator (`edge-ledger status --ack-journal-damage`).
public enum JournalDamageLog {
    private static let columns = """
        id, kind, segment, byte_offset, byte_length, reason, checksum, first_lost_seq, last_lost_seq, \
        quarantine, detected_at, acknowledged_at
        """

    /// Records `damage` (one row per segment and offset: a replay that runs again after a crash
    /// keeps the first row, with its loss as it was first seen, and updates only where the
    /// bytes are kept).
    static func record(_ damage: [JournalDamage], in db: SQLiteConnection) throws(StoreError) {
        guard !damage.isEmpty else { return }
        try db.transaction(immediate: true, "recording \(damage.count) damaged ingest journal regions") {
            () throws(StoreError) in
            let s = try db.statement(
                """
                INSERT INTO journal_damage(kind, segment, byte_offset, byte_length, reason, checksum,
                    first_lost_seq, last_lost_seq, quarantine, detected_at, acknowledged_at)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                ON CONFLICT(segment, byte_offset, checksum) DO UPDATE SET quarantine = excluded.quarantine
                """)
            for d in damage {
                s.bind(1, d.kind.rawValue)
                s.bind(2, d.segment)
                s.bind(3, d.offset)
                s.bind(4, d.length)
                s.bind(5, d.reason)
                s.bind(6, Int64(d.checksum))
                if let first = d.firstLostSeq { s.bind(7, first) } else { s.bindNull(7) }
                if let last = d.lastLostSeq { s.bind(8, last) } else { s.bindNull(8) }
                s.bind(9, d.quarantine)
                s.bind(10, d.detectedAt)
                if let at = d.acknowledgedAt { s.bind(11, at) } else { s.bindNull(11) }
                try s.run("recording damage in the ingest journal segment \(d.segment)")
            }
        }
    }

    /// The recorded damage, oldest first; only what is not acknowledged unless `all`. Empty for
    /// a store made before the table existed.
    static func list(in db: SQLiteConnection, all: Bool) throws(StoreError) -> [JournalDamage] {
        guard try hasTable(db) else { return [] }
        let s = try db.statement(
            "SELECT \(columns) FROM journal_damage"
                + (all ? "" : " WHERE acknowledged_at IS NULL") + " ORDER BY id")
        defer { s.reset() }
        var rows: [JournalDamage] = []
        while try s.step("reading the ingest journal damage") {
            rows.append(
                JournalDamage(
                    id: s.int64(0), kind: JournalDamage.Kind(rawValue: s.text(1) ?? "") ?? .damaged,
                    segment: s.text(2) ?? "", offset: Int(s.int64(3)), length: Int(s.int64(4)),
                    reason: s.text(5) ?? "", checksum: UInt32(truncatingIfNeeded: s.int64(6)),
                    firstLostSeq: s.isNull(7) ? nil : s.uint64(7), lastLostSeq: s.isNull(8) ? nil : s.uint64(8),
                    quarantine: s.text(9) ?? "", detectedAt: s.int64(10),
                    acknowledgedAt: s.isNull(11) ? nil : s.int64(11)))
        }
        return rows
    }

    /// Marks every unacknowledged report of the store at `storePath` acknowledged at `now`
    /// (Unix ns) and returns them. Safe while the agent runs: the agent only adds rows when it
    /// starts, and SQLite serialises the two writers.
    ///
    /// - Throws: ``StoreError`` when the store cannot be opened for writing or is not an
    ///   EdgeLedger store of a version this build reads.
    public static func acknowledge(storePath: String, now: Int64) throws(StoreError) -> [JournalDamage] {
        let db = try SQLiteConnection(path: storePath, readOnly: false, create: false)
        sqlite3_busy_timeout(db.handle, 5000)
        try Schema.checkReadable(db)
        return try db.transaction(immediate: true, "acknowledging ingest journal damage") {
            () throws(StoreError) -> [JournalDamage] in
            let open = try list(in: db, all: false)
            guard !open.isEmpty else { return [] }
            let s = try db.statement(
                "UPDATE journal_damage SET acknowledged_at = ?1 WHERE acknowledged_at IS NULL AND id <= ?2")
            s.bind(1, now)
            s.bind(2, open.last!.id)
            try s.run("acknowledging ingest journal damage")
            return open.map {
                var d = $0
                d.acknowledgedAt = now
                return d
            }
        }
    }

    private static func hasTable(_ db: SQLiteConnection) throws(StoreError) -> Bool {
        try db.scalar(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'journal_damage'",
            "looking for the journal damage table") == 1
    }
}

extension LedgerStore {
    /// Ingest journal damage that replay found: unacknowledged reports, or all with `all`.
    public func journalDamage(all: Bool = false) throws(StoreError) -> [JournalDamage] {
        try writer.withLock { (w) throws(StoreError) in try JournalDamageLog.list(in: w.db, all: all) }
    }

    func recordJournalDamage(_ damage: [JournalDamage]) throws(StoreError) {
        try writer.withLock { (w) throws(StoreError) in try JournalDamageLog.record(damage, in: w.db) }
    }
}

extension LedgerReader {
    /// Ingest journal damage that replay found: unacknowledged reports, or all with `all`.
    public func journalDamage(all: Bool = false) throws(StoreError) -> [JournalDamage] {
        try withConnection { (db) throws(StoreError) in try JournalDamageLog.list(in: db, all: all) }
    }
}
