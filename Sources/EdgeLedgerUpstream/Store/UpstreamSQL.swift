import EdgeLedgerCore
import EdgeLedgerStore

/// The database engine behind an upstream store.
public enum UpstreamEngine: String, Sendable, CaseIterable {
    /// One SQLite file (the embedded default: one instance, one small site, the demo).
    case sqlite
    /// A PostgreSQL database shared by any number of upstream instances (a fleet).
    case postgres
}

/// A value bound to a statement parameter (`?1`, `?2`, … in the SQL text), for either engine.
enum SQLArgument: Sendable {
    case int(Int64)
    case text(String)
    case blob([UInt8])
    /// SQL NULL of the given kind (PostgreSQL needs a parameter's type).
    case null(NullKind)

    enum NullKind: Sendable { case int, text, blob }

    static func uint(_ value: UInt64) -> SQLArgument { .int(Int64(bitPattern: value)) }
    static func hash(_ value: Hash32) -> SQLArgument { .blob(value.bytes) }
    static func optionalText(_ value: String?) -> SQLArgument { value.map { .text($0) } ?? .null(.text) }
    static func optionalInt(_ value: Int64?) -> SQLArgument { value.map { .int($0) } ?? .null(.int) }
}

/// One result row, read while the query runs (blobs are valid only inside the row callback).
protocol SQLRow {
    func int64(_ column: Int) -> Int64
    func isNull(_ column: Int) -> Bool
    func text(_ column: Int) -> String?
    /// The column's bytes without copying, or `nil` for NULL.
    func withBlob<R>(_ column: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R?
}

extension SQLRow {
    func uint64(_ column: Int) -> UInt64 { UInt64(bitPattern: int64(column)) }
    func optionalInt64(_ column: Int) -> Int64? { isNull(column) ? nil : int64(column) }
    func blob(_ column: Int) -> [UInt8]? { withBlob(column) { Array($0) } }
    /// The column as a hash, or `nil` when NULL or not 32 bytes.
    func hash(_ column: Int) -> Hash32? {
        withBlob(column) { raw -> Hash32? in
            guard raw.count == 32 else { return nil }
            return Hash32 { $0.copyMemory(from: raw) }
        } ?? nil
    }
}

/// The columns of another row from `offset` on, as columns 0, 1, …
struct OffsetRow: SQLRow {
    let base: any SQLRow
    let offset: Int
    func int64(_ column: Int) -> Int64 { base.int64(column + offset) }
    func isNull(_ column: Int) -> Bool { base.isNull(column + offset) }
    func text(_ column: Int) -> String? { base.text(column + offset) }
    func withBlob<R>(_ column: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        try base.withBlob(column + offset, body)
    }
}

/// One connection of an upstream store inside one transaction, whichever the engine: the SQL
/// both engines understand (parameters written `?1`, `?2`, …), plus the operations whose storage
/// differs (SQLite keeps a gateway's entries as C2SP entry bundles; PostgreSQL as one row per
/// entry, written in batches).
///
/// Used by one thread at a time, inside ``UpstreamDatabase/transaction(write:locking:_:)``.
protocol UpstreamSQL: AnyObject {
    /// The engine.
    var engine: UpstreamEngine { get }
    /// Where the data lives, for messages: a file path or `host:port/database`.
    var location: String { get }

    /// Runs one statement; returns the number of rows it changed.
    @discardableResult
    func run(_ sql: String, _ arguments: [SQLArgument], _ what: @autoclosure () -> String) throws(StoreError) -> Int

    /// Runs one write whose outcome the transaction needs only at its commit: PostgreSQL sends
    /// it with the next statement or the COMMIT, in one round trip, and a failure is thrown
    /// there (failing the transaction all the same); SQLite runs it at once.
    func write(_ sql: String, _ arguments: [SQLArgument], _ what: @autoclosure () -> String) throws(StoreError)

    /// Runs one query and calls `row` for each result row, in order.
    func query(
        _ sql: String, _ arguments: [SQLArgument], _ what: @autoclosure () -> String,
        row: (any SQLRow) throws(StoreError) -> Void
    ) throws(StoreError)

    /// Appends `entries`, the log's entries from index `start` on, to gateway `gateway`'s.
    func insertEntries(gateway: Int64, from start: UInt64, _ entries: CollectorEntryBatch) throws(StoreError)

    /// Writes `tiles` (distinct) of gateway `gateway`, replacing the stored ones at their positions.
    func upsertTiles(gateway: Int64, _ tiles: [(id: TileID, hashes: [Hash32])]) throws(StoreError)

    /// The stored entries `from ..< to` of gateway `gateway`, in order (fewer when missing).
    func entries(gateway: Int64, from: UInt64, to: UInt64) throws(StoreError) -> [[UInt8]]

    /// Keeps only the entries below `size` of gateway `gateway`.
    func truncateEntries(gateway: Int64, to size: UInt64) throws(StoreError)

    /// The number of entries stored for gateway `gateway`.
    func entryCount(gateway: Int64) throws(StoreError) -> UInt64

    /// What the witness's compare-and-set reads of each origin (distinct) for an update of its
    /// size, in order.
    func witnessViews(_ keys: [(origin: String, size: UInt64)]) throws(StoreError) -> [WitnessView]

    /// Makes each of `states` (distinct origins) the witness's state of its origin and one of
    /// its cosigned checkpoints, by compare-and-set (a state never shrinks).
    ///
    /// - Throws: ``StoreError/Kind/conflict`` when a stored state is larger (nothing of the
    ///   transaction may then be kept).
    func recordWitness(_ states: [WitnessLogState]) throws(StoreError)
}

extension UpstreamSQL {
    /// Makes this transaction's commit wait for the disk again, in a transaction begun with
    /// `durable: false` that turned out to write something that must survive a crash of the
    /// database server (fork evidence). SQLite commits durably anyway.
    func requireDurableCommit() throws(StoreError) {
        guard engine == .postgres else { return }
        try write("SET LOCAL synchronous_commit = on", [], "making the commit durable")
    }

    /// The first row of a query mapped by `map`, or `nil` when it returns no row.
    func first<R>(
        _ sql: String, _ arguments: [SQLArgument], _ what: @autoclosure () -> String,
        _ map: (any SQLRow) throws(StoreError) -> R
    ) throws(StoreError) -> R? {
        var out: R? = nil
        try query(sql, arguments, what()) { (row) throws(StoreError) in
            if out == nil { out = try map(row) }
        }
        return out
    }

    /// Every row of a query mapped by `map`.
    func all<R>(
        _ sql: String, _ arguments: [SQLArgument], _ what: @autoclosure () -> String,
        _ map: (any SQLRow) throws(StoreError) -> R
    ) throws(StoreError) -> [R] {
        var out: [R] = []
        try query(sql, arguments, what()) { (row) throws(StoreError) in out.append(try map(row)) }
        return out
    }

    /// One integer from a query returning one row, or `nil` when no row or NULL.
    func scalar(
        _ sql: String, _ arguments: [SQLArgument] = [], _ what: @autoclosure () -> String
    ) throws(StoreError) -> Int64? {
        try first(sql, arguments, what()) { (row) throws(StoreError) in row.optionalInt64(0) } ?? nil
    }

    /// A ``StoreError`` saying that stored data is malformed.
    func malformed(_ what: String) -> StoreError {
        StoreError(.corrupt, "\(what) in \(location) is malformed", hint: "the upstream store is damaged")
    }
}
