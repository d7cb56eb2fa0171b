import EdgeLedgerStore
import EdgeLedgerSystem

/// Collection leases: which instance collects which gateway (see ``CollectorLease``).
extension CollectorStore {
    /// Records that instance `holder` is alive, renews every lease it holds on an enabled pull
    /// gateway, releases its leases beyond `keep` (the surplus when other instances joined),
    /// takes free or expired leases up to its fair share of the enabled pull gateways among the
    /// live instances, and returns the leases it now holds, by gateway id.
    ///
    /// Times are the database's clock for PostgreSQL (one clock for every instance), this
    /// process's for SQLite.
    public func renewLeases(holder: String, duration: Duration) async throws(StoreError) -> [Int64: CollectorLease] {
        try await storeTransaction(write: true) { (sql) throws(StoreError) -> [Int64: CollectorLease] in
            let now = try sql.databaseNow()
            let until = now &+ duration.nanosecondsClamped
            try sql.run(
                "INSERT INTO upstream_instances(id, started_at, heartbeat_at) VALUES (?1, ?2, ?2) "
                    + "ON CONFLICT(id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
                [.text(holder), .int(now)], "recording this instance's heartbeat")
            let live =
                try sql.scalar(
                    "SELECT count(*) FROM upstream_instances WHERE heartbeat_at > ?1",
                    [.int(now &- duration.nanosecondsClamped)],
                    "counting live instances") ?? 1
            let pull = "enabled = 1 AND mode = 'pull' AND settings IS NOT NULL"
            let total = try sql.scalar("SELECT count(*) FROM gateways WHERE \(pull)", [], "counting gateways") ?? 0
            let share = (total + max(1, live) - 1) / max(1, live)
            // Renew what this instance holds (a lease taken over meanwhile has another holder).
            let mine = try sql.all(
                "UPDATE gateways SET lease_expires_at = ?2 WHERE lease_holder = ?1 AND \(pull) "
                    + "RETURNING id, lease_token", [.text(holder), .int(until)], "renewing leases"
            ) { (row) throws(StoreError) in (row.int64(0), row.int64(1)) }.sorted { $0.0 < $1.0 }
            var held: [Int64: CollectorLease] = [:]
            for (i, (id, token)) in mine.enumerated() {
                if Int64(i) >= share {
                    try sql.run(
                        "UPDATE gateways SET lease_holder = NULL, lease_expires_at = 0 WHERE id = ?1 AND lease_holder = ?2",
                        [.int(id), .text(holder)], "releasing a surplus lease")
                } else {
                    held[id] = CollectorLease(holder: holder, token: token, expiresAt: until)
                }
            }
            let wanted = share - Int64(held.count)
            guard wanted > 0 else { return held }
            let skipLocked = sql.engine == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
            let taken = try sql.all(
                "UPDATE gateways SET lease_holder = ?1, lease_token = lease_token + 1, lease_expires_at = ?2 "
                    + "WHERE id IN (SELECT id FROM gateways WHERE \(pull) AND (lease_holder IS NULL OR "
                    + "lease_expires_at <= ?3) ORDER BY id LIMIT ?4\(skipLocked)) RETURNING id, lease_token",
                [.text(holder), .int(until), .int(now), .int(wanted)], "taking leases"
            ) { (row) throws(StoreError) in (row.int64(0), row.int64(1)) }
            for (id, token) in taken { held[id] = CollectorLease(holder: holder, token: token, expiresAt: until) }
            return held
        }
    }

    /// Releases every lease `holder` holds (a clean shutdown: another instance takes the gateways
    /// over at once instead of after the lease time) and forgets the instance.
    public func releaseLeases(holder: String) async throws(StoreError) {
        try await storeTransaction(write: true) { (sql) throws(StoreError) in
            try sql.run(
                "UPDATE gateways SET lease_holder = NULL, lease_expires_at = 0 WHERE lease_holder = ?1",
                [.text(holder)], "releasing leases")
            try sql.run("DELETE FROM upstream_instances WHERE id = ?1", [.text(holder)], "removing the instance")
        }
    }
}

extension UpstreamSQL {
    /// The current time: the database server's for PostgreSQL, this process's for SQLite.
    func databaseNow() throws(StoreError) -> Int64 {
        switch engine {
        case .sqlite: return SystemClock.nowNanoseconds()
        case .postgres:
            return try scalar(
                "SELECT (extract(epoch FROM clock_timestamp()) * 1000000000)::bigint", [], "reading the clock")
                ?? SystemClock.nowNanoseconds()
        }
    }
}
