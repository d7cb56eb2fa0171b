import EdgeLedgerCore
import EdgeLedgerStore

/// The witness's group commit in one statement per step: with a thousand gateways pushing a
/// checkpoint a second, the statements per update (its view, its state, its cosigned checkpoint)
/// were most of the round trips to the server; a group now reads every view, and writes every
/// recorded state, with one statement over arrays.
extension PostgresSession {
    func witnessViews(_ keys: [(origin: String, size: UInt64)]) throws(StoreError) -> [WitnessView] {
        guard keys.count > 1 else {
            return try keys.map { (key) throws(StoreError) in try witnessView(origin: key.origin, size: key.size) }
        }
        let result = try execute(
            "SELECT \(Self.witnessViewColumns(origin: "k.origin", size: "k.size")) "
                + "FROM unnest($1::text[], $2::int8[]) WITH ORDINALITY AS k(origin, size, ord) "
                + "LEFT JOIN witness_logs w ON w.origin = k.origin LEFT JOIN gateways g ON g.origin = k.origin "
                + "ORDER BY k.ord",
            [.textArray(keys.map(\.origin)), .int64Array(keys.map { Int64(bitPattern: $0.size) })],
            "reading the state of \(keys.count) origins")
        guard result.rowCount == keys.count else {
            throw StoreError(
                .database, "reading the state of \(keys.count) origins returned \(result.rowCount) rows",
                hint: "each origin is one gateway and one witness state; check the database's unique constraints")
        }
        var views: [WitnessView] = []
        views.reserveCapacity(keys.count)
        for (index, key) in keys.enumerated() {
            views.append(try witnessView(PostgresRow(result: result, row: index), origin: key.origin))
        }
        return views
    }

    func recordWitness(_ states: [WitnessLogState]) throws(StoreError) {
        guard states.count > 1 else {
            for state in states { try recordWitness(state) }
            return
        }
        let result = try execute(
            "WITH new AS (SELECT * FROM unnest($1::text[], $2::int8[], $3::bytea[], $4::text[], $5::int8[]) "
                + "AS t(origin, size, root, note, at)), "
                + "logs AS (INSERT INTO witness_logs(origin, size, root, note, updated_at) "
                + "SELECT origin, size, root, note, at FROM new "
                + "ON CONFLICT(origin) DO UPDATE SET size = excluded.size, root = excluded.root, "
                + "note = excluded.note, updated_at = excluded.updated_at WHERE witness_logs.size <= excluded.size "
                + "RETURNING 1), "
                + "cosigned AS (INSERT INTO witness_checkpoints(origin, size, root, note, cosigned_at) "
                + "SELECT origin, size, root, note, at FROM new "
                + "ON CONFLICT(origin, size) DO UPDATE SET root = excluded.root, note = excluded.note, "
                + "cosigned_at = excluded.cosigned_at RETURNING 1) "
                + "SELECT (SELECT count(*) FROM logs)",
            [
                .textArray(states.map(\.origin)), .int64Array(states.map { Int64(bitPattern: $0.size) }),
                .byteaArray(states.map(\.root.bytes)), .textArray(states.map(\.note)),
                .int64Array(states.map(\.updatedAt)),
            ], "recording the witness state of \(states.count) origins")
        let changed = result.rowCount == 1 ? result.int64(0, 0) : 0
        guard changed == states.count else {
            throw StoreError(
                .conflict,
                "the witness state of \(states.count - Int(changed)) of \(states.count) origins moved past the "
                    + "recorded size during this request", hint: "the gateways retry with the newer state")
        }
    }
}
