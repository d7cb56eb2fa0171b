import EdgeLedgerStore
import EdgeLedgerSystem

/// The durable anchoring queue: one job per verified checkpoint, retried until it succeeds.
extension CollectorStore {
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
