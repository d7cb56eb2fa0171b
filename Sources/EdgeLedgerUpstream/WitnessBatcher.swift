import EdgeLedgerStore
import Synchronization

/// Groups the witness's concurrent updates into shared transactions (group commit): with a
/// thousand gateways pushing a checkpoint a second each, one transaction — one `COMMIT`, one
/// WAL flush — per request is most of the database's work, so updates that arrive while a
/// transaction runs wait for the next one and share it.
///
/// **No thread of its own.** The first request that finds nobody leading runs a group itself:
/// it takes up to ``maxGroup`` queued updates (its own first among them), runs them in one
/// transaction, hands every caller its result, and — when more have queued meanwhile — passes
/// the lead to the caller of the oldest one before returning. No caller runs more than one group,
/// so no request waits behind an unbounded stream of others, and nothing runs once nobody waits.
///
/// **Cancellation.** A group runs in a task of its own, so a leader whose request is cancelled
/// (its client disconnected) still decides its group: every other request in it gets its answer.
///
/// **Failure.** A refusal (the request's own check) is that request's result only. A store
/// error rolls the group back; its updates are then retried one transaction each, so one bad
/// update cannot fail the others.
final class WitnessBatcher: Sendable {
    /// The most updates in one transaction.
    let maxGroup: Int
    /// Transactions run so far (groups, and single retries after a failed group).
    let transactions = Atomic<Int>(0)
    private let store: CollectorStore
    private let state = Mutex(State())

    private struct State {
        var nextID: UInt64 = 0
        /// Waiting updates, oldest first.
        var queue: [(id: UInt64, update: WitnessUpdate)] = []
        /// Whether a caller is leading (running a group or about to).
        var leading = false
        /// Callers suspended for their outcome.
        var waiters: [UInt64: CheckedContinuation<Outcome, Never>] = [:]
        /// Outcomes decided before their caller suspended.
        var early: [UInt64: Outcome] = [:]
    }

    private enum Outcome: Sendable {
        case done(Result<WitnessAddition, any Error>)
        case lead
    }

    init(store: CollectorStore, maxGroup: Int = 64) {
        self.store = store
        self.maxGroup = max(1, maxGroup)
    }

    /// Decides `update`, sharing a transaction with whatever other updates wait at the time.
    func add(_ update: WitnessUpdate) async throws -> WitnessAddition {
        let (id, lead) = state.withLock { state -> (UInt64, Bool) in
            state.nextID += 1
            state.queue.append((state.nextID, update))
            defer { state.leading = true }
            return (state.nextID, !state.leading)
        }
        if lead { return try await runGroup(own: id).get() }
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let ready = state.withLock { state -> Outcome? in
                if let outcome = state.early.removeValue(forKey: id) { return outcome }
                state.waiters[id] = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        switch outcome {
        case .done(let result): return try result.get()
        case .lead: return try await runGroup(own: id).get()
        }
    }

    /// Runs one group (the oldest queued updates, `own` among them), delivers its results and
    /// passes the lead on; returns the result of `own`.
    private func runGroup(own: UInt64) async -> Result<WitnessAddition, any Error> {
        let group = state.withLock { state in
            let group = Array(state.queue.prefix(maxGroup))
            state.queue.removeFirst(group.count)
            return group
        }
        // In a task of its own: the leader's request being cancelled (its client went away) must
        // not cancel the transaction its group shares (the thread pool refuses work of a cancelled
        // task), nor fail the other requests in it.
        let updates = group.map(\.update)
        let results = await Task { await self.decide(updates) }.value
        var mine: Result<WitnessAddition, any Error> = .failure(
            StoreError(.conflict, "the witness lost a request it was grouping", hint: "the gateway retries"))
        var resume: [(CheckedContinuation<Outcome, Never>, Outcome)] = []
        state.withLock { state in
            for (item, result) in zip(group, results) {
                if item.id == own {
                    mine = result
                } else {
                    Self.deliver(.done(result), to: item.id, in: &state, resume: &resume)
                }
            }
            if let next = state.queue.first {
                Self.deliver(.lead, to: next.id, in: &state, resume: &resume)
            } else {
                state.leading = false
            }
        }
        for (continuation, outcome) in resume { continuation.resume(returning: outcome) }
        return mine
    }

    private static func deliver(
        _ outcome: Outcome, to id: UInt64, in state: inout State,
        resume: inout [(CheckedContinuation<Outcome, Never>, Outcome)]
    ) {
        if let waiter = state.waiters.removeValue(forKey: id) {
            resume.append((waiter, outcome))
        } else {
            state.early[id] = outcome
        }
    }

    /// One transaction for `updates`, or one each after a store error.
    func decide(_ updates: [WitnessUpdate]) async -> [Result<WitnessAddition, any Error>] {
        if updates.count > 1 {
            transactions.add(1, ordering: .relaxed)
            if let results = try? await store.addWitnessCheckpoints(updates) { return results }
        }
        var results: [Result<WitnessAddition, any Error>] = []
        for update in updates {
            transactions.add(1, ordering: .relaxed)
            do {
                results.append(.success(try await store.addWitnessCheckpoint(update)))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }
}
