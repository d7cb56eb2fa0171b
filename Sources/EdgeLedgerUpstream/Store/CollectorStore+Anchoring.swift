import EdgeLedgerStore
import EdgeLedgerSystem

/// The durable anchoring queue: one job per verified checkpoint, retried until it succeeds, each
/// run by one instance at a time (a claim with an expiry).
extension CollectorStore {
    /// Jobs of an origin with fork evidence wait (they are not anchored while it is forked).
    private static let notForked = "g.origin NOT IN (SELECT origin FROM fork_evidence)"

    /// Claims the pending anchoring jobs due at `now` for `holder` until `now + claim`, oldest
    /// first (none of a forked origin, none claimed by another instance whose claim is still
    /// valid), and returns them.
    public func dueAnchorJobs(
        now: Int64, limit: Int = 16, holder: String = "local", claim: Duration = .seconds(300)
    ) async throws(StoreError) -> [AnchorJob] {
        try await storeTransaction(write: true) { (sql) throws(StoreError) in
            let skipLocked = sql.engine == .postgres ? " FOR UPDATE OF a SKIP LOCKED" : ""
            let claimed = try sql.all(
                "UPDATE anchor_queue SET claimed_by = ?1, claim_expires_at = ?2 WHERE id IN ("
                    + "SELECT a.id FROM anchor_queue a JOIN gateways g ON g.id = a.gateway "
                    + "WHERE a.done_at IS NULL AND a.next_attempt_at <= ?3 AND (a.claimed_by IS NULL "
                    + "OR a.claimed_by = ?1 OR a.claim_expires_at <= ?3) AND \(Self.notForked) "
                    + "ORDER BY a.id LIMIT ?4\(skipLocked)) RETURNING id",
                [.text(holder), .int(now &+ claim.nanosecondsClamped), .int(now), .int(Int64(limit))],
                "claiming anchoring jobs"
            ) { (row) throws(StoreError) in row.int64(0) }
            guard !claimed.isEmpty else { return [] }
            let ids = claimed.map(String.init).joined(separator: ",")
            return try sql.anchorJobs(where: "a.id IN (\(ids)) ORDER BY a.id", [])
        }
    }

    /// The earliest `next_attempt_at` of any pending job of an origin that is not forked, or
    /// `nil` when none is pending.
    public func nextAnchorAttempt() async throws(StoreError) -> Int64? {
        try await storeTransaction { (sql) throws(StoreError) in
            try sql.scalar(
                "SELECT min(a.next_attempt_at) FROM anchor_queue a JOIN gateways g ON g.id = a.gateway "
                    + "WHERE a.done_at IS NULL AND \(Self.notForked)", [], "reading the anchoring queue")
        }
    }

    /// How many jobs are not done yet (due, backing off or claimed).
    public func pendingAnchorJobs() async throws(StoreError) -> Int64 {
        try await storeTransaction { (sql) throws(StoreError) in
            try sql.scalar("SELECT count(*) FROM anchor_queue WHERE done_at IS NULL", [], "counting anchoring jobs")
                ?? 0
        }
    }

    /// Every anchoring job, done or pending, oldest first (for status and tests).
    public func anchorJobs(limit: Int = 1000) async throws(StoreError) -> [AnchorJob] {
        try await storeTransaction { (sql) throws(StoreError) in
            try sql.anchorJobs(where: "1 = 1 ORDER BY a.id LIMIT ?1", [.int(Int64(limit))])
        }
    }

    /// Marks job `id` done (and releases its claim).
    public func completeAnchorJob(id: Int64, at time: Int64) async throws(StoreError) {
        try await storeTransaction(write: true) { (sql) throws(StoreError) in
            _ = try sql.run(
                "UPDATE anchor_queue SET done_at = ?2, last_error = NULL, claimed_by = NULL WHERE id = ?1 "
                    + "AND done_at IS NULL", [.int(id), .int(time)], "completing anchoring job \(id)")
        }
    }

    /// Records a failed attempt of job `id` and when to try again (and releases its claim).
    public func failAnchorJob(id: Int64, error: String, nextAttemptAt: Int64) async throws(StoreError) {
        try await storeTransaction(write: true) { (sql) throws(StoreError) in
            _ = try sql.run(
                "UPDATE anchor_queue SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3, "
                    + "claimed_by = NULL WHERE id = ?1 AND done_at IS NULL",
                [.int(id), .text(String(error.prefix(2000))), .int(nextAttemptAt)], "rescheduling anchoring job \(id)")
        }
    }
}
