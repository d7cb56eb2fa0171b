import EdgeLedgerCore
import EdgeLedgerPostgres
import EdgeLedgerStore

/// ``UpstreamSQL`` over one PostgreSQL connection: `?N` parameters become `$N`, arguments are
/// sent typed and in binary, and a gateway's entries
/// are inserted in batches (see `PostgresSession+Entries.swift`).
///
/// Within a transaction, statements whose answers are not needed at once wait in a queue and
/// go with the next statement that is (libpq's pipeline mode): `BEGIN` and the origin locks with
/// the first query, the writes (``write(_:_:_:)``, entries, tiles) with the `COMMIT`. A
/// transaction then costs about one round trip per query it reads instead of one per statement.
final class PostgresSession: UpstreamSQL {
    let connection: PostgresConnection
    let engine = UpstreamEngine.postgres
    var location: String { connection.location }
    /// Statements not sent yet, with what each does (for messages).
    private var queued: [(statement: PostgresStatement, what: String)] = []
    /// Whether a `BEGIN` was sent (a failed transaction needs its `ROLLBACK`).
    private(set) var began = false

    init(_ connection: PostgresConnection) { self.connection = connection }

    /// Starts a transaction with the next statement: `BEGIN`, `synchronous_commit = off` unless
    /// `durable`, then the advisory locks on `lockKeys` (in that order).
    func begin(durable: Bool, lockKeys: [Int64], _ what: String) {
        enqueue(PostgresStatement("BEGIN"), what)
        if !durable { enqueue(PostgresStatement("SET LOCAL synchronous_commit = off"), what) }
        for key in lockKeys { enqueue(PostgresStatement("SELECT pg_advisory_xact_lock($1)", [.int64(key)]), what) }
    }

    /// Sends what is queued and `COMMIT`, in one round trip.
    func commit() throws(StoreError) {
        enqueue(PostgresStatement("COMMIT"), "committing a transaction")
        try flush()
    }

    /// Sends what is queued (nothing to send: nothing happens).
    func flush() throws(StoreError) {
        guard !queued.isEmpty else { return }
        _ = try pipeline([])
    }

    func write(_ sql: String, _ arguments: [SQLArgument], _ what: @autoclosure () -> String) throws(StoreError) {
        enqueue(PostgresStatement(Self.translate(sql), arguments.map(Self.value)), what())
    }

    /// Queues `statement` to go with the next one whose answer is needed (or the `COMMIT`).
    func enqueue(_ statement: PostgresStatement, _ what: String) {
        queued.append((statement, what))
    }

    /// Runs the queue, then `statements`, in one round trip; returns the results of `statements`.
    private func pipeline(
        _ statements: [(statement: PostgresStatement, what: String)]
    ) throws(StoreError) -> [PostgresResult] {
        let batch = queued + statements
        queued.removeAll()
        if !began { began = batch.contains { $0.statement.sql == "BEGIN" } }
        do {
            let results = try connection.pipeline(batch.map(\.statement))
            return Array(results.suffix(statements.count))
        } catch {
            var failure = Self.storeError(error)
            failure.message += " (\(batch[min(error.statementIndex ?? batch.count - 1, batch.count - 1)].what))"
            throw failure
        }
    }

    /// `sql` with each `?N` parameter written `$N` (our SQL has no `?` in literals). Byte by
    /// byte: every statement goes through here, and iterating `Character`s (grapheme breaking)
    /// showed in the upstream's profile.
    static func translate(_ sql: String) -> String {
        guard sql.utf8.contains(UInt8(ascii: "?")) else { return sql }
        var bytes = Array(sql.utf8)
        for i in bytes.indices where bytes[i] == UInt8(ascii: "?") { bytes[i] = UInt8(ascii: "$") }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func value(_ argument: SQLArgument) -> PostgresValue {
        switch argument {
        case .int(let v): .int64(v)
        case .text(let v): .text(v)
        case .blob(let v): .bytea(v)
        case .null(.int): .null(.int64)
        case .null(.text): .null(.text)
        case .null(.blob): .null(.bytea)
        }
    }

    /// A ``StoreError`` for a libpq failure, saying what to do.
    static func storeError(_ error: PostgresError) -> StoreError {
        if error.isConnectionFailure {
            return StoreError(
                .unavailable, error.description,
                hint: "check that the PostgreSQL server in store.url is running and reachable; the upstream retries")
        }
        if error.isUniqueViolation { return StoreError(.conflict, error.description) }
        return StoreError(.database, error.description)
    }

    func execute(
        _ sql: String, _ values: [PostgresValue], _ what: @autoclosure () -> String
    ) throws(StoreError) -> PostgresResult {
        let statement = PostgresStatement(Self.translate(sql), values)
        // With statements queued, they go first, in the same round trip; `what` is built only
        // when it is needed.
        if !queued.isEmpty { return try pipeline([(statement, what())])[0] }
        do {
            return try connection.execute(statement.sql, statement.params)
        } catch {
            var failure = Self.storeError(error)
            failure.message += " (\(what()))"
            throw failure
        }
    }

    func script(_ sql: String, _ what: @autoclosure () -> String) throws(StoreError) {
        try flush()
        do {
            try connection.executeScript(sql)
        } catch {
            var failure = Self.storeError(error)
            failure.message += " (\(what()))"
            throw failure
        }
    }

    @discardableResult
    func run(_ sql: String, _ arguments: [SQLArgument], _ what: @autoclosure () -> String) throws(StoreError) -> Int {
        try execute(sql, arguments.map(Self.value), what()).affectedRows
    }

    func query(
        _ sql: String, _ arguments: [SQLArgument], _ what: @autoclosure () -> String,
        row: (any SQLRow) throws(StoreError) -> Void
    ) throws(StoreError) {
        let result = try execute(sql, arguments.map(Self.value), what())
        for index in 0..<result.rowCount { try row(PostgresRow(result: result, row: index)) }
    }

    /// One statement for every tile (a batch changes about one level-0 tile per 256 entries and
    /// a few above): one round trip, however many.
    func upsertTiles(gateway: Int64, _ tiles: [(id: TileID, hashes: [Hash32])]) throws(StoreError) {
        guard !tiles.isEmpty else { return }
        enqueue(
            PostgresStatement(
                "INSERT INTO tiles(gateway, level, idx, width, hashes) SELECT $1, t.level, t.idx, t.width, t.hashes "
                    + "FROM unnest($2::int8[], $3::int8[], $4::int8[], $5::bytea[]) AS t(level, idx, width, hashes) "
                    + "ON CONFLICT(gateway, level, idx) DO UPDATE SET width = excluded.width, hashes = excluded.hashes",
                [
                    .int64(gateway), .int64Array(tiles.map { Int64($0.id.level) }),
                    .int64Array(tiles.map { Int64(bitPattern: $0.id.index) }),
                    .int64Array(tiles.map { Int64($0.id.width) }),
                    .byteaArray(tiles.map { Hash32.concatenated($0.hashes) }),
                ]),
            "writing \(tiles.count) collected tiles")
    }
}

/// A row of a PostgreSQL result.
struct PostgresRow: SQLRow {
    let result: PostgresResult
    let row: Int
    func int64(_ column: Int) -> Int64 { result.int64(row, column) }
    func isNull(_ column: Int) -> Bool { result.isNull(row, column) }
    func text(_ column: Int) -> String? { result.text(row, column) }
    func withBlob<R>(_ column: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        try result.withBytes(row, column, body)
    }
}
