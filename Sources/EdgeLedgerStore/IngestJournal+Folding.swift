import EdgeLedgerSystem

extension IngestJournal {
    /// Retries after a refused fold start here and double up to ``maxRetryDelay`` seconds.
    static let firstRetryDelay = 0.05
    static let maxRetryDelay = 2.0
    /// After ``close()``, a refusing store gets this many more attempts (past the quota: what
    /// the journal holds was acknowledged); then the journal keeps the readings for the next
    /// start.
    static let attemptsAfterClose = 3

    /// The shortest time between the starts of two folds: readings arriving meanwhile are
    /// folded together, so a transaction's fixed cost is shared even at moderate rates. It
    /// only delays when readings reach SQLite (and the sealer), not their acknowledgement.
    static let foldInterval = 0.005

    /// The folder thread: takes everything queued, folds it in one transaction, repeats.
    ///
    /// Batches are folded strictly in order: the store records only the highest folded
    /// sequence number, and replay skips everything at or below it. So when a batch is given
    /// up (after ``close()``, the store still refusing), the folder stops there: folding a later
    /// batch would mark the given-up readings as folded, and they would be neither in the store
    /// nor replayed (acknowledged readings lost). The journal keeps them all for the next start.
    func foldLoop() {
        while let batch = nextBatch() {
            let started = SystemClock.monotonicSeconds()
            let result = foldRetrying(batch)
            var emptied = batch
            emptied.removeAll(keepingCapacity: true)
            let obsolete = state.withLock { s -> [String] in
                s.folding = 0
                if s.spare.capacity < emptied.capacity { s.spare = emptied }
                if result == nil { s.abandoned = true }
                guard let result, result.lastSeq > 0 else { return [] }
                let done = s.closedSegments.filter { $0.lastSeq <= result.lastSeq }.map(\.path)
                s.closedSegments.removeAll { $0.lastSeq <= result.lastSeq }
                return done
            }
            state.broadcast()
            for path in obsolete { unlink(path) }
            guard let result else { break }
            if result.pastQuota { events.foldedPastQuota(result.entries + result.invalid) }
            events.folded(result.entries + result.invalid, result.rejected, store.pendingCount)
            let rest = Self.foldInterval - (SystemClock.monotonicSeconds() - started)
            if rest > 0, !state.withLock({ $0.closed }) { usleep(useconds_t(rest * 1e6)) }
        }
        state.withLock { $0.stopped = true }
        state.broadcast()
    }

    /// Waits for work; nil once closed and drained.
    private func nextBatch() -> [JournalItem]? {
        state.wait(
            until: { !$0.queue.isEmpty || $0.closed },
            then: { s, _ -> [JournalItem]? in
                guard !s.queue.isEmpty else { return nil }
                var batch = s.spare
                swap(&batch, &s.queue)
                s.spare = []
                s.folding = batch.count
                return batch
            })
    }

    /// Folds `batch`, retrying while the store refuses. Returns nil when it gave up after close
    /// (the journaled readings stay in the journal for the next start).
    ///
    /// After close the fold goes past the quota: the journal's readings were acknowledged, and
    /// the quota's backpressure already stopped acknowledging new ones (``problem`` stays set:
    /// the store is still full). Before close the store's refusal is backpressure, retried.
    private func foldRetrying(_ batch: [JournalItem]) -> LedgerWriter.FoldResult? {
        var delay = Self.firstRetryDelay
        var attemptsLeft = Self.attemptsAfterClose
        while true {
            foldCount.add(1, ordering: .relaxed)
            let closing = state.withLock { $0.closed }
            do {
                let result = try store.fold(batch, pastQuota: closing)
                if failing.load(ordering: .relaxed) && !result.pastQuota { updateProblem { $0.failure = nil } }
                return result
            } catch {
                updateProblem { $0.failure = error }
                let closed = state.wait(until: { $0.closed }, timeout: delay) { s, _ in s.closed }
                if closed {
                    attemptsLeft -= 1
                    if attemptsLeft < 0 { return nil }
                }
                delay = min(delay * 2, Self.maxRetryDelay)
            }
        }
    }
}
