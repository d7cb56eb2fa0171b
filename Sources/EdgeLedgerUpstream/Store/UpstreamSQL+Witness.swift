import EdgeLedgerCore
import EdgeLedgerStore

/// The witness's compare-and-set (see
/// ``CollectorStore/addWitnessCheckpoint(_:hasher:boundFirstByCollection:maxGrowth:decide:)``):
/// for one update, and for a group of updates sharing one transaction.
extension UpstreamSQL {
    /// The select list of a ``WitnessView``, for the SQL expressions `origin` and `size` (the
    /// origin and the update's size), over `witness_logs w` and `gateways g` joined on the origin.
    static func witnessViewColumns(origin: String, size: String) -> String {
        let gatewayColumns = Self.gatewayColumns.split(separator: ", ").map { "g." + $0 }.joined(separator: ", ")
        return "(SELECT min(id) FROM fork_evidence WHERE origin = \(origin)), "
            + "(SELECT root FROM mirror_checkpoints WHERE origin = \(origin) AND size = \(size)), "
            + "w.size, w.root, w.note, w.updated_at, \(gatewayColumns)"
    }

    /// A ``WitnessView`` of `origin` from a row holding ``witnessViewColumns(origin:size:)``.
    func witnessView(_ row: any SQLRow, origin: String) throws(StoreError) -> WitnessView {
        var witness: WitnessLogState? = nil
        if !row.isNull(2) {
            guard let root = row.hash(3) else { throw malformed("the witness state of \(origin)") }
            witness = WitnessLogState(
                origin: origin, size: row.uint64(2), root: root, note: row.text(4) ?? "", updatedAt: row.int64(5))
        }
        let gateway = row.isNull(6) ? nil : try Self.gatewayRecord(OffsetRow(base: row, offset: 6))
        return WitnessView(
            forkEvidence: row.optionalInt64(0), pendingRoot: row.hash(1), witness: witness, gateway: gateway)
    }

    /// What the witness's compare-and-set reads of `origin` for an update of `size`, in one
    /// round trip.
    func witnessView(origin: String, size: UInt64) throws(StoreError) -> WitnessView {
        let view = try first(
            "SELECT \(Self.witnessViewColumns(origin: "?1", size: "?2")) FROM (SELECT 1) AS one "
                + "LEFT JOIN witness_logs w ON w.origin = ?1 LEFT JOIN gateways g ON g.origin = ?1",
            [.text(origin), .uint(size)], "reading the state of \(origin)"
        ) { (row) throws(StoreError) in try witnessView(row, origin: origin) }
        return view ?? WitnessView()
    }

    /// One statement per origin (SQLite, where a statement is a function call).
    func witnessViews(_ keys: [(origin: String, size: UInt64)]) throws(StoreError) -> [WitnessView] {
        var views: [WitnessView] = []
        for key in keys { views.append(try witnessView(origin: key.origin, size: key.size)) }
        return views
    }

    /// Two statements per state (SQLite, where a statement is a function call).
    func recordWitness(_ states: [WitnessLogState]) throws(StoreError) {
        for state in states { try recordWitness(state) }
    }

    /// Makes `state` the witness's state of its origin (compare-and-set: the stored state only
    /// ever grows; the origin's lock serialises its writers, the condition keeps it true even
    /// without the lock) and one of its cosigned checkpoints.
    ///
    /// - Throws: ``StoreError/Kind/conflict`` when the stored state is larger.
    func recordWitness(_ state: WitnessLogState) throws(StoreError) {
        let origin = state.origin
        let arguments: [SQLArgument] = [
            .text(origin), .uint(state.size), .hash(state.root), .text(state.note), .int(state.updatedAt),
        ]
        let changed = try run(
            "INSERT INTO witness_logs(origin, size, root, note, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                + "ON CONFLICT(origin) DO UPDATE SET size = excluded.size, root = excluded.root, "
                + "note = excluded.note, updated_at = excluded.updated_at WHERE witness_logs.size <= excluded.size",
            arguments, "recording the witness state of \(origin)")
        guard changed == 1 else {
            throw StoreError(
                .conflict, "the witness state of \(origin) moved past size \(state.size) during this request",
                hint: "the gateway retries with the newer state")
        }
        try write(
            "INSERT INTO witness_checkpoints(origin, size, root, note, cosigned_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                + "ON CONFLICT(origin, size) DO UPDATE SET root = excluded.root, note = excluded.note, "
                + "cosigned_at = excluded.cosigned_at",
            arguments, "recording the cosigned checkpoint of \(origin)")
    }

    /// The witness's compare-and-set for one update, inside a transaction that locks its origin.
    func apply(_ update: WitnessUpdate) throws -> WitnessAddition {
        let view = try witnessView(origin: update.next.origin, size: update.next.size)
        if let decided = try decide(update, view) { return decided }
        try recordWitness(update.next)
        return .recorded(update.next)
    }

    /// The witness's compare-and-set for `updates`, in order, inside one transaction that locks
    /// every origin. Updates of distinct origins are independent, so their views are read, and
    /// the recorded states written, with one statement each where the engine can
    /// (``witnessViews(_:)``, ``recordWitness(_:)-([WitnessLogState])``); a group naming an
    /// origin twice is decided one update after the other (a later one sees the earlier).
    ///
    /// - Returns: each update's outcome; a refusal by its `decide` is its result.
    /// - Throws: a ``StoreError`` (the transaction must roll back).
    func apply(_ updates: [WitnessUpdate]) throws -> [Result<WitnessAddition, any Error>] {
        let origins = updates.map(\.next.origin)
        guard updates.count > 1, Set(origins).count == origins.count else {
            return try updates.map { update throws -> Result<WitnessAddition, any Error> in
                try Self.outcome { try apply(update) }
            }
        }
        let views = try witnessViews(updates.map { ($0.next.origin, $0.next.size) })
        var recorded: [WitnessLogState] = []
        let results = try zip(updates, views).map { update, view throws -> Result<WitnessAddition, any Error> in
            try Self.outcome {
                if let decided = try decide(update, view) { return decided }
                recorded.append(update.next)
                return .recorded(update.next)
            }
        }
        try recordWitness(recorded)
        return results
    }

    /// `body`'s addition, or its refusal as a failure; a ``StoreError`` is rethrown.
    private static func outcome(
        _ body: () throws -> WitnessAddition
    ) throws -> Result<WitnessAddition, any Error> {
        do {
            return .success(try body())
        } catch let error as StoreError {
            throw error
        } catch {
            return .failure(error)
        }
    }

    /// Decides `update` on `view`: the outcome when it is not to be recorded (forked, refused
    /// by throwing, not collected far enough), `nil` when `update.next` becomes the state.
    private func decide(_ update: WitnessUpdate, _ view: WitnessView) throws -> WitnessAddition? {
        let next = update.next
        let origin = next.origin
        if view.forkEvidence != nil, let known = try forkEvidence(origin: origin).first {
            return .forked(known, new: false)
        }
        let collected = view.gateway
        if let collected, next.size > 0, next.size <= collected.verifiedSize {
            let root = try collectedRoot(collected, size: next.size, hasher: update.hasher)
            if root != next.root {
                let other = try collectedCheckpoint(collected, atOrAbove: next.size)
                let evidence = ForkEvidence(
                    pushed: next, detectedBy: .witness, against: other.size, other.root, other.note,
                    detail: "the checkpoint pushed to the witness has root \(next.root) at size \(next.size), "
                        + "but the entries the collector verified give \(root) at that size")
                return .forked(try insert(evidence), new: true)
            }
        }
        // A pending checkpoint of the mirror (pushed by the gateway) of the same size.
        if let pendingRoot = view.pendingRoot, pendingRoot != next.root,
            let pending = try mirrorCheckpoint(origin: origin, size: next.size)
        {
            let evidence = ForkEvidence(
                pushed: next, detectedBy: .witness, against: pending.size, pending.root, pending.note,
                detail: "the checkpoint pushed to the witness has root \(next.root) at size \(next.size), "
                    + "but the mirror holds a pending checkpoint with root \(pending.root) at that size")
            return .forked(try insert(evidence), new: true)
        }
        try update.decide(view.witness)
        let collectedSize = collected?.verifiedSize ?? 0
        // Nothing collected yet: nothing is cosigned. Then a checkpoint may run at most
        // max_growth ahead of what the collector verified — a first one too, or a busy gateway
        // (a newer checkpoint every second) would never get its first cosignature.
        let collectedNothing = collectedSize == 0
        let (bound, overflow) = collectedSize.addingReportingOverflow(update.maxGrowth)
        let beyond = collectedNothing ? next.size > 0 : !overflow && next.size > bound
        if update.boundFirstByCollection, beyond {
            return .notCollected(collectedSize: collectedSize)
        }
        return nil
    }
}
