import EdgeLedgerCore
import EdgeLedgerSystem

/// Atomic updates of the `upstreams` table.
///
/// Two writers touch one upstream's row: the HTTP API records acknowledgements (`POST /ack`:
/// `acked_size`, `acked_root`, `acked_at`) and the witness pusher records each push
/// (`last_push_at`, `last_pushed_size`, `last_push_result`, `consecutive_failures`,
/// `next_attempt_at`). Reading the row, changing some fields and saving the whole row back with
/// ``saveUpstream(_:)`` would let one of them overwrite the other's fields with stale values.
/// ``updateUpstream(named:_:)`` does the read, the change and the write under the store's write
/// lock instead, so each writer changes only its own fields.
extension LedgerStore {
    /// Reads the state of upstream `name` (a fresh ``UpstreamState`` when none is recorded), lets
    /// `change` modify it, and stores the result, all under the write lock: concurrent updates
    /// of the same upstream are applied one after the other and never lose each other's fields.
    ///
    /// Nothing is written when `change` leaves the state as it was. `change` runs while the
    /// write lock is held (ingest waits): keep it short and do no I/O in it.
    ///
    /// - Returns: the state afterwards.
    /// - Throws: ``StoreError`` when the row cannot be read or written; nothing is stored then.
    @discardableResult
    public func updateUpstream(
        named name: String, _ change: (inout UpstreamState) -> Void
    ) throws(StoreError) -> UpstreamState {
        try writer.withLock { (w) throws(StoreError) -> UpstreamState in
            let before = try w.db.upstreams(name: name).first ?? UpstreamState(name: name)
            var after = before
            change(&after)
            after.name = name
            if after != before { try w.db.writeUpstream(after) }
            return after
        }
    }

    /// Records, atomically, that upstream `name` holds every entry below `size` with root `root`:
    /// like `acknowledge(upstream:size:root:at:)`, but the comparison with the recorded
    /// acknowledgement and the update happen under the write lock (``updateUpstream(named:_:)``),
    /// so a concurrent push result is never overwritten. Acknowledgements never move backwards:
    /// a size below the recorded one leaves the state as it is.
    ///
    /// - Parameter time: when the acknowledgement arrived (Unix ns); now when `nil`.
    /// - Returns: the upstream's state afterwards.
    /// - Throws: ``StoreError/Kind/outOfRange`` when `size` is beyond the sealed size,
    ///   ``StoreError/Kind/conflict`` when `root` is not this log's root at `size` (the upstream
    ///   holds another log, or a fork); nothing is recorded then.
    @discardableResult
    public func recordAcknowledgement(
        upstream name: String, size: UInt64, root: Hash32, at time: Int64? = nil
    ) throws(StoreError) -> UpstreamState {
        // The log only grows: its root at `size` cannot change, so it is checked before locking.
        let expected = try reader.rootHash(size: size)
        guard expected == root else {
            throw StoreError(
                .conflict,
                "upstream \(name) acknowledged size \(size) with root \(root), but this log's root there is \(expected)",
                hint: "the upstream holds a different log or a fork; check its configuration")
        }
        let now = time ?? SystemClock.nowNanoseconds()
        return try updateUpstream(named: name) { state in
            guard size > state.ackedSize || state.ackedRoot == nil else { return }
            state.ackedSize = size
            state.ackedRoot = root
            state.ackedAt = now
        }
    }
}

extension SQLiteConnection {
    /// Inserts or replaces the `upstreams` row of `state.name` with every field of `state`; the
    /// caller holds the write lock.
    func writeUpstream(_ state: UpstreamState) throws(StoreError) {
        let s = try statement(
            """
            INSERT INTO upstreams(name, acked_size, acked_root, acked_at, last_push_at, last_pushed_size,
                last_push_result, consecutive_failures, next_attempt_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            ON CONFLICT(name) DO UPDATE SET acked_size = excluded.acked_size, acked_root = excluded.acked_root,
                acked_at = excluded.acked_at, last_push_at = excluded.last_push_at,
                last_pushed_size = excluded.last_pushed_size, last_push_result = excluded.last_push_result,
                consecutive_failures = excluded.consecutive_failures, next_attempt_at = excluded.next_attempt_at
            """)
        s.bind(1, state.name)
        s.bind(2, state.ackedSize)
        if let root = state.ackedRoot { s.bind(3, hash: root) } else { s.bindNull(3) }
        if let v = state.ackedAt { s.bind(4, v) } else { s.bindNull(4) }
        if let v = state.lastPushAt { s.bind(5, v) } else { s.bindNull(5) }
        s.bind(6, state.lastPushedSize)
        if let v = state.lastPushResult { s.bind(7, v) } else { s.bindNull(7) }
        s.bind(8, state.consecutiveFailures)
        if let v = state.nextAttemptAt { s.bind(9, v) } else { s.bindNull(9) }
        try s.run("saving the state of upstream \(state.name)")
    }
}
