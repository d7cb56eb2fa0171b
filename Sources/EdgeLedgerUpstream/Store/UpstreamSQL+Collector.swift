import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerSystem

/// The collector's and the witness's reads and writes, in the SQL both engines speak.
extension UpstreamSQL {
    func witnessState(origin: String) throws(StoreError) -> WitnessLogState? {
        try first(
            "SELECT size, root, note, updated_at FROM witness_logs WHERE origin = ?1", [.text(origin)],
            "reading the witness state of \(origin)"
        ) { (row) throws(StoreError) in
            guard let root = row.hash(1) else { throw malformed("the witness state of \(origin)") }
            return WitnessLogState(
                origin: origin, size: row.uint64(0), root: root, note: row.text(2) ?? "", updatedAt: row.int64(3))
        }
    }

    static var gatewayColumns: String {
        "id, origin, hash_algorithm, verified_size, verified_root, verified_note, verified_at, staged_size, "
            + "acked_size, acked_at, lease_holder, lease_token, lease_expires_at"
    }

    func gatewayStates(where clause: String, _ arguments: [SQLArgument]) throws(StoreError) -> [CollectorGatewayState] {
        try all(
            "SELECT \(Self.gatewayColumns) FROM gateways \(clause)", arguments, "reading collected gateways",
            Self.gatewayRecord)
    }

    /// A gateway's state from a row holding ``gatewayColumns`` (from its first column).
    static func gatewayRecord(_ row: any SQLRow) throws(StoreError) -> CollectorGatewayState {
        guard let algorithm = HashAlgorithm(rawValue: row.text(2) ?? "") else {
            throw StoreError(.newerSchema, "collected log \(row.text(1) ?? "") uses an unknown hash algorithm")
        }
        return CollectorGatewayState(
            id: row.int64(0), origin: row.text(1) ?? "", hashAlgorithm: algorithm, verifiedSize: row.uint64(3),
            verifiedRoot: row.hash(4), verifiedNote: row.text(5), verifiedAt: row.optionalInt64(6),
            stagedSize: row.uint64(7), ackedSize: row.uint64(8), ackedAt: row.optionalInt64(9),
            lease: row.text(10).map { CollectorLease(holder: $0, token: row.int64(11), expiresAt: row.int64(12)) })
    }

    func gatewayState(origin: String) throws(StoreError) -> CollectorGatewayState? {
        try gatewayStates(where: "WHERE origin = ?1", [.text(origin)]).first
    }

    func gatewayState(id: Int64) throws(StoreError) -> CollectorGatewayState? {
        try gatewayStates(where: "WHERE id = ?1", [.int(id)]).first
    }

    /// The state of gateway `id`, checked against the lease its collector holds: a write by a
    /// collector whose lease was taken over (a newer fencing token) is refused here, inside the
    /// writing transaction, so a stale instance can never store or acknowledge anything.
    func fencedGatewayState(id: Int64, lease: CollectorLease?) throws(StoreError) -> CollectorGatewayState {
        // PostgreSQL: lock the row until the transaction ends (SQLite's writer is alone anyway).
        let lock = engine == .postgres ? " FOR UPDATE" : ""
        guard let state = try gatewayStates(where: "WHERE id = ?1" + lock, [.int(id)]).first else {
            throw StoreError(.outOfRange, "no collected gateway with id \(id) in \(location)")
        }
        if let lease, state.lease?.token != lease.token || state.lease?.holder != lease.holder {
            throw StoreError(
                .leaseLost,
                "the lease on \(state.origin) held by \(lease.holder) (token \(lease.token)) was taken over by "
                    + "\(state.lease?.holder ?? "nobody") (token \(state.lease?.token ?? 0))",
                hint: "another upstream instance collects this gateway now; nothing was written")
        }
        return state
    }

    func setStagedSize(gateway: Int64, _ size: UInt64) throws(StoreError) {
        try write(
            "UPDATE gateways SET staged_size = ?2 WHERE id = ?1", [.int(gateway), .uint(size)],
            "recording the staged size")
    }

    /// Records `c` as the verified checkpoint of `state`, checks it against the witness's
    /// cosigned checkpoints (one view per origin), and queues its anchoring job unless the origin
    /// is forked. The caller has checked that the collected entries give `c.root` at `c.size`.
    func recordVerified(
        gateway state: CollectorGatewayState, _ c: CollectedCheckpoint, anchorDocument: String?,
        hasher: any MerkleHasher
    ) throws(StoreError) {
        let gateway = state.id
        try write(
            "UPDATE gateways SET verified_size = ?2, verified_root = ?3, verified_note = ?4, verified_at = ?5 "
                + "WHERE id = ?1", [.int(gateway), .uint(c.size), .hash(c.root), .text(c.note), .int(c.verifiedAt)],
            "recording the verified checkpoint of \(c.origin)")
        try write(
            "INSERT INTO checkpoints(gateway, size, root, note, verified_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                + "ON CONFLICT(gateway, size) DO UPDATE SET note = excluded.note, verified_at = excluded.verified_at",
            [.int(gateway), .uint(c.size), .hash(c.root), .text(c.note), .int(c.verifiedAt)],
            "storing the verified checkpoint of \(c.origin) at \(c.size)")
        let forked = try checkAgainstWitness(state, verified: c, hasher: hasher)
        if let anchorDocument, !forked {
            try write(
                "INSERT INTO anchor_queue(gateway, size, document, next_attempt_at, created_at) "
                    + "VALUES (?1, ?2, ?3, ?4, ?4)",
                [.int(gateway), .uint(c.size), .text(anchorDocument), .int(c.verifiedAt)],
                "queueing the anchoring of \(c.origin) at \(c.size)")
        }
    }

    func anchorJobs(where clause: String, _ arguments: [SQLArgument]) throws(StoreError) -> [AnchorJob] {
        try all(
            "SELECT a.id, g.origin, a.size, a.document, a.attempts, a.next_attempt_at, a.last_error, a.created_at, "
                + "a.done_at, c.root FROM anchor_queue a JOIN gateways g ON g.id = a.gateway "
                + "LEFT JOIN checkpoints c ON c.gateway = a.gateway AND c.size = a.size WHERE \(clause)", arguments,
            "reading the anchoring queue"
        ) { (row) throws(StoreError) in
            AnchorJob(
                id: row.int64(0), origin: row.text(1) ?? "", size: row.uint64(2), document: row.text(3) ?? "",
                attempts: Int(row.int64(4)), nextAttemptAt: row.int64(5), lastError: row.text(6),
                createdAt: row.int64(7), doneAt: row.optionalInt64(8), root: row.hash(9))
        }
    }
}
