import EdgeLedgerSystem
import Synchronization

/// The ingest hot path's write-ahead journal: a reading is durable once one `write(2)` put it in
/// an append-only file next to the store; a folder thread moves journaled readings into the
/// SQLite store in large transactions, and the journal is replayed when the store is opened.
///
/// Why: acknowledge-after-commit makes the MQTT callback wait for the commit, and one SQLite
/// transaction per reading costs ~12 µs of CPU (WAL locks, frames, checkpoints) where a journal
/// write costs ~2 µs. Folding in batches costs ~2 µs per row. See `docs/PERFORMANCE.md`.
///
/// **Guarantees.** ``append(_:journaled:)`` returns only after the reading is in the journal
/// (and on disk, under ``Durability/power``: `fdatasync`), so a process crash at any moment
/// loses nothing it returned for: the next ``init(store:directory:queueLimit:segmentBytes:events:)``
/// replays every journaled reading the store does not have yet, exactly once (the store
/// records the last folded sequence number in the same transaction as the entries). Readings
/// appended with `journaled: false` (QoS 0) and rejection rows only live in memory until
/// folded, a few milliseconds. Records damaged on disk cost only themselves: replay resumes at
/// the next intact record and reports the loss (``Recovery/damage``, ``JournalDamage``).
///
/// **Backpressure.** At most `queueLimit` readings wait for the folder; ``append(_:journaled:)``
/// then blocks for up to ``admissionTimeout``. While the store refuses folds (disk full,
/// quota, I/O error) it fails at once with that error, so the caller withholds the
/// acknowledgement; the folder retries with backoff and the journal keeps what it has. A failed
/// journal write fails that reading only; the next reading tries again. Either failure is
/// ``problem`` until a fold (or write) succeeds, and ``Events/storeFailure`` reports each change.
///
/// **The quota and acknowledged readings.** The quota stops acknowledging new readings; it never
/// strands acknowledged ones. ``close()`` and the replay at open fold what the journal holds past
/// the quota (by at most the readings acknowledged before the refusal was seen), reported through
/// ``Events/foldedPastQuota``. Only a store that refuses for another reason (a full disk, an I/O
/// error) leaves readings in the journal at close, for the next start.
///
/// **Files.** Segment files `<store>-ingest-journal/<first seq, 16 hex digits>.journal`; a segment is
/// deleted once all of it is folded; ``close()`` leaves no segment unless the store refused the
/// final fold for a reason other than the quota. Bytes that replay could not read are copied to
/// `quarantine/` there first and never deleted (see ``JournalQuarantine``).
public final class IngestJournal: Sendable {
    /// Callbacks from the folder thread.
    public struct Events: Sendable {
        /// After each committed fold: entries appended, rejection rows stored, and the store's
        /// count of entries awaiting a seal.
        public var folded: @Sendable (_ entries: Int, _ rejected: Int, _ pending: UInt64) -> Void
        /// The store refused a fold (with the error), or accepts folds again (`nil`). Called on
        /// each change, not on each retry.
        public var storeFailure: @Sendable (StoreError?) -> Void
        /// The quota refused a fold after ``IngestJournal/close()``, and these acknowledged
        /// readings were folded past it (before ``folded``): the store is over its quota by them.
        public var foldedPastQuota: @Sendable (_ entries: Int) -> Void

        /// Creates callbacks; the defaults do nothing.
        public init(
            folded: @escaping @Sendable (_ entries: Int, _ rejected: Int, _ pending: UInt64) -> Void = { _, _, _ in },
            storeFailure: @escaping @Sendable (StoreError?) -> Void = { _ in },
            foldedPastQuota: @escaping @Sendable (_ entries: Int) -> Void = { _ in }
        ) {
            self.folded = folded
            self.storeFailure = storeFailure
            self.foldedPastQuota = foldedPastQuota
        }
    }

    /// What opening found in the journal.
    public struct Recovery: Sendable, Equatable {
        /// Journaled readings that were not in the store yet and now are.
        public var replayed = 0
        /// Segment files read.
        public var segments = 0
        /// Damaged or torn regions that were skipped, each copied to the quarantine directory and
        /// recorded in the store (see ``LedgerStore/journalDamage(all:)``). A torn tail is the
        /// normal trace of a crash during a write (that reading was not acknowledged).
        public var damage: [JournalDamage] = []
        /// Failures to copy a region to quarantine: its segment is kept instead.
        public var quarantineFailures: [StoreError] = []

        /// Nothing replayed, nothing skipped.
        public init() {}
    }

    /// The directory holding the segment files.
    public let directory: String
    /// What the last open replayed.
    public let recovery: Recovery
    /// How long ``append(_:journaled:)`` waits for room in a full queue before it fails.
    public static let admissionTimeout = 5.0

    let store: LedgerStore
    private let queueLimit: Int
    let events: Events
    private let segment: Mutex<JournalSegmentWriter>
    let state: ConditionLock<FoldState>
    /// Mirror `state.failure != nil` and `state.writeFailure != nil` for the hot path's
    /// lock-free checks.
    let failing = Atomic<Bool>(false)
    let writeFailing = Atomic<Bool>(false)
    let foldCount = Atomic<UInt64>(0)
    private let thread: Mutex<NativeThread?> = Mutex(nil)

    /// Opens (creating) the journal of `store`, replays what the store lacks, and starts the
    /// folder thread.
    ///
    /// - Parameters:
    ///   - directory: where the segments live; `<store path>-ingest-journal` (not `-journal`: SQLite's rollback journal has that name) by default.
    ///   - queueLimit: readings waiting for the folder at most (memory: ~100 bytes + payload each).
    ///   - segmentBytes: a segment is closed and a new one started past this size.
    /// - Throws: ``StoreError`` when the directory cannot be created, a segment cannot be read,
    ///   or replaying into the store fails (nothing is deleted then: the next start retries).
    public init(
        store: LedgerStore, directory: String? = nil, queueLimit: Int = 32_768, segmentBytes: Int = 16 << 20,
        events: Events = Events()
    ) throws(StoreError) {
        let directory = directory ?? store.path + "-ingest-journal"
        self.directory = directory
        self.store = store
        self.queueLimit = max(1, queueLimit)
        self.events = events
        let (recovery, nextSeq) = try Self.recover(store: store, directory: directory)
        self.recovery = recovery
        self.segment = Mutex(
            try JournalSegmentWriter(
                directory: directory, durability: store.durability, segmentLimit: segmentBytes, nextSeq: nextSeq))
        self.state = ConditionLock(FoldState())
        let thread = NativeThread { [self] in foldLoop() }
        guard thread.start() else {
            throw StoreError(
                .io, "cannot start the journal's folder thread", hint: "the system is out of threads or memory")
        }
        self.thread.withLock { $0 = thread }
    }

    // MARK: - Ingest side

    /// Adds a reading. With `journaled`, returns only after it is in the journal file.
    ///
    /// - Throws: ``StoreError``: the store is refusing folds (its error), the journal cannot be
    ///   written (``StoreError/Kind/diskFull``, …), the queue stayed full for
    ///   ``admissionTimeout`` (``StoreError/Kind/busy``), or the journal is closed. Nothing of
    ///   the reading is kept then.
    public func append(_ reading: ReadingInput, journaled: Bool) throws(StoreError) {
        if failing.load(ordering: .relaxed) || state.withLock({ $0.queue.count >= queueLimit || $0.closed }) {
            try admit()
        }
        if journaled {
            // Queued under the segment lock too, so queue order is sequence order even with
            // several producers: a fold's last sequence number covers everything before it.
            do {
                try segment.withLock { (w) throws(StoreError) in
                    let seq = try w.write(reading)
                    let closedSegment = w.rotateIfFull()
                    state.withLock { s in
                        s.queue.append(.reading(reading, seq: seq))
                        if let closedSegment { s.closedSegments.append(closedSegment) }
                    }
                }
            } catch {
                // Every reading tries again (a failed write costs a system call), so the first
                // one after space returns clears the problem.
                if !writeFailing.load(ordering: .relaxed) { updateProblem { $0.writeFailure = error } }
                throw error
            }
            if writeFailing.load(ordering: .relaxed) { updateProblem { $0.writeFailure = nil } }
        } else {
            state.withLock { $0.queue.append(.reading(reading, seq: 0)) }
        }
        // Without waiters (the folder is busy or pausing between folds) this is one atomic load.
        state.broadcast()
    }

    /// Queues a rejected reading's diagnostic row. Never blocks: when the queue is full the row
    /// is dropped (the rejection is still counted by the caller).
    ///
    /// - Returns: whether the row was queued.
    @discardableResult
    public func record(_ rejected: RejectedReading) -> Bool {
        let queued = state.withLock { s -> Bool in
            guard s.queue.count < queueLimit, !s.closed else { return false }
            s.queue.append(.rejected(rejected))
            return true
        }
        if queued { state.broadcast() }
        return queued
    }

    /// Waits for room in the queue; fails at once while the store refuses folds.
    private func admit() throws(StoreError) {
        let limit = queueLimit
        let refusal: StoreError? = state.wait(
            until: { $0.failure != nil || $0.closed || $0.queue.count < limit }, timeout: Self.admissionTimeout
        ) { s, ready in
            if let failure = s.failure { return failure }
            if s.closed {
                return StoreError(.io, "the ingest journal is closed", hint: "the agent is shutting down")
            }
            if !ready {
                return StoreError(
                    .busy,
                    "\(s.queue.count) readings have waited more than \(Int(Self.admissionTimeout)) s for the store",
                    hint: "the storage device is too slow for the reading rate; see docs/PERFORMANCE.md")
            }
            return nil
        }
        if let refusal { throw refusal }
    }

    /// Fold attempts since the journal opened, successful or not: proof that the folder thread
    /// is not stuck (for watchdogs; a store that refuses folds is retried, not stuck).
    public var foldAttempts: UInt64 { foldCount.load(ordering: .relaxed) }

    /// Why the store is not taking readings (the last fold or journal write failed), or `nil`.
    public var problem: StoreError? { state.withLock { $0.problem } }

    /// Changes the failure fields and reports a change of ``problem`` through
    /// ``Events/storeFailure``.
    func updateProblem(_ change: (inout FoldState) -> Void) {
        let (before, after) = state.withLock { s -> (StoreError?, StoreError?) in
            let before = s.problem
            change(&s)
            failing.store(s.failure != nil, ordering: .relaxed)
            writeFailing.store(s.writeFailure != nil, ordering: .relaxed)
            return (before, s.problem)
        }
        state.broadcast()
        if (before == nil) != (after == nil) { events.storeFailure(after) }
    }

    /// Readings and rows waiting to be folded (including a fold in progress).
    public var backlog: Int { state.withLock { $0.queue.count + $0.folding } }

    /// Waits until everything appended so far is folded (or `timeout` seconds pass).
    ///
    /// - Returns: whether the backlog is empty.
    @discardableResult
    public func drain(timeout: Double = 30) -> Bool {
        state.wait(until: { ($0.queue.isEmpty && $0.folding == 0) || $0.stopped }, timeout: timeout) { s, _ in
            s.queue.isEmpty && s.folding == 0
        }
    }

    /// Refuses new readings, folds what is queued (retrying a failing store a few times), stops
    /// the folder thread, and deletes the segments when everything is folded. Idempotent.
    public func close() {
        state.withLock { $0.closed = true }
        state.broadcast()
        let thread = self.thread.withLock { t -> NativeThread? in
            defer { t = nil }
            return t
        }
        thread?.join()
        // Everything folded (a fold past the quota counts; ``problem`` may still be set): the
        // segments hold nothing the store lacks. A batch given up keeps every segment.
        let (clean, closed) = state.withLock { s -> (Bool, [(path: String, lastSeq: UInt64)]) in
            let clean = !s.abandoned && s.queue.isEmpty && s.folding == 0
            defer { s.closedSegments.removeAll() }
            return (clean, clean ? s.closedSegments : [])
        }
        segment.withLock { $0.close(remove: clean) }
        for segment in closed { unlink(segment.path) }
    }

    deinit {
        close()
    }
}

/// What the ingest thread and the folder thread share, behind ``IngestJournal``'s condition lock.
struct FoldState {
    var queue: [JournalItem] = []
    /// An empty array with capacity, swapped in for `queue` when the folder takes a batch.
    var spare: [JournalItem] = []
    /// Items the folder took and has not committed yet.
    var folding = 0
    /// Full segments waiting for their last record to be folded, then deleted.
    var closedSegments: [(path: String, lastSeq: UInt64)] = []
    /// No new readings (``IngestJournal/close()`` was called).
    var closed = false
    /// The folder thread has ended.
    var stopped = false
    /// The folder gave up a batch after close (the store kept refusing): it folds nothing
    /// after it, and the journal keeps every segment for the next start.
    var abandoned = false
    /// The store's last refusal; nil once a fold succeeds.
    var failure: StoreError?
    /// The last journal write's failure; nil once a write succeeds.
    var writeFailure: StoreError?

    /// What ``IngestJournal/problem`` reports: the store's refusal first.
    var problem: StoreError? { failure ?? writeFailure }
}
