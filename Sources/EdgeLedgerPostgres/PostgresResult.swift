import CPostgres

/// The rows of one statement, in binary format, owning its `PGresult` (cleared once, when the
/// last reference goes).
///
/// `@unchecked Sendable`: a `PGresult` is read-only after creation and libpq allows reading it
/// from any thread; nothing here mutates it.
///
/// Accessors take a row and a column index, both from 0, and trap on an index out of range or
/// on a column type they do not decode (a programming error: cast in the SQL, e.g. `::bigint`).
/// Values are read with the length `PQgetlength` reports, never a length found in the data.
package final class PostgresResult: @unchecked Sendable {
    private let handle: OpaquePointer
    /// The number of rows returned.
    package let rowCount: Int
    /// The number of columns returned.
    package let columnCount: Int

    /// Takes ownership of `handle`.
    init(_ handle: OpaquePointer) {
        self.handle = handle
        rowCount = Int(PQntuples(handle))
        columnCount = Int(PQnfields(handle))
    }

    deinit { PQclear(handle) }

    /// The rows an INSERT, UPDATE, DELETE, MERGE, SELECT, MOVE, FETCH or COPY affected
    /// (`PQcmdTuples`); 0 for other commands.
    package var affectedRows: Int {
        guard let text = PQcmdTuples(handle) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }

    /// The name of `column`.
    package func columnName(_ column: Int) -> String {
        check(0, column, allowNoRows: true)
        return PQfname(handle, Int32(column)).map { String(cString: $0) } ?? "?"
    }

    /// Whether the value is NULL.
    package func isNull(_ row: Int, _ column: Int) -> Bool {
        check(row, column)
        return PQgetisnull(handle, Int32(row), Int32(column)) != 0
    }

    /// An `int2`, `int4`, `int8` or `oid` value; 0 when NULL. `numeric` (e.g. `sum()` of a
    /// bigint) is not decoded: cast it to `bigint` in the SQL.
    package func int64(_ row: Int, _ column: Int) -> Int64 {
        guard let value = raw(row, column) else { return 0 }
        if isText(column) {
            guard let v = Int64(String(decoding: value, as: UTF8.self)) else { unsupported(column, "int64") }
            return v
        }
        var bits: UInt64 = 0
        for byte in value { bits = bits << 8 | UInt64(byte) }
        switch (PQftype(handle, Int32(column)), value.count) {
        case (PostgresOID.int8, 8): return Int64(bitPattern: bits)
        case (PostgresOID.int4, 4): return Int64(Int32(truncatingIfNeeded: bits))
        case (PostgresOID.int2, 2): return Int64(Int16(truncatingIfNeeded: bits))
        case (PostgresOID.oid, 4): return Int64(bits)
        default: unsupported(column, "int64")
        }
    }

    /// A `text`, `varchar`, `char`, `name` or `json` value; `nil` when NULL.
    package func text(_ row: Int, _ column: Int) -> String? {
        guard let value = raw(row, column) else { return nil }
        guard isText(column) || PostgresOID.textual.contains(PQftype(handle, Int32(column))) else {
            unsupported(column, "text")
        }
        return String(decoding: value, as: UTF8.self)
    }

    /// A copy of the value's bytes (a `bytea`'s content; other types' binary form); `nil` when
    /// NULL.
    package func bytes(_ row: Int, _ column: Int) -> [UInt8]? {
        raw(row, column).map { Array($0) }
    }

    /// Calls `body` with the value's bytes in place, without copying (valid only during the
    /// call); `nil` when NULL.
    package func withBytes<R>(_ row: Int, _ column: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard let value = raw(row, column) else { return nil }
        return try body(value)
    }

    /// A `bool` value; false when NULL.
    package func bool(_ row: Int, _ column: Int) -> Bool {
        guard let value = raw(row, column) else { return false }
        if isText(column) { return value.first == UInt8(ascii: "t") }
        guard PQftype(handle, Int32(column)) == PostgresOID.bool, value.count == 1 else { unsupported(column, "bool") }
        return value[0] != 0
    }

    /// The value in place, `nil` when NULL; the buffer lives as long as the result.
    private func raw(_ row: Int, _ column: Int) -> UnsafeRawBufferPointer? {
        check(row, column)
        let r = Int32(row)
        let c = Int32(column)
        guard PQgetisnull(handle, r, c) == 0 else { return nil }
        let length = Int(PQgetlength(handle, r, c))
        guard let start = PQgetvalue(handle, r, c) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: start, count: max(0, length))
    }

    /// Whether the column came in text format (results of ``PostgresConnection/execute(_:_:)``
    /// are binary; this keeps the accessors right either way).
    private func isText(_ column: Int) -> Bool { PQfformat(handle, Int32(column)) == 0 }

    private func check(_ row: Int, _ column: Int, allowNoRows: Bool = false) {
        precondition(
            column >= 0 && column < columnCount,
            "PostgresResult: column \(column) is out of range (the result has \(columnCount) columns)")
        precondition(
            allowNoRows || (row >= 0 && row < rowCount),
            "PostgresResult: row \(row) is out of range (the result has \(rowCount) rows)")
    }

    private func unsupported(_ column: Int, _ accessor: String) -> Never {
        let type = PQftype(handle, Int32(column))
        let length = PQfsize(handle, Int32(column))
        preconditionFailure(
            "PostgresResult.\(accessor): column \(column) (\(columnName(column))) has type OID \(type) (size \(length)),"
                + " which \(accessor)() does not decode; cast it in the SQL (e.g. ::bigint, ::text)")
    }
}
